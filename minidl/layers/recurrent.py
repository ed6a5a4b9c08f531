"""SimpleRNN, LSTM and GRU: recurrent layers over (batch, time, features), with Keras 3's weights and options.

Each is Keras's: an ``RNN`` (``minidl.layers.rnn``) around its cell
(``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` in
``minidl.layers.recurrent_cells``), made from the layer's own options,
whose weights it holds: ``kernel`` (features, k units),
``recurrent_kernel`` (units, k units) and ``bias`` (k units,) — k = 1, 4
(gates i, f, c, o) and 3 (gates z, r, h); a GRU with ``reset_after``
(Keras's default) has the bias (2, 3 units). ``layer.kernel``,
``layer.units``, ... read the cell's. A call projects every step at once
(``x @ kernel + bias``, one matmul) and hands the loop over time to the
cell's function in ``minidl.functional`` (``simple_rnn``, ``lstm``, ``gru``),
whose backward runs through time.

As Keras: ``return_sequences``, ``return_state`` (the final states after
the output: [output, h] or [output, h, c]), ``go_backwards``,
``initial_state=`` (a list of (batch, units) tensors), ``stateful`` (with
``reset_states()``), ``dropout`` (one keep-mask per sample and feature,
the same at every step) and ``recurrent_dropout`` (likewise on h_{t-1}),
in training only. A mask (batch, time) (from ``Embedding(mask_zero=True)``
or ``Masking``) makes a masked step carry the states through unchanged; the
output there is the previous step's (zeros before the first real step), or
zeros with ``zero_output_for_mask``.
"""

from __future__ import annotations

from typing import Any

from minidl import activations
from minidl.core.registry import snake_case
from minidl.functional.recurrent_activations import check_recurrent_activation
from minidl.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from minidl.layers.rnn import RNN



class _FusedRecurrent(RNN):
    """An RNN made of one of minidl's cells, configured by the cell's options and the layer's (Keras's layers)."""

    cell_class: type = SimpleRNNCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, zero_output_for_mask: bool = False,
                 use_cudnn: Any = "auto", implementation: int = 2, **kwargs: Any) -> None:
        kind = type(self).__name__
        for option, value in (("activation", activation), ("recurrent_activation", recurrent_activation)):
            check_recurrent_activation(f"{kind} {option}", activations.serialize(activations.get(value)))
        cell_only = {key: kwargs.pop(key) for key in ("unit_forget_bias", "reset_after") if key in kwargs}
        if self.cell_class is not SimpleRNNCell:
            cell_only["recurrent_activation"] = recurrent_activation
        cell = self.cell_class(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name=snake_case(self.cell_class.__name__), **cell_only)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask, **kwargs)

    def wrapped_layers(self) -> dict:
        return {}  # Keras writes the cell's options as the layer's own

    def get_config(self) -> dict:
        config = {**super().get_config(), **self.cell.get_config()}
        config.update(name=self.name, trainable=self.trainable, dtype=self.dtype.name)
        config.pop("cell")
        return config


def _forwarded(option: str) -> property:
    return property(lambda layer: getattr(layer.cell, option), doc=f"The cell's ``{option}``.")


for _option in ("units", "activation", "recurrent_activation", "use_bias", "dropout", "recurrent_dropout", "seed",
                "kernel", "recurrent_kernel", "bias", "activation_name", "recurrent_activation_name",
                "initializers", "regularizers", "constraints"):
    setattr(_FusedRecurrent, _option, _forwarded(_option))


class SimpleRNN(_FusedRecurrent):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias), kernel (features, units)."""

    cell_class = SimpleRNNCell

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation, **kwargs)


class LSTM(_FusedRecurrent):
    """Long short-term memory: gates i, f, c, o side by side (Keras's order); states [h, c].

    ``unit_forget_bias`` (Keras's default) starts the forget gate's bias at 1.
    """

    cell_class = LSTMCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, recurrent_activation, unit_forget_bias=unit_forget_bias, **kwargs)

    unit_forget_bias = _forwarded("unit_forget_bias")


class GRU(_FusedRecurrent):
    """Gated recurrent unit: gates z, r, h side by side (Keras's order); one state h.

    ``reset_after=True`` (Keras's default, cuDNN's form) applies the reset
    gate after the recurrent matmul and gives the bias the shape
    (2, 3 units): the input bias, then the recurrent bias.
    """

    cell_class = GRUCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, recurrent_activation, reset_after=reset_after, **kwargs)

    reset_after = _forwarded("reset_after")
