"""RNN and StackedRNNCells: a cell run over the steps of a sequence, as Keras 3's ``keras.layers.RNN``.

``RNN(cell)`` reads inputs (batch, time, features) one step at a time:
``output_t, states_t = cell(x_t, states_{t-1})``. A cell is a layer (or
any object) with ``state_size`` (an int, or a list: one per state, a list
again for a stack) and ``call(inputs, states)`` returning
``(output, new_states)``; optionally ``output_size`` (else the first
state's size) and ``get_initial_state(batch_size=...)`` (else zeros).
``RNN([cell_1, cell_2])`` stacks cells (``StackedRNNCells``): each step
feeds each cell's output to the next. minidl's own cells (``SimpleRNNCell``,
``LSTMCell``, ``GRUCell``) run the whole sequence at once through their
functional form (one matmul for the inputs, a backward through time);
any other cell runs step by step, its gradients through autodiff.

As Keras: ``return_sequences`` (every step's output, else the last),
``return_state`` (the final states after the output: [output, h, c]; a
stack's nested by cell, as Keras's: [output, [h_1, c_1], h_2]),
``go_backwards`` (read the sequence last step first; the returned
sequence stays in that order), ``initial_state=`` (a list of (batch, size)
tensors), ``zero_output_for_mask``, and ``unroll`` (accepted; the same
numbers). A mask (batch, time) makes a masked step carry the states through
unchanged; the output there is the previous step's (zeros before the
first real step), or zeros with ``zero_output_for_mask``.

``stateful=True``: the final states of a batch are the initial states of
the next (sample i of a batch continues sample i of the previous one), so
every batch must have the batch size of the first; ``reset_states()``
(Keras's ``reset_state()``) sets them back to zeros, or to given values.
The states are no weights: they are neither trained nor saved, as in Keras.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import functional as F
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.core.registry import serialize, snake_case
from minidl.layers.base import Layer
from minidl.layers.masks import any_length, keeps_steps
from minidl.layers.recurrent_cells import _Cell
from minidl.layers.symbolic import flatten
from minidl.layers.wrappers import _layer_of, keras_variable_groups


def flat_state_sizes(state_size: Any) -> list:
    """The size of every state of a cell, nested lists flattened: 4 -> [4], [[4, 4], 2] -> [4, 4, 2]."""
    return [int(size) for size in flatten(state_size if isinstance(state_size, (list, tuple)) else [state_size])]


def pack_states(flat: list, state_size: Any) -> list:
    """``flat`` states in the nesting of ``state_size`` as Keras hands them to a cell: always a list at the top."""
    items = list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]
    packed, position = [], 0
    for item in items:
        count = len(flat_state_sizes(item))
        packed.append(flat[position] if not isinstance(item, (list, tuple)) else
                      pack_states(flat[position:position + count], item))
        position += count
    return packed


def _check_cell(cell: Any, what: str) -> Any:
    cell = _layer_of(cell, what) if isinstance(cell, dict) else cell
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{what} must have a call method (call(inputs, states) -> (output, new_states)), "
                         f"got {cell!r}")
    size = getattr(cell, "state_size", None)
    if size is None or not all(isinstance(s, (int, numpy.integer)) and s > 0 for s in flatten(
            size if isinstance(size, (list, tuple)) else [size])):
        raise ValueError(f"{what} must have a state_size (a positive int, or a list of them: one per state), "
                         f"got {size!r} for {cell!r}")
    return cell


def _cell_entry(cell: Any) -> dict:
    """{"class_name", "config"} of a cell (a registered class under its registered name)."""
    return serialize(cell)


def _output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else flat_state_sizes(cell.state_size)[0]


def _build_cell(cell: Any, step_shape: tuple) -> None:
    if isinstance(cell, Layer) and not cell.built:
        cell._build_once(step_shape)


def _reset_dropout_masks(cell: Any) -> None:
    for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
        if callable(getattr(cell, reset, None)):
            getattr(cell, reset)()
    for inner in getattr(cell, "cells", []) if isinstance(cell, StackedRNNCells) else []:
        _reset_dropout_masks(inner)


class StackedRNNCells(Layer):
    """Cells run one after the other at every step: each cell's output is the next one's input (Keras's).

    ``state_size`` lists each cell's (a list inside for a cell of several
    states); the output is the last cell's.
    """

    def __init__(self, cells: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells: cells must be a non-empty list of cells, got {cells!r}")
        self.cells = [_check_cell(cell, "StackedRNNCells cell") for cell in cells]

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            _build_cell(cell, shape)
            shape = (_output_size(cell),)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (self.output_size,)

    def get_initial_state(self, batch_size: int | None = None) -> list:
        return [cell.get_initial_state(batch_size=batch_size) if callable(getattr(cell, "get_initial_state", None))
                else [Tensor(numpy.zeros((batch_size, size), dtype=self.dtype))
                      for size in flat_state_sizes(cell.state_size)] for cell in self.cells]

    def call(self, inputs: Tensor, states: Any, training: bool = False) -> tuple:
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=True):
            nested = isinstance(cell_states, (list, tuple))
            inputs, cell_states = step(cell, inputs, list(cell_states) if nested else [cell_states], training)
            new_states.append(cell_states if nested or len(cell_states) != 1 else cell_states[0])
        return inputs, new_states

    def wrapped_layers(self) -> dict:
        return {"cells": list(self.cells)}

    def keras_variable_groups(self) -> list:
        """A .keras file keeps each cell's weights under ``cells/<class in snake case>[_n]/``, as Keras."""
        groups, used = [], {}
        for cell in self.cells:
            base = snake_case(type(cell).__name__)
            used[base] = used.get(base, -1) + 1
            name = base if used[base] == 0 else f"{base}_{used[base]}"
            groups += [(f"cells/{name}/{path}", weights) for path, weights in keras_variable_groups(cell)]
        return groups

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [_cell_entry(cell) for cell in self.cells]}


