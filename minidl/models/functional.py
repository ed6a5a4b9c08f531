"""Model: a graph of layers from symbolic inputs to outputs (Keras's functional API).

::

    inputs = Input((64, 64, 1))
    x = Conv2D(32, 3, activation="relu")(inputs)
    branch = Dense(8)(Input((64,)))                # a second input
    outputs = Dense(3, activation="softmax")(concatenate([Flatten()(x), branch]))
    model = Model([inputs, branch_input], outputs)

The model holds the graph that calling layers on symbolic tensors recorded
(see ``minidl.layers.symbolic``) and runs it node by node on real Tensors
(``minidl.models.graph``). Its layers, and so its weights, are in Keras's
order, so ``set_weights(keras_model.get_weights())`` takes a Keras model's
weights as they are. A model is also a layer: it can be called on symbolic
tensors inside another model, or on data. Training is the ``Trainer``'s.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy

from minidl.core import backend
from minidl.saving import npz as saving
from minidl.training import streaming
from minidl import metrics as metrics_module
from minidl import optimizers as optimizers_module
from minidl import losses as losses_module
from minidl.layers import InputLayer, Layer
from minidl.layers import deserialize as deserialize_builtin_layer
from minidl.layers.protocol import layer_call, traced_output_shape
from minidl.layers.symbolic import SymbolicTensor, flatten, remove_nodes
from minidl.models import subclassed, summary
from minidl.models.fusion import fused_pairs
from minidl.models.graph import GraphError, map_graph, new_model_name, replay_calls, run_graph, unique_name
from minidl.training import Trainer
from minidl.core.registry import custom_object_scope, registered_name, snake_case
from minidl.autodiff.tensor import Tensor


class Model(Trainer, Layer):
    """``Model(inputs, outputs, name=None)``: inputs and outputs are symbolic tensors, lists, or dicts by name."""

    #: the class name in configs and model files (Keras calls a graph model "Functional")
    config_class_name = "Functional"

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 trainable: bool = True, **layer_options: Any) -> None:
        Layer.__init__(self, name=name or new_model_name(type(self), Model), trainable=trainable, **layer_options)
        self._device: str | None = None
        self._graph_nodes: list = []
        self._fused: dict = {}  # pairs of layers run as one function (minidl.models.fusion)
        self._layers: list = []
        self.inputs: list = []
        self.outputs: list = []
        self.output_names = ["output_1"]  # a subclassed model's, until its build counts its outputs
        self.built = False
        if inputs is None and outputs is None:
            return
        if inputs is None or outputs is None:
            raise GraphError("Model(inputs, outputs): give both the inputs and the outputs")
        self._set_graph(inputs, outputs)

    # ----------------------------------------------------------------- structure
    def _set_graph(self, inputs: Any, outputs: Any) -> None:
        """Adopt the graph from ``inputs`` to ``outputs``: name unnamed layers, order layers and nodes."""
        self._inputs_as_dict = isinstance(inputs, dict)
        self._outputs_as_dict = isinstance(outputs, dict)
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        if not self.inputs or not self.outputs:
            raise GraphError(f"model {self.name!r}: needs at least one input and one output")
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise GraphError(f"model {self.name!r}: the same input tensor is given twice")
        self._graph_nodes, self._layers = map_graph(self.inputs, self.outputs)
        self._fused = fused_pairs(self._graph_nodes, self.outputs)
        taken = {layer.name for layer in self._layers if layer.name is not None}
        for layer in self._layers:
            if layer.name is None:
                base = "input_layer" if isinstance(layer, InputLayer) else snake_case(type(layer).__name__)
                layer.name = unique_name(base, taken)
                taken.add(layer.name)
        names = [layer.name for layer in self._layers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise GraphError(f"model {self.name!r}: layer names must be unique; {', '.join(map(repr, repeated))} "
                             "is used more than once")
        if self._inputs_as_dict:
            for key, tensor in inputs.items():
                if key != tensor.name:
                    raise GraphError(f"model {self.name!r}: the inputs dict maps {key!r} to the input named "
                                     f"{tensor.name!r}; name the Input {key!r} (Input(..., name={key!r}))")
        self.output_names = list(outputs) if self._outputs_as_dict else [t.node.layer.name for t in self.outputs]
        if len(set(self.output_names)) != len(self.output_names):
            self.output_names = [t.name for t in self.outputs]
        if self._device is not None:
            for layer in self._layers:
                layer.to(self._device)
        self.built = True
        self.built_input_shape = self._input_sample_shapes() if len(self.inputs) > 1 else self._input_sample_shapes()[0]
        if self.optimizer is not None:
            self.optimizer.build(self.trainable_weights)

    def _forget_graph(self) -> None:
        """Drop this model's graph (its nodes leave their layers' histories), for a Sequential that rebuilds."""
        remove_nodes([node for node in self._graph_nodes if not node.is_input])

    @property
    def input_names(self) -> list:
        return ["inputs"] if self._subclassed else [tensor.name for tensor in self.inputs]

    @property
    def _subclassed(self) -> bool:
        """A Keras subclass with its own ``call`` and no graph (``minidl.models.subclassed``)."""
        return subclassed.is_subclassed(self, Model)

    def _input_sample_shapes(self) -> list:
        return [tuple(tensor.shape[1:]) for tensor in self.inputs]

    @property
    def input(self) -> Any:
        """The symbolic input (a list for several), for building models from this one's layers."""
        self._require_built("input")
        return self.inputs[0] if len(self.inputs) == 1 else list(self.inputs)

    @property
    def output(self) -> Any:
        self._require_built("output")
        return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)

    @property
    def input_shape(self) -> Any:
        shapes = [tensor.shape for tensor in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @input_shape.setter
    def input_shape(self, value: Any) -> None:  # Layer.__init__ sets it; a model's comes from its inputs
        pass

    @property
    def output_shape(self) -> Any:
        shapes = [tensor.shape for tensor in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def layers(self) -> list:
        """Every layer, InputLayers first, in Keras's order (by depth in the graph)."""
        return list(self._owned_layers())

    def _owned_layers(self) -> list:
        """The layers whose weights, device and mode the model manages (in weight order)."""
        return Layer._sublayers(self) if self._subclassed else self._layers

    def _sublayers(self) -> list:
        return list(self._owned_layers())

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if (name is None) == (index is None):
            raise ValueError("get_layer: give exactly one of name= or index=")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are: {', '.join(layer.name for layer in layers)}")

    # ----------------------------------------------------------------- calling
    def _run(self, values: list, training: bool | None, record: dict | None = None) -> list:
        """The outputs for ``values``: one forward pass, which starts anew the losses that layers add."""
        if self._subclassed:
            return subclassed.run(self, values, training)
        with layer_call(self, training) as resolved:
            return run_graph(self.inputs, self.outputs, self._graph_nodes, values, resolved, record, self._fused)

    def __call__(self, x: Any, training: bool | None = None) -> Any:
        """The outputs for data ``x`` (a Tensor/array, a list, or a dict by input name), or a node on symbolic inputs."""
        if isinstance(x, dict):
            x = [x[name] for name in self.input_names]
        if not isinstance(x, SymbolicTensor) and not (isinstance(x, (list, tuple)) and any(
                isinstance(item, SymbolicTensor) for item in x)):
            x = [self._as_data(item) for item in x] if isinstance(x, (list, tuple)) else self._as_data(x)
        return Layer.__call__(self, x, training=training)

    def _as_data(self, x: Any) -> Tensor:
        return x if isinstance(x, Tensor) else Tensor(x, dtype=self.dtype)

    def call(self, x: Any, training: bool | None) -> Any:
        values = x if isinstance(x, list) else [x]
        outputs = self._run(values, training)
        return outputs[0] if len(outputs) == 1 else outputs

    def build(self, input_shape: Any) -> None:
        if self._subclassed:
            return subclassed.build(self, input_shape)
        self._require_built("build")

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._subclassed:
            return traced_output_shape(self, input_shape)
        shapes = [tuple(tensor.shape[1:]) for tensor in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _activation_shapes(self) -> list:
        """Per-sample shapes of every tensor the graph makes (for predict's memory bound)."""
        return [tuple(t.shape[1:]) for node in self._graph_nodes for t in node.outputs]

    # ----------------------------------------------------------------- devices and modes
    def to(self, device: str) -> "Model":
        """Move the model to ``device`` ("cpu" or "gpu") in place: weights, gradients, optimizer state.

        fit, evaluate and predict move each batch of (numpy) data to the
        model's device and return numpy results.
        """
        self._device = backend.check_device(device)
        for layer in self._owned_layers():
            layer.to(self._device)
        if self.optimizer is not None:
            self.optimizer.to(self._device)
        return self

    @property
    def device(self) -> str:
        """Where the weights live ("cpu" or "gpu")."""
        for weight in self.weights:
            return weight.device
        return self._device or backend.default_device()

    def train(self, mode: bool = True) -> "Model":
        """Default mode for calls without ``training=``: True enables dropout and batch statistics."""
        self.training = mode
        for layer in self._owned_layers():
            layer.train(mode)
        return self

    @property
    def dtype(self) -> Any:
        for layer in self._owned_layers():
            if not isinstance(layer, InputLayer):
                return layer.dtype
        return numpy.dtype("float32")

    @dtype.setter
    def dtype(self, value: Any) -> None:  # Layer.__init__ sets it; a model's is its layers'
        pass

    # ----------------------------------------------------------------- weights
    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """As Keras: a model's ``trainable`` is set on each of its layers too (frozen BatchNormalization layers
        then run in inference mode, as the transfer-learning guide relies on)."""
        self.__dict__["_trainable"] = bool(value)
        if "_graph_nodes" in self.__dict__:  # not while Layer.__init__ sets it, before the layers exist
            for layer in self._owned_layers():
                layer.trainable = value

    @property
    def weights(self) -> list[Tensor]:
        """Every weight, layer by layer in ``layers`` order (a layer shared by two calls counts once)."""
        return [w for layer in self._owned_layers() for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Tensor]:
        if not self.trainable:
            return []
        return [w for layer in self._owned_layers() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        if not self.trainable:
            return self.weights
        return [w for layer in self._owned_layers() for w in layer.non_trainable_weights]

    @property
    def losses(self) -> list[Tensor]:
        """The model's own ``add_loss`` penalties, then each layer's ``losses`` (its added losses of the latest
        forward pass and its regularization penalties), as the trainer adds them to the loss."""
        return [*self._added_losses, *(loss for layer in self._owned_layers() for loss in layer.losses)]

    def get_weights(self) -> list[numpy.ndarray]:
        return [array for layer in self._owned_layers() for array in layer.get_weights()]

    def set_weights(self, values: list) -> None:
        """Set every weight, in ``get_weights`` order (Keras's, so Keras weights load as they are)."""
        self._require_built("set_weights")
        values = list(values)
        expected = sum(len(layer.weights) for layer in self._owned_layers())
        if len(values) != expected:
            raise ValueError(f"model {self.name!r} has {expected} weight arrays, got {len(values)}")
        position = 0
        for layer in self._owned_layers():
            count = len(layer.weights)
            layer.set_weights(values[position : position + count])
            position += count

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self._owned_layers())

    # ----------------------------------------------------------------- summary
    def _summary_rows(self) -> tuple[tuple, list]:
        return subclassed.summary_rows(self) if self._subclassed else summary.graph_rows(self)

    def summary(self, print_fn: Any = print) -> str:
        """Print (and return) the table of layers, output shapes, parameter counts (and inputs, for graphs)."""
        self._require_built("summary")
        return summary.print_table(self, print_fn)

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        """The graph as JSON-ready data: each layer's config and the calls that feed it (Keras's layout).

        ``inbound_nodes`` lists, per call of the layer, the tensors it reads as
        ``[layer name, call index, output index]``; a call on a list of
        tensors is marked ``"list": true``. A subclassed model's is its name
        and the plain arguments it was made with, as Keras's.
        """
        if self._subclassed:
            return {"name": self.name, "trainable": self.trainable, **(self._init_arguments or {})}
        self._require_built("get_config")
        in_model = [node for node in self._graph_nodes]
        call_index = {}
        for layer in self._layers:
            for position, node in enumerate(n for n in in_model if n.layer is layer):
                call_index[id(node)] = position

        def reference(tensor: SymbolicTensor) -> list:
            return [tensor.node.layer.name, call_index[id(tensor.node)], tensor.index]

        layer_configs = []
        for layer in self._layers:
            calls = [node for node in in_model if node.layer is layer and not node.is_input]
            layer_configs.append({
                "class_name": _class_name(layer), "config": layer.get_config(), "name": layer.name,
                "inbound_nodes": [{"args": [reference(t) for t in flatten(node.inputs)],
                                   "list": isinstance(node.inputs, list),
                                   **({"kwargs": {key: {"tensor": reference(value)} if isinstance(
                                       value, SymbolicTensor) else value for key, value in node.kwargs.items()}}
                                      if node.kwargs else {})} for node in calls],
            })
        return {
            "name": self.name, "trainable": self.trainable, "layers": layer_configs,
            "input_layers": {key: reference(t) for key, t in zip(self.input_names, self.inputs)}
            if self._inputs_as_dict else [reference(t) for t in self.inputs],
            "output_layers": {key: reference(t) for key, t in zip(self.output_names, self.outputs)}
            if self._outputs_as_dict else [reference(t) for t in self.outputs],
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        """Rebuild the graph of ``get_config``: create every layer, then replay the calls in dependency order.

        ``custom_objects`` ({class name: class}) names the user's layers (and
        activations, initializers, ...) that the config refers to, as in Keras.
        """
        if cls.call is not Model.call:  # a subclassed model: made from its arguments, as Keras
            return cls(**config)
        created: dict[str, Layer] = {}
        calls: list = []
        with custom_object_scope(custom_objects):
            for entry in config["layers"]:
                created[entry["name"]] = deserialize_layer({"class_name": entry["class_name"],
                                                            "config": entry["config"]})
                calls.extend((entry["name"], index, call) for index, call in enumerate(entry["inbound_nodes"]))
            return rebuild_graph(created, calls, config["input_layers"], config["output_layers"],
                                 name=config.get("name"), trainable=config.get("trainable", True), cls=cls)

    def compile_config(self) -> dict | None:
        """What ``compile`` was given, in a form a file can hold (None if something custom cannot be)."""
        if self._compiled is None:
            return None
        given = self._compiled.given
        try:
            return {"optimizer": optimizers_module.serialize_optimizer(self.optimizer),
                    "loss": _map_given(given["loss"], lambda loss: losses_module.serialize(losses_module.get(loss))),
                    "loss_weights": given["loss_weights"],
                    "metrics": _map_given(given["metrics"], _metric_name)}
        except ValueError as error:
            warnings.warn(f"the model is saved uncompiled: {error}", stacklevel=3)
            return None

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as Keras 3's JSON, no weights (``minidl.models.model_from_json`` reads it; so does Keras)."""
        return json.dumps(CONFIG_WRITERS["json"](self), **kwargs)

    def save(self, filepath: str, metadata: dict | None = None, extra_weights: dict | None = None,
             include_optimizer: bool = True, overwrite: bool = True, **keras_options: Any) -> None:
        """Save architecture, weights, compile settings (and ``metadata``) to ``filepath`` (no pickles).

        A path ending in ``.keras`` (or ``.h5``) writes a Keras file that Keras
        3 loads (see ``minidl.saving.keras_files``); any other, minidl's own
        ``.npz``. ``extra_weights`` ({name: list of arrays}) travel with
        minidl files, see ``saving.read_extra_weights``; so does the
        optimizer's state, unless ``include_optimizer=False``, so that
        ``load_model`` resumes training exactly where it stopped. ``overwrite=False``
        refuses an existing file; Keras's ``save_format`` and ``zipped`` are
        accepted and the extension decides.
        """
        path = _writable(filepath, overwrite, keras_options, ("save_format", "zipped", "options", "signatures"))
        if self._subclassed:
            raise ValueError(f"save: model {self.name!r} runs its own call(), which is code, and model files hold "
                             "none; save its weights (save_weights) and make the model again in code to load them")
        extension = os.path.splitext(os.fspath(path))[1].lower()
        if extension in FILE_WRITERS:
            if metadata or extra_weights:
                raise ValueError(f"save: a {extension} file cannot hold metadata or extra weights; use .npz")
            FILE_WRITERS[extension](self, path)
            return
        saving.save_model(self, path, metadata, extra_weights, include_optimizer)

    def save_weights(self, filepath: str, overwrite: bool = True, **keras_options: Any) -> None:
        saving.save_weights(self, _writable(filepath, overwrite, keras_options, ("save_format", "options")))

    def load_weights(self, filepath: str, skip_mismatch: bool = False, **keras_options: Any) -> None:
        if skip_mismatch:
            raise ValueError("load_weights: skip_mismatch=True is not supported; the file's weights must match")
        _writable(filepath, True, keras_options, ("options", "by_name"))
        saving.load_weights(self, filepath)

    # ----------------------------------------------------------------- checks
    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"{what}: model {self.name!r} is not built yet; start it with Input(shape), give the "
                             "first layer input_shape=, or call it on data first")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def rebuild_graph(created: dict, calls: list, inputs: Any, outputs: Any, name: str | None = None,
                  trainable: bool = True, cls: type | None = None) -> Model:
    """A model (of class ``cls``, Model by default) from layers by name and their recorded calls (``graph.replay_calls``)."""
    input_tensors, output_tensors = replay_calls(created, calls, inputs, outputs)
    return (cls or Model)(input_tensors, output_tensors, name=name, trainable=trainable)


#: writers of other file formats by file extension (minidl.saving.keras_files adds .keras and .h5)
FILE_WRITERS: dict = {}

#: writers of the model's config as text: "json" (Model.to_json), added by minidl.models.cloning
CONFIG_WRITERS: dict = {}

#: model classes by config class name; Sequential adds itself
MODEL_CLASSES: dict = {"Functional": Model, "Model": Model}


def deserialize_layer(config: dict) -> Layer:
    """A layer, or a model used as a layer, from ``{"class_name": ..., "config": ...}``."""
    cls = MODEL_CLASSES.get(config.get("class_name")) if isinstance(config, dict) else None
    if cls is not None:
        return cls.from_config(config.get("config", {}))
    return deserialize_builtin_layer(config)


def _class_name(layer: Layer) -> str:
    return layer.config_class_name if isinstance(layer, Model) else type(layer).__name__


def _writable(filepath: Any, overwrite: bool, options: dict, accepted: tuple) -> Any:
    """``filepath``, after checking Keras's extra saving options and ``overwrite``."""
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(f"unknown saving options {unknown}; accepted: {', '.join(accepted)}")
    if not overwrite and os.path.exists(os.fspath(filepath)):
        raise FileExistsError(f"{os.fspath(filepath)!r} exists and overwrite=False was given")
    return filepath


def _map_given(given: Any, function: Any) -> Any:
    if given is None:
        return None
    if isinstance(given, dict) and "class_name" not in given:  # by output name (a "class_name" dict is one config)
        return {key: _map_given(value, function) for key, value in given.items()}
    if isinstance(given, (list, tuple)):
        return [_map_given(item, function) for item in given]
    return function(given)


def _metric_name(metric: Any) -> Any:
    """A metric as a file holds it: its name, or a streaming metric's class and config."""
    if isinstance(metric, str):
        return metric
    if isinstance(metric, metrics_module.Metric) and type(metric).__name__ in streaming.CLASSES:
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if registered_name(metric):
        return registered_name(metric)
    if isinstance(metric, metrics_module.Metric):  # the user's Metric class: its name and config, as Keras writes
        return {"class_name": type(metric).__name__, "config": metric.get_config()}  # (read with custom_objects)
    raise ValueError(f"the custom metric {metric!r} cannot be saved by name")
