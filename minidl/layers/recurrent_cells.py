"""SimpleRNNCell, LSTMCell and GRUCell: one step of a recurrent layer, with Keras 3's weights, options and names.

A cell holds Keras's three weights, ``kernel`` (features, k units),
``recurrent_kernel`` (units, k units) and ``bias`` (k units,) — k = 1, 4
(gates i, f, c, o) and 3 (gates z, r, h); a GRUCell with ``reset_after``
(Keras's default) has the bias (2, 3 units): input bias, then recurrent
bias. ``cell(x_t, states)`` runs one step, ``x_t`` (batch, features), and
returns ``(output, new_states)`` as Keras's cells do: ``(h, [h])``,
``(h, [h, c])``. ``keras.layers.RNN(cell)`` runs it over a sequence.

The math is ``minidl.functional``'s (``simple_rnn``, ``lstm``, ``gru``),
whose backward runs through time: one step is that function on a sequence
of length 1, and ``run_sequence`` (what ``RNN`` and the fused layers
``SimpleRNN``, ``LSTM``, ``GRU`` call) hands it the whole sequence at once,
projected by one matmul ``x @ kernel + bias``. Both paths are the same
equations, so a cell in ``RNN`` gives the numbers of the matching layer.

Dropout, as Keras's ``DropoutRNNCell``: in training, ``dropout`` drops input
features and ``recurrent_dropout`` state units with one keep-mask per
sample, drawn at the first step of a sequence and kept for all its steps
(``get_dropout_mask``, ``get_recurrent_dropout_mask``); ``RNN`` forgets the
masks after each call (``reset_dropout_mask``, ``reset_recurrent_dropout_mask``).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import activations, constraints, initializers, regularizers
from minidl import functional as F
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.core import random as minidl_random
from minidl.functional.gru import gru
from minidl.functional.lstm import lstm
from minidl.functional.recurrent_activations import check_recurrent_activation
from minidl.functional.simple_rnn import simple_rnn
from minidl.layers.base import Layer, check_positive_int

_OPTIONS = ("kernel", "recurrent", "bias")


class _Cell(Layer):
    """What the three cells share: options, weights, dropout masks, one step and the whole sequence."""

    gates = 1  # weight blocks side by side in the kernels
    state_count = 1

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 implementation: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.units = check_positive_int(kind, "units", units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.activation_name = check_recurrent_activation(f"{kind} activation",
                                                          activations.serialize(self.activation))
        self.recurrent_activation_name = check_recurrent_activation(
            f"{kind} recurrent_activation", activations.serialize(self.recurrent_activation))
        self.use_bias = bool(use_bias)
        for option, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"{kind}: {option} must be in [0, 1), got {value!r}")
        self.dropout, self.recurrent_dropout, self.seed = float(dropout), float(recurrent_dropout), seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)
        self._dropout_mask = self._recurrent_dropout_mask = None
        self.initializers = {"kernel": initializers.get(kernel_initializer),
                             "recurrent": initializers.get(recurrent_initializer),
                             "bias": initializers.get(bias_initializer)}
        self.regularizers = {"kernel": regularizers.get(kernel_regularizer),
                             "recurrent": regularizers.get(recurrent_regularizer),
                             "bias": regularizers.get(bias_regularizer)}
        self.constraints = {"kernel": constraints.get(kernel_constraint),
                            "recurrent": constraints.get(recurrent_constraint),
                            "bias": constraints.get(bias_constraint)}

    # ----------------------------------------------------------------- sizes, weights and shapes
    @property
    def state_size(self) -> Any:
        return self.units if self.state_count == 1 else [self.units] * self.state_count

    @property
    def output_size(self) -> int:
        return self.units

    def bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def bias_initializer(self) -> Any:
        return self.initializers["bias"]

    def _weight(self, name: str, option: str, shape: tuple, initializer: Any = None) -> Tensor:
        return self.add_weight(shape=shape, initializer=initializer or self.initializers[option], name=name,
                               regularizer=self.regularizers[option], constraint=self.constraints[option])

    def build(self, input_shape: Any) -> None:
        """Weights for steps of ``input_shape`` (features,) (the last axis is the features)."""
        features = tuple(input_shape)[-1]
        width = self.gates * self.units
        self.kernel = self._weight("kernel", "kernel", (features, width))
        self.recurrent_kernel = self._weight("recurrent_kernel", "recurrent", (self.units, width))
        self.bias = self._weight("bias", "bias", self.bias_shape(), self.bias_initializer()) if self.use_bias \
            else None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (self.units,)

    def get_initial_state(self, batch_size: int | None = None) -> list:
        """Zeros (batch_size, units), one per state, as Keras's cells start."""
        return [Tensor(numpy.zeros((batch_size, self.units), dtype=self.dtype)) for _ in range(self.state_count)]

    # ----------------------------------------------------------------- dropout masks (Keras's DropoutRNNCell)
    def _keep_mask(self, like: Any, rate: float) -> Any:
        data = getattr(like, "data", like)
        xp = backend.get_array_module(data)
        generator = self._generator or minidl_random.generator_for(xp)
        draw = backend.uniform(generator, tuple(data.shape), data)
        return (draw >= rate).astype(data.dtype) / (1 - rate)

    def get_dropout_mask(self, step_input: Any) -> Any:
        """The scaled keep-mask (batch, features) of this sequence's inputs (None without ``dropout``)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._keep_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input: Any) -> Any:
        """The scaled keep-mask (batch, units) of this sequence's states (None without ``recurrent_dropout``)."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._keep_mask(step_input, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    # ----------------------------------------------------------------- calling
    def dropped_sequence(self, x: Tensor, states: list, keep: Any, training: bool) -> Tensor:
        """``run_sequence`` with this sequence's dropout masks in training: x (batch, time, features)."""
        recurrent_keep = None
        if training:
            input_keep = self.get_dropout_mask(F.getitem(x, (slice(None), 0)))
            if input_keep is not None:
                x = x * input_keep[:, None, :]
            recurrent_keep = self.get_recurrent_dropout_mask(states[0])
        return self.run_sequence(x, states, keep, recurrent_keep)

    def call(self, inputs: Tensor, states: Any, training: bool = False) -> tuple:
        """One step: ``inputs`` (batch, features), ``states`` [h] (or h) or [h, c]; returns (h, new states)."""
        listed = isinstance(states, (list, tuple))
        states = [s if isinstance(s, Tensor) else Tensor(s) for s in (states if listed else [states])]
        if len(states) != self.state_count:
            raise ValueError(f"{type(self).__name__} {self.label!r}: states must hold {self.state_count} tensor(s) "
                             f"of shape (batch, {self.units}), got {len(states)}")
        batch, features = inputs.shape
        sequence = self.dropped_sequence(F.reshape(inputs, (batch, 1, features)), states, None, training)
        units = self.units
        new_states = [F.getitem(sequence, (slice(None), 0, slice(k * units, (k + 1) * units)))
                      for k in range(self.state_count)]
        return new_states[0], (new_states if listed else new_states[0])

    def run_sequence(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        """(batch, time, state_count * units): the states after every step of ``x`` (batch, time, features);
        ``keep`` (batch, time) booleans (False: carry the states through), ``recurrent_keep`` (batch, units)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        config = {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias, "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                  "seed": self.seed}
        for option in _OPTIONS:
            config[f"{option}_initializer"] = initializers.serialize(self.initializers[option])
            config[f"{option}_regularizer"] = regularizers.serialize(self.regularizers[option])
            config[f"{option}_constraint"] = constraints.serialize(self.constraints[option])
        return config


class SimpleRNNCell(_Cell):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias), kernel (features, units)."""

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation, **kwargs)

    def run_sequence(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        return simple_rnn(F.linear(x, self.kernel, self.bias), self.recurrent_kernel, states[0],
                          self.activation_name, keep, recurrent_keep)


def _forget_gate_ones(units: int, initializer: Any) -> Any:
    """Keras's ``unit_forget_bias``: the bias initializer's values, with ones for the forget gate."""
    def ones_for_the_forget_gate(shape: tuple, dtype: Any = None) -> Any:
        return numpy.concatenate([initializer((units,), dtype), numpy.ones(units, dtype=dtype),
                                  initializer((2 * units,), dtype)])
    return ones_for_the_forget_gate


class LSTMCell(_Cell):
    """One LSTM step: gates i, f, c, o side by side (Keras's order); states [h, c].

    ``unit_forget_bias`` (Keras's default) starts the forget gate's bias at 1.
    """

    gates, state_count = 4, 2

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_initializer(self) -> Any:
        initializer = self.initializers["bias"]
        return _forget_gate_ones(self.units, initializer) if self.unit_forget_bias else initializer

    def run_sequence(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        return lstm(F.linear(x, self.kernel, self.bias), self.recurrent_kernel, states[0], states[1],
                    self.activation_name, self.recurrent_activation_name, keep, recurrent_keep)

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """One GRU step: gates z, r, h side by side (Keras's order); one state h.

    ``reset_after=True`` (Keras's default, cuDNN's form) applies the reset
    gate after the recurrent matmul and gives the bias the shape
    (2, 3 units): the input bias, then the recurrent bias.
    """

    gates = 3

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def run_sequence(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        input_bias, recurrent_bias = self.bias, None
        if self.bias is not None and self.reset_after:
            input_bias, recurrent_bias = F.getitem(self.bias, 0), F.getitem(self.bias, 1)
        if recurrent_bias is None:
            recurrent_bias = Tensor(backend.get_array_module(x.data).zeros(3 * self.units, dtype=x.dtype))
        return gru(F.linear(x, self.kernel, input_bias), self.recurrent_kernel, states[0], recurrent_bias,
                   self.activation_name, self.recurrent_activation_name, self.reset_after, keep, recurrent_keep)

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}
