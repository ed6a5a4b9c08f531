"""SimpleRNN, LSTM and GRU: recurrent layers over (batch, time, features), with Keras 3's weights and options.

Each layer holds Keras's three weights, ``kernel`` (features, k units),
``recurrent_kernel`` (units, k units) and ``bias`` (k units,) — k = 1, 4
(gates i, f, c, o) and 3 (gates z, r, h), and a GRU with ``reset_after``
(Keras's default) has the bias (2, 3 units): input bias, then recurrent
bias. A call projects every step at once (``x @ kernel + bias``, one
matmul) and hands the loop over time to the cell's function in
``minidl.functional`` (``simple_rnn``, ``lstm``, ``gru``), whose backward
runs through time.

As Keras: ``return_sequences`` (every step's output, else the last),
``return_state`` (the final states after the output: [output, h] or
[output, h, c]), ``go_backwards`` (read the sequence last step first; the
returned sequence stays in that order), ``initial_state=`` (a list of
(batch, units) tensors), ``dropout`` (one keep-mask per sample and feature,
the same at every step) and ``recurrent_dropout`` (likewise on h_{t-1}),
in training only. A mask (batch, time) (from ``Embedding(mask_zero=True)``
or ``Masking``) makes a masked step carry the states through unchanged; the
output there is the previous step's (zeros before the first real step), or
zeros with ``zero_output_for_mask``. ``stateful=True`` is refused.
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
from minidl.layers.masks import any_length, keeps_steps

_OPTIONS = ("kernel", "recurrent", "bias")


class _Recurrent(Layer):
    """What the three recurrent layers share: options, weights, masks, dropout, states and outputs."""

    gates = 1  # weight blocks side by side in the kernels
    state_count = 1
    supports_masking = True

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, zero_output_for_mask: bool = False,
                 use_cudnn: Any = "auto", implementation: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.units = check_positive_int(kind, "units", units)
        if stateful:
            raise ValueError(f"{kind}: stateful=True is not supported (minidl's recurrent layers start every "
                             "batch from initial_state or zeros); pass the states with initial_state= instead")
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
        self.initializers = {"kernel": initializers.get(kernel_initializer),
                             "recurrent": initializers.get(recurrent_initializer),
                             "bias": initializers.get(bias_initializer)}
        self.regularizers = {"kernel": regularizers.get(kernel_regularizer),
                             "recurrent": regularizers.get(recurrent_regularizer),
                             "bias": regularizers.get(bias_regularizer)}
        self.constraints = {"kernel": constraints.get(kernel_constraint),
                            "recurrent": constraints.get(recurrent_constraint),
                            "bias": constraints.get(bias_constraint)}
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), False, bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)

    # ----------------------------------------------------------------- weights and shapes
    def bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def bias_initializer(self) -> Any:
        return self.initializers["bias"]

    def _weight(self, name: str, option: str, shape: tuple, initializer: Any = None) -> Tensor:
        return self.add_weight(shape=shape, initializer=initializer or self.initializers[option], name=name,
                               regularizer=self.regularizers[option], constraint=self.constraints[option])

    @staticmethod
    def _sequence_shape(input_shape: Any) -> tuple:
        return tuple(input_shape[0] if isinstance(input_shape, list) else input_shape)

    def build(self, input_shape: Any) -> None:
        features = self._sequence_shape(input_shape)[-1]
        self.compute_output_shape(input_shape)
        width = self.gates * self.units
        self.kernel = self._weight("kernel", "kernel", (features, width))
        self.recurrent_kernel = self._weight("recurrent_kernel", "recurrent", (self.units, width))
        self.bias = self._weight("bias", "bias", self.bias_shape(), self.bias_initializer()) if self.use_bias \
            else None

    def _build_once(self, input_shape: Any) -> None:
        super()._build_once(input_shape)
        self.built_input_shape = any_length(self.built_input_shape)  # sequences of any length, as Keras's

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = self._sequence_shape(input_shape)
        if len(shape) != 2 or shape[-1] is None:
            raise ValueError(f"layer {self.label!r}: inputs must be (time, features) per sample with a known "
                             f"number of features, got shape {shape}")
        output = (shape[0], self.units) if self.return_sequences else (self.units,)
        return [output] + [(self.units,)] * self.state_count if self.return_state else output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        mask = mask[0] if isinstance(mask, list) else mask
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * self.state_count if self.return_state else output_mask

    # ----------------------------------------------------------------- calling
    def __call__(self, inputs: Any, *args: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        """``layer(x)``, or ``layer(x, initial_state=[h, ...])``: the states join the inputs (a graph records them)."""
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != self.state_count:
                raise ValueError(f"layer {self.label!r}: initial_state must hold {self.state_count} tensor(s) "
                                 f"of shape (batch, {self.units}), got {len(states)}")
            inputs = [inputs, *states]
        return super().__call__(inputs, *args, **kwargs)

    def call(self, x: Any, training: bool, mask: Any = None) -> Any:
        x, given_states = (x[0], list(x[1:])) if isinstance(x, list) else (x, [])
        mask = mask[0] if isinstance(mask, list) else mask
        batch, steps = x.shape[0], x.shape[1]
        keep = None if mask is None else keeps_steps(mask).reshape(batch, steps)
        if self.go_backwards:
            x = F.getitem(x, (slice(None), slice(None, None, -1)))
            keep = None if keep is None else keep[:, ::-1]
        if training and self.dropout > 0:
            x = F.dropout(x, self.dropout, training=True, generator=self._generator,
                          noise_shape=(batch, 1, x.shape[2]))
        xp = backend.get_array_module(x.data)
        recurrent_keep = None
        if training and self.recurrent_dropout > 0:
            generator = self._generator or minidl_random.generator_for(xp)
            draw = backend.uniform(generator, (batch, self.units), x.data)
            recurrent_keep = (draw >= self.recurrent_dropout).astype(x.dtype) / (1 - self.recurrent_dropout)
        states = given_states or [Tensor(xp.zeros((batch, self.units), dtype=x.dtype)) for _ in
                                  range(self.state_count)]
        sequence = self.run_cell(x, states, keep, recurrent_keep)  # (batch, time, state_count * units)
        units = self.units
        hidden = sequence if self.state_count == 1 else F.getitem(sequence, (Ellipsis, slice(0, units)))
        if keep is not None:  # a masked step outputs the previous output (zeros before any real step)
            shown = keep if self.zero_output_for_mask else numpy.logical_or.accumulate(backend.to_numpy(keep), axis=1)
            hidden = hidden * xp.asarray(shown, dtype=x.dtype)[:, :, None]
        output = hidden if self.return_sequences else F.getitem(hidden, (slice(None), -1))
        if not self.return_state:
            return output
        finals = [F.getitem(sequence, (slice(None), -1, slice(k * units, (k + 1) * units)))
                  for k in range(self.state_count)]
        return [output, *finals]

    def run_cell(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        raise NotImplementedError

    def keras_variable_groups(self) -> list:
        """Where a .keras file keeps the weights: in the layer's cell, as Keras's RNN layers hold them."""
        return [("cell/vars", self.weights)]

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        config = {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias, "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                  "seed": self.seed, "return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "stateful": False, "unroll": self.unroll,
                  "zero_output_for_mask": self.zero_output_for_mask}
        for option in _OPTIONS:
            config[f"{option}_initializer"] = initializers.serialize(self.initializers[option])
            config[f"{option}_regularizer"] = regularizers.serialize(self.regularizers[option])
            config[f"{option}_constraint"] = constraints.serialize(self.constraints[option])
        return config


class SimpleRNN(_Recurrent):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias), kernel (features, units)."""

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation, **kwargs)

    def run_cell(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        return simple_rnn(F.linear(x, self.kernel, self.bias), self.recurrent_kernel, states[0],
                          self.activation_name, keep, recurrent_keep)

    def get_config(self) -> dict:
        return super().get_config()


class LSTM(_Recurrent):
    """Long short-term memory: gates i, f, c, o side by side (Keras's order); states [h, c].

    ``unit_forget_bias`` (Keras's default) starts the forget gate's bias at 1.
    """

    gates, state_count = 4, 2

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.initializers["bias"]
        units, initializer = self.units, self.initializers["bias"]

        def ones_for_the_forget_gate(shape: tuple, dtype: Any = None) -> Any:
            return numpy.concatenate([initializer((units,), dtype), numpy.ones(units, dtype=dtype),
                                      initializer((2 * units,), dtype)])
        return ones_for_the_forget_gate

    def run_cell(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
        return lstm(F.linear(x, self.kernel, self.bias), self.recurrent_kernel, states[0], states[1],
                    self.activation_name, self.recurrent_activation_name, keep, recurrent_keep)

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRU(_Recurrent):
    """Gated recurrent unit: gates z, r, h side by side (Keras's order); one state h.

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

    def run_cell(self, x: Tensor, states: list, keep: Any, recurrent_keep: Any) -> Tensor:
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
