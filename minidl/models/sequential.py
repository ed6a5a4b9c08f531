"""Sequential: a stack of layers, each feeding the next; a functional Model with a straight graph.

``Sequential([Input((784,)), Dense(100, activation="relu"), Dense(10)])``
is ``Model(inputs, outputs)`` for the chain input -> Dense -> Dense: as soon
as the input shape is known (from ``Input``, a first layer's
``input_shape=``, or the first data it is called on) it calls its layers on
a symbolic input, and trains, predicts and saves as any Model. Layers may be
added one by one; the graph is rebuilt after each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minidl.layers import InputLayer, Layer, serialize
from minidl.layers.symbolic import SymbolicTensor, remove_nodes
from minidl.models.functional import MODEL_CLASSES, Model, deserialize_layer
from minidl.models.graph import unique_name
from minidl.core.registry import custom_object_scope, snake_case


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Input((784,)), Dense(100, activation="relu"), ...])``."""

    config_class_name = "Sequential"

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None,
                 trainable: bool = True) -> None:
        self._stack: list[Layer] = []
        super().__init__(name=name, trainable=trainable)
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    # ----------------------------------------------------------------- structure
    def add(self, layer: Any) -> None:
        """Append a layer (or set the input shape with an ``Input``); builds as soon as shapes are known."""
        if isinstance(layer, SymbolicTensor):
            if not layer.node.is_input:
                raise ValueError(f"model {self.name!r}: a Sequential takes layers and Input(...), not the output "
                                 f"of a layer ({layer!r}); use Model(inputs, outputs) for graphs")
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(f"model {self.name!r}: Input must come first and only once")
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"model {self.name!r}: can only add layers, got {type(layer).__name__}")
        if self._device is not None:
            layer.to(self._device)
        taken = {existing.name for existing in self._stack}
        if layer.name is None:
            layer.name = unique_name(snake_case(type(layer).__name__), taken)
        elif layer.name in taken:
            raise ValueError(f"model {self.name!r} already has a layer named {layer.name!r}")
        first_shape = getattr(layer, "input_shape", None)
        if isinstance(layer, Model):  # a built model's inputs give the shape (Keras's Sequential does the same)
            first_shape = tuple(first_shape[1:]) if layer.built and len(layer.inputs) == 1 else None
        if not self._stack and self._input_layer is None and first_shape is not None:
            self._input_layer = InputLayer(first_shape)
        self._stack.append(layer)
        if self._input_layer is not None:
            self._build_for_sample(self._input_layer.shape)

    def pop(self) -> Layer:
        """Remove the last layer (Keras's ``pop``) and return it; the graph is rebuilt without it."""
        if not self._stack:
            raise ValueError(f"model {self.name!r}: pop() on a Sequential that has no layers")
        layer = self._stack.pop()
        self._forget_graph()
        self._graph_nodes, self._fused, self._layers = [], {}, []
        self.inputs, self.outputs, self.built = [], [], False
        if self._stack and self._input_layer is not None:
            self._build_for_sample(self._input_layer.shape)
        return layer

    def build(self, input_shape: Any) -> None:
        """Build for inputs of ``input_shape``: one sample's shape, ``(784,)``, or Keras's with the batch axis,
        ``(None, 784)``, as ``model.build((None, 784))`` in Keras programs.

        A shape that starts with None is Keras's (a sample of variable
        length is given as ``Input((None, 10))``, or as ``(None, None, 10)`` here).
        """
        shape = tuple(input_shape)
        self._build_for_sample(shape[1:] if shape and shape[0] is None else shape)

    def _build_for_sample(self, shape: tuple) -> None:
        """Call every layer on a symbolic input of ``shape`` (one sample); shape errors name the layer."""
        shape = tuple(shape)
        if self._input_layer is None or tuple(self._input_layer.shape) != shape:
            self._input_layer = InputLayer(shape, name=None if self._input_layer is None else self._input_layer.name)
        self._forget_graph()
        self._graph_nodes, self._fused = [], {}
        made = []
        x = self._input_layer.output
        try:
            for layer in self._stack:
                x = layer(x)
                made.append(x.node)
        except Exception:
            remove_nodes(made)
            raise
        self._set_graph(self._input_layer.output, x)

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input (as Keras's Sequential lists them)."""
        return list(self._stack)

    def _owned_layers(self) -> list:
        return self._stack

    @property
    def input_names(self) -> list:
        if self.built:
            return super().input_names
        return [(self._input_layer.name if self._input_layer is not None else None) or "input_layer"]

    @property
    def output_names(self) -> list:
        return [self._stack[-1].name] if self._stack else ["output"]

    @output_names.setter
    def output_names(self, value: list) -> None:  # Model._set_graph sets it; a Sequential's is its last layer's
        pass

    def _input_sample_shapes(self) -> list:
        return [None if self._input_layer is None else tuple(self._input_layer.shape)]

    @property
    def output_shapes(self) -> list[tuple]:
        """The shape of one sample after each layer, in order."""
        if not self.built:
            return []
        outputs = {}
        for node in self._graph_nodes:
            outputs[node.layer] = tuple(node.outputs[0].shape[1:])
        return [outputs[layer] for layer in self._stack]

    def truncated(self, at: str | int) -> "Sequential":
        """A model of this model's layers up to and including ``at`` (a name or an index).

        The layers are shared, not copied: ``model.truncated("hidden").predict(x)``
        reads the hidden activations of the trained model.
        """
        last = self._stack.index(self.get_layer(name=at) if isinstance(at, str) else self.get_layer(index=at))
        model = Sequential(name=f"{self.name}_to_{self._stack[last].name}")
        if self._input_layer is not None:
            model._input_layer = InputLayer(self._input_layer.shape)
        model._stack = self._stack[: last + 1]
        if self.built:
            model._build_for_sample(self._input_layer.shape)
        return model

    def _summary_rows(self) -> tuple[tuple, list]:
        header = ("Layer (type)", "Output Shape", "Param #")
        rows = [(f"{layer.name} ({type(layer).__name__})", str((None,) + tuple(shape)), f"{layer.count_params():,}")
                for layer, shape in zip(self._stack, self.output_shapes)]
        return header, rows

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        shape = None if self._input_layer is None else list(self._input_layer.shape)
        return {"name": self.name, "input_shape": shape, "layers": [serialize_layer(layer) for layer in self._stack]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        """The model of ``get_config``; ``custom_objects`` names the user's classes it uses, as in Keras."""
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        if config.get("input_shape") is not None:
            model._input_layer = InputLayer(tuple(config["input_shape"]))
        with custom_object_scope(custom_objects):
            for layer_config in config["layers"]:
                model.add(deserialize_layer(layer_config))
        return model


def serialize_layer(layer: Layer) -> dict:
    """``{"class_name": ..., "config": ...}`` of a layer, or of a model inside the stack."""
    if isinstance(layer, Model):
        return {"class_name": layer.config_class_name, "config": layer.get_config()}
    return serialize(layer)


MODEL_CLASSES["Sequential"] = Sequential