def step(cell: Any, inputs: Tensor, states: list, training: bool) -> tuple:
    """One call of ``cell`` on a step: (output, new states as a list)."""
    if isinstance(cell, Layer):
        output, new_states = cell(inputs, states, training=training)
    else:
        output, new_states = cell.call(inputs, states)
    return output, (list(new_states) if isinstance(new_states, (list, tuple)) else [new_states])


class RNN(Layer):
    """A cell over the steps of a sequence: see the module docstring."""

    supports_masking = True

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        self.cell = _check_cell(cell, f"{type(self).__name__} cell")
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._states: list | None = None  # stateful: the final states of the latest batch

    # ----------------------------------------------------------------- sizes and shapes
    @property
    def state_size(self) -> list:
        """Keras's: the cell's state sizes as a list (one entry per state; a list inside for a stack)."""
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    @property
    def state_count(self) -> int:
        """How many state tensors the layer takes and returns (a stack's, one after the other)."""
        return len(flat_state_sizes(self.cell.state_size))

    @staticmethod
    def _sequence_shape(input_shape: Any) -> tuple:
        return tuple(input_shape[0] if isinstance(input_shape, list) else input_shape)

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)
        _build_cell(self.cell, self._sequence_shape(input_shape)[1:])
        for weight in self.cell.weights if isinstance(self.cell, Layer) else []:
            weight.name = f"{self.label}/{weight.name}"  # Keras's path: lstm/lstm_cell/kernel

    def _build_once(self, input_shape: Any) -> None:
        super()._build_once(input_shape)
        self.built_input_shape = any_length(self.built_input_shape)  # sequences of any length, as Keras's

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = self._sequence_shape(input_shape)
        if len(shape) < 2 or shape[-1] is None:
            raise ValueError(f"layer {self.label!r}: inputs must be (time, features) per sample with a known "
                             f"number of features, got shape {shape}")
        size = _output_size(self.cell)
        output = (shape[0], size) if self.return_sequences else (size,)
        states = [(s,) for s in flat_state_sizes(self.cell.state_size)]
        return [output, *states] if self.return_state else output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        mask = mask[0] if isinstance(mask, list) else mask
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * self.state_count if self.return_state else output_mask

    # ----------------------------------------------------------------- states
    @property
    def states(self) -> list | None:
        """A stateful layer's current states (None before its first batch), as Keras's ``layer.states``."""
        return self._states

    def get_initial_state(self, batch_size: int) -> list:
        """The cell's initial states for ``batch_size`` samples (its ``get_initial_state``, else zeros), flat."""
        initial = getattr(self.cell, "get_initial_state", None)
        if callable(initial):
            return [item if isinstance(item, Tensor) else Tensor(item)
                    for item in flatten(initial(batch_size=batch_size))]
        return [Tensor(numpy.zeros((batch_size, size), dtype=self.dtype))
                for size in flat_state_sizes(self.cell.state_size)]

    def reset_states(self, states: Any = None) -> None:
        """Back to zeros (or to ``states``, arrays of (batch, size)) before the next batch of a stateful layer;
        nothing for a layer that keeps no states (Keras 3's ``reset_state``)."""
        if not self.stateful and states is not None:
            raise ValueError(f"layer {self.label!r} is not stateful: reset_states(states) needs stateful=True")
        if states is None:
            self._states = None if self._states is None else [Tensor(s.data * 0) for s in self._states]
            return
        arrays = [numpy.asarray(getattr(s, "data", s)) for s in flatten(states if isinstance(states, (list, tuple))
                                                                        else [states])]
        sizes = flat_state_sizes(self.cell.state_size)
        if len(arrays) != len(sizes) or any(a.ndim != 2 or a.shape[1] != s for a, s in zip(arrays, sizes)):
            raise ValueError(f"layer {self.label!r}: reset_states needs {len(sizes)} array(s) of shape (batch, size) "
                             f"with sizes {sizes}, got shapes {[a.shape for a in arrays]}")
        self._states = [Tensor(a.astype(self.dtype)) for a in arrays]

    def reset_state(self) -> None:
        """Keras 3's name of ``reset_states()``."""
        self.reset_states()

    def _starting_states(self, given: list, x: Tensor) -> list:
        batch = x.shape[0]
        if given:
            return given
        if self.stateful and self._states is not None:
            expected = self._states[0].shape[0]
            if batch != expected:
                raise ValueError(f"layer {self.label!r} is stateful: every batch must hold {expected} sequences "
                                 f"(the batch size of its states), got {batch}")
            states = self._states
        else:
            states = self.get_initial_state(batch)
        return [Tensor(backend.to_device(s.data.astype(x.dtype), x.device)) for s in states]

    # ----------------------------------------------------------------- calling
    def __call__(self, inputs: Any, *args: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        """``layer(x)``, or ``layer(x, initial_state=[h, ...])``: the states join the inputs (a graph records them)."""
        if initial_state is not None:
            states = flatten(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != self.state_count:
                raise ValueError(f"layer {self.label!r}: initial_state must hold {self.state_count} tensor(s) of "
                                 f"shapes (batch, size) with sizes {flat_state_sizes(self.cell.state_size)}, "
                                 f"got {len(states)}")
            inputs = [inputs, *states]
        outputs = super().__call__(inputs, *args, **kwargs)
        if self.return_state and any(isinstance(size, (list, tuple)) for size in self.state_size):
            return [outputs[0], *pack_states(list(outputs[1:]), self.cell.state_size)]  # a stack's, nested by cell
        return outputs

    def call(self, x: Any, training: bool, mask: Any = None) -> Any:
        x, given = (x[0], list(x[1:])) if isinstance(x, list) else (x, [])
        mask = mask[0] if isinstance(mask, list) else mask
        batch, steps = x.shape[0], x.shape[1]
        keep = None if mask is None else keeps_steps(mask).reshape(batch, steps)
        states = self._starting_states(given, x)
        if self.go_backwards:
            x = F.getitem(x, (slice(None), slice(None, None, -1)))
            keep = None if keep is None else keep[:, ::-1]
        try:
            if isinstance(self.cell, _Cell) and type(self.cell).call is _Cell.call:
                output, finals = self._run_whole_sequence(x, states, keep, training)
            else:
                output, finals = self._run_step_by_step(x, states, keep, training)
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful:
            self._states = [Tensor(final.data.copy()) for final in finals]
        return [output, *finals] if self.return_state else output

    def _run_whole_sequence(self, x: Tensor, states: list, keep: Any, training: bool) -> tuple:
        """One of minidl's cells over the whole sequence at once (its functional form's backward through time)."""
        cell, units = self.cell, self.cell.units
        sequence = cell.dropped_sequence(x, states, keep, training)  # (batch, time, state_count * units)
        hidden = sequence if cell.state_count == 1 else F.getitem(sequence, (Ellipsis, slice(0, units)))
        if keep is not None:  # a masked step outputs the previous output (zeros before any real step)
            shown = keep if self.zero_output_for_mask else numpy.logical_or.accumulate(backend.to_numpy(keep), axis=1)
            hidden = hidden * backend.get_array_module(x.data).asarray(shown, dtype=x.dtype)[:, :, None]
        output = hidden if self.return_sequences else F.getitem(hidden, (slice(None), -1))
        finals = [F.getitem(sequence, (slice(None), -1, slice(k * units, (k + 1) * units)))
                  for k in range(cell.state_count)]
        return output, finals

    def _run_step_by_step(self, x: Tensor, states: list, keep: Any, training: bool) -> tuple:
        """Any cell, one step at a time; a masked step keeps the states and repeats the previous output."""
        xp = backend.get_array_module(x.data)
        outputs, previous = [], None
        for t in range(x.shape[1]):
            output, new_states = step(self.cell, F.getitem(x, (slice(None), t)),
                                      pack_states(states, self.cell.state_size), training)
            new_states = flatten(new_states)
            if len(new_states) != len(states):
                raise ValueError(f"layer {self.label!r}: the cell returned {len(new_states)} state(s), its "
                                 f"state_size says {len(states)}")
            if keep is not None:
                kept = xp.asarray(keep[:, t:t + 1])
                new_states = [F.where(kept, new, old) for new, old in zip(new_states, states)]
                if previous is None or self.zero_output_for_mask:
                    previous = Tensor(xp.zeros(output.shape, dtype=output.dtype))
                output = F.where(kept, output, previous)
            states, previous = new_states, output
            outputs.append(output)
        output = F.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return output, states

    # ----------------------------------------------------------------- files and configuration
    def wrapped_layers(self) -> dict:
        return {"cell": self.cell} if isinstance(self.cell, Layer) else {}

    def keras_variable_groups(self) -> list:
        """Where a .keras file keeps the weights: in the layer's cell (``cell/vars``; a stack's below it)."""
        return [(f"cell/{path}", weights) for path, weights in keras_variable_groups(self.cell)]

    def get_config(self) -> dict:
        return {**super().get_config(), "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask, "cell": _cell_entry(self.cell)}

