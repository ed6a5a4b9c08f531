"""Models written as Keras subclasses: layers as attributes and a ``call`` of their own.

::

    class MLP(Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = Dense(64, activation="relu")
            self.classifier = Dense(10, activation="softmax")

        def call(self, inputs):
            return self.classifier(self.hidden(inputs))

Such a model has no graph. Its layers are the ones its attributes hold, in
the order they were assigned (Keras tracks them the same way); unnamed ones
are named after their class when it is built (``dense``, ``dense_1``). It
is built by running ``call`` once on zeros of one sample's shape, which
creates every layer's weights, as Keras builds it by tracing ``call``;
``fit``, ``evaluate`` and ``predict`` then run ``call`` on each batch. It
takes one input (an array, or a list of arrays that ``call`` receives as a
list) and gives one output or several, named ``output_1``, ``output_2``, ...
"""

from __future__ import annotations

from typing import Any

from minidl.layers.protocol import call_with_keras_arguments, layer_call, traced_output_shape
from minidl.models.graph import unique_name
from minidl.core.registry import snake_case


def is_subclassed(model: Any, model_class: type) -> bool:
    """Whether ``model`` runs its own ``call`` (a Keras subclass) rather than a graph of Inputs and layers."""
    return type(model).call is not model_class.call and not model.inputs


def run(model: Any, values: list, training: bool | None) -> list:
    """The outputs (as a list) of ``model.call`` on ``values`` (one Tensor per input) in one forward pass."""
    with layer_call(model, training) as resolved:
        outputs = call_with_keras_arguments(model, values[0] if len(values) == 1 else values, (), {}, resolved)
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def build(model: Any, input_shape: Any) -> None:
    """Create the weights by calling the model once on zeros of ``input_shape``; name the layers.

    ``input_shape`` is one sample's shape, or Keras's ``(None, ...)`` with the
    batch axis first, as ``model.build((None, 784))`` gives it.
    """
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    shapes = [tuple(shape)[1:] if len(shape) > 0 and shape[0] is None else tuple(shape) for shape in shapes]
    output_shapes = traced_output_shape(model, shapes if isinstance(input_shape, list) else shapes[0])
    several = isinstance(output_shapes, list)
    model.output_names = [f"output_{index + 1}" for index in range(len(output_shapes) if several else 1)]
    model.subclassed_shapes = (shapes, output_shapes if several else [output_shapes])
    taken = {layer.name for layer in model.layers if layer.name is not None}
    for layer in model.layers:
        if layer.name is None:
            layer.name = unique_name(snake_case(type(layer).__name__), taken)
            taken.add(layer.name)
    model.built = True


def summary_rows(model: Any) -> tuple[tuple, list]:
    """Keras's table for a subclassed model: each layer, its parameters; output shapes are not traced ("?")."""
    header = ("Layer (type)", "Output Shape", "Param #")
    return header, [(f"{layer.name} ({type(layer).__name__})", "?", f"{layer.count_params():,}")
                    for layer in model.layers]
