"""Bidirectional and TimeDistributed: layers that run another layer, as Keras 3's wrappers do.

``Bidirectional(LSTM(8, return_sequences=True))`` runs a copy of the layer
forward in time and another (``go_backwards``) backward, flips the
backward one's sequence back into time order, and merges the two
(``merge_mode``: "concat" on the last axis, "sum", "mul", "ave", or None
for both as a list). Its weights are the forward layer's, then the
backward one's. ``TimeDistributed(Dense(4))`` applies its layer to every
step (axis 1) of its input, one step at a time, as Keras does.

A .keras file keeps a wrapped layer's weights under the wrapper's group
(``forward_layer/cell/vars``, ``layer/vars``): ``keras_variable_groups``
says where, for ``minidl.saving``.
"""

from __future__ import annotations

from typing import Any, Callable

from minidl import functional as F
from minidl.autodiff.tensor import Tensor
from minidl.core.registry import snake_case
from minidl.layers.base import Layer
from minidl.layers.masks import any_length
from minidl.layers.symbolic import flatten


#: The registry of every layer class, as a function of a config: set by the package (``minidl.layers``) once
#: every class is defined. A wrapper's or an RNN's config names the layer inside it, and only the package knows
#: every class; importing it from here would point upward (the package imports this module).
deserialize_layer: Callable[[dict], Layer] | None = None


def keras_variable_groups(layer: Layer) -> list:
    """(path inside the layer's group of a .keras file, the weights stored there) for ``layer``."""
    groups = getattr(layer, "keras_variable_groups", None)
    return groups() if groups is not None else [("vars", layer.weights)]


def _layer_of(value: Any, what: str) -> Layer:
    """A layer given as one, or as its config (a model file's ``{"class_name": ..., "config": ...}``)."""
    if isinstance(value, dict):
        if deserialize_layer is None:
            raise RuntimeError("minidl.layers has not set wrappers.deserialize_layer (import minidl.layers)")
        return deserialize_layer(value)
    if not isinstance(value, Layer):
        raise ValueError(f"{what} must be a layer, got {type(value).__name__}")
    return value


def _renamed_copy(layer: Layer, prefix: str, **changes: Any) -> Layer:
    """A fresh copy of ``layer`` from its config (no weights), named ``prefix`` + its name, as Keras's wrapper makes."""
    base = layer.name or snake_case(type(layer).__name__)
    base = base[len(prefix):] if base.startswith(prefix) else base
    return type(layer).from_config({**layer.get_config(), "name": prefix + base, **changes})


class Bidirectional(Layer):
    """Runs a recurrent layer forward and backward in time and merges the two (see the module docstring).

    ``backward_layer``: the layer to run backward (its ``go_backwards`` must
    differ from the forward one's); by default a copy of ``layer`` with
    ``go_backwards=True``. With ``return_state`` the output is followed by
    the forward states, then the backward ones; ``initial_state`` is split
    the same way (first half forward).
    """

    supports_masking = True

    def __init__(self, layer: Any, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        layer = _layer_of(layer, "Bidirectional layer")
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ValueError(f"Bidirectional: merge_mode must be one of 'concat', 'sum', 'mul', 'ave' or None, "
                             f"got {merge_mode!r}")
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise ValueError(f"Bidirectional: layer must be a recurrent layer (SimpleRNN, LSTM, GRU), got "
                             f"{type(layer).__name__}")
        sequences = layer.return_sequences  # Keras: masked steps output zeros when sequences are returned
        self.forward_layer = _renamed_copy(layer, "forward_", zero_output_for_mask=sequences)
        if backward_layer is None:
            self.backward_layer = _renamed_copy(layer, "backward_", go_backwards=not layer.go_backwards,
                                                zero_output_for_mask=sequences)
        else:
            self.backward_layer = _layer_of(backward_layer, "Bidirectional backward_layer")
            self.backward_layer.zero_output_for_mask = self.backward_layer.return_sequences
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers must have different go_backwards, "
                             f"got {forward.go_backwards} for both")
        for option in ("return_sequences", "return_state"):
            if getattr(forward, option) != getattr(backward, option):
                raise ValueError(f"Bidirectional: the forward and backward layers must have the same {option}, "
                                 f"got {getattr(forward, option)} and {getattr(backward, option)}")
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = forward.return_sequences, forward.return_state
        self._initial_weights = weights

    def build(self, input_shape: Any) -> None:
        self.forward_layer.ensure_built(input_shape)
        self.backward_layer.ensure_built(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _build_once(self, input_shape: Any) -> None:
        super()._build_once(input_shape)
        self.built_input_shape = any_length(self.built_input_shape)  # sequences of any length, as Keras's

    def compute_output_shape(self, input_shape: Any) -> Any:
        forward = self.forward_layer.compute_output_shape(input_shape)
        backward = self.backward_layer.compute_output_shape(input_shape)
        states = forward[1:] + backward[1:] if self.return_state else []
        forward, backward = (forward[0], backward[0]) if self.return_state else (forward, backward)
        if self.merge_mode is None:
            outputs = [tuple(forward), tuple(backward)]
        elif self.merge_mode == "concat":
            outputs = [tuple(forward[:-1]) + (forward[-1] + backward[-1],)]
        else:
            outputs = [tuple(forward)]
        return outputs + states if len(outputs) + len(states) > 1 else outputs[0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        mask = mask[0] if isinstance(mask, list) else mask
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            masks += [None] * (self.forward_layer.state_count * 2)
        return masks if len(masks) > 1 else masks[0]

    def __call__(self, inputs: Any, *args: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        if initial_state is not None:
            inputs = [inputs, *initial_state]
        return super().__call__(inputs, *args, **kwargs)

    def call(self, x: Any, training: bool, mask: Any = None) -> Any:
        x, states = (x[0], list(x[1:])) if isinstance(x, list) else (x, [])
        mask = mask[0] if isinstance(mask, list) else mask
        half = len(states) // 2
        forward_states, backward_states = (states[:half], states[half:]) if states else (None, None)
        y = self.forward_layer(x, initial_state=forward_states, mask=mask, training=training)
        y_reversed = self.backward_layer(x, initial_state=backward_states, mask=mask, training=training)
        final_states = []
        if self.return_state:
            final_states = flatten(y[1:]) + flatten(y_reversed[1:])  # a stack's nested states, one after the other
            y, y_reversed = y[0], y_reversed[0]
        if self.return_sequences:
            y_reversed = F.getitem(y_reversed, (slice(None), slice(None, None, -1)))
        merged = {"concat": lambda: [F.concatenate([y, y_reversed], axis=-1)], "sum": lambda: [y + y_reversed],
                  "ave": lambda: [(y + y_reversed) / 2], "mul": lambda: [y * y_reversed],
                  None: lambda: [y, y_reversed]}[self.merge_mode]()
        outputs = merged + final_states
        for output in outputs:
            output.__dict__.pop("_keras_mask", None)  # the wrapper says which of its outputs carry the mask
        return outputs if len(outputs) > 1 else outputs[0]

    def reset_states(self, states: Any = None) -> None:
        """Reset both stateful layers (Keras's): ``states``, if given, the forward ones then the backward ones."""
        half = None if states is None else len(states) // 2
        self.forward_layer.reset_states(None if states is None else states[:half])
        self.backward_layer.reset_states(None if states is None else states[half:])

    def reset_state(self) -> None:
        self.reset_states()

    def wrapped_layers(self) -> dict:
        return {"layer": self.forward_layer, "backward_layer": self.backward_layer}

    def keras_variable_groups(self) -> list:
        return [(f"{role}/{path}", weights) for role, layer in (("forward_layer", self.forward_layer),
                                                                 ("backward_layer", self.backward_layer))
                for path, weights in keras_variable_groups(layer)]

    def get_config(self) -> dict:
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": {"class_name": type(self.forward_layer).__name__, "config": self.forward_layer.get_config()},
                "backward_layer": {"class_name": type(self.backward_layer).__name__,
                                   "config": self.backward_layer.get_config()}}


class TimeDistributed(Layer):
    """Applies ``layer`` to every step of the inputs (batch, time, ...): y[:, t] = layer(x[:, t]).

    The steps run one at a time, as Keras's do (a BatchNormalization inside
    computes its statistics per step in training). A mask passes through.
    """

    supports_masking = True

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layer = _layer_of(layer, "TimeDistributed layer")

    def _step_shape(self, input_shape: Any) -> tuple:
        if len(input_shape) < 2:
            raise ValueError(f"layer {self.label!r}: inputs must be (time, ...) per sample, got shape "
                             f"{tuple(input_shape)}")
        return tuple(input_shape[1:])

    def build(self, input_shape: tuple) -> None:
        self.layer.ensure_built(self._step_shape(input_shape))

    def _build_once(self, input_shape: Any) -> None:
        super()._build_once(input_shape)
        self.built_input_shape = any_length(self.built_input_shape)  # sequences of any length, as Keras's

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0],) + tuple(self.layer.sample_output_shape(self._step_shape(input_shape)))

    def call(self, x: Tensor, training: bool) -> Tensor:
        steps = [self.layer(F.getitem(x, (slice(None), t)), training=training) for t in range(x.shape[1])]
        return F.stack(steps, axis=1)

    def wrapped_layers(self) -> dict:
        return {"layer": self.layer}

    def keras_variable_groups(self) -> list:
        return [(f"layer/{path}", weights) for path, weights in keras_variable_groups(self.layer)]

    def get_config(self) -> dict:
        return {**super().get_config(),
                "layer": {"class_name": type(self.layer).__name__, "config": self.layer.get_config()}}
