"""A simple recurrent network run over a whole sequence, and its backward through time.

The inputs arrive already projected, ``p_t = x_t @ W + b`` for every step
at once (one matmul before the loop, done by ``linear``); the loop adds the
recurrent term::

    a_t = p_t + (h_{t-1} * d) @ U          U: (units, units), d: recurrent dropout mask (1 outside training)
    h_t = f(a_t)                            where step t is kept (mask_t = 1)
    h_t = h_{t-1}                           where it is masked: the state is carried through unchanged

Backward, from ``G_t = dL/dh_t`` (the gradient of whatever read h_t) and the
gradient ``g`` flowing back from step t+1, from the last step down::

    g      = g + G_t
    da_t   = mask_t * g * f'(a_t)
    dp_t   = da_t
    dU    += (h_{t-1} * d)^T @ da_t
    g      = (1 - mask_t) * g + (da_t @ U^T) * d      (the gradient of h_{t-1})

and ``dL/dh_0`` is the final g. Shapes: p (batch, time, units), h_0 (batch,
units), mask (batch, time) booleans, output (batch, time, units): the
states after every step.
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.recurrent_activations import activate, derivative


def step_masks(mask: Any, batch: int, steps: int, like: Any) -> Any:
    """The (batch, time, 1) boolean keep-mask (all True when ``mask`` is None), on ``like``'s device."""
    xp = backend.get_array_module(like)
    if mask is None:
        return xp.ones((batch, steps, 1), dtype=bool)
    return xp.asarray(mask, dtype=bool).reshape(batch, steps, 1)


class SimpleRNNSequence(Function):
    """The states h_1 .. h_T of ``h_t = f(p_t + h_{t-1} U)``; see the module docstring."""

    def __init__(self, activation: str, mask: Any = None, recurrent_dropout: Any = None) -> None:
        self.activation, self.mask, self.recurrent_dropout = activation, mask, recurrent_dropout

    def forward(self, projected: Any, recurrent_kernel: Any, initial_state: Any) -> Any:
        xp = backend.get_array_module(projected)
        batch, steps, units = projected.shape
        keep = step_masks(self.mask, batch, steps, projected)
        drop = 1 if self.recurrent_dropout is None else self.recurrent_dropout
        states = xp.empty((batch, steps, units), dtype=projected.dtype)
        pre_activations = xp.empty_like(states)
        h = initial_state
        for t in range(steps):
            pre_activations[:, t] = projected[:, t] + (h * drop) @ recurrent_kernel
            h = xp.where(keep[:, t], activate(self.activation, pre_activations[:, t]), h)
            states[:, t] = h
        self.saved = (recurrent_kernel, initial_state, keep, drop, states, pre_activations)
        return states

    def backward(self, g_states: Any) -> tuple:
        recurrent_kernel, initial_state, keep, drop, states, pre_activations = self.saved
        xp = backend.get_array_module(g_states)
        g_projected = xp.zeros_like(pre_activations)
        g_kernel = xp.zeros_like(recurrent_kernel)
        g = xp.zeros_like(initial_state)
        for t in reversed(range(states.shape[1])):
            g = g + g_states[:, t]
            h_previous = initial_state if t == 0 else states[:, t - 1]
            y = activate(self.activation, pre_activations[:, t])
            da = xp.where(keep[:, t], g * derivative(self.activation, pre_activations[:, t], y), 0)
            g_projected[:, t] = da
            g_kernel += (h_previous * drop).T @ da
            g = xp.where(keep[:, t], 0, g) + (da @ recurrent_kernel.T) * drop
        return g_projected, g_kernel, g


def simple_rnn(projected: Any, recurrent_kernel: Any, initial_state: Any, activation: str = "tanh",
               mask: Any = None, recurrent_dropout: Any = None) -> Tensor:
    """States (batch, time, units) of a simple RNN over inputs already projected by ``x @ W + b``.

    ``mask`` (batch, time) booleans: False steps carry the state through;
    ``recurrent_dropout`` (batch, units): the scaled keep-mask applied to
    h_{t-1} before its matmul (None outside training).
    """
    return SimpleRNNSequence(activation, mask, recurrent_dropout)(
        as_tensor(projected), as_tensor(recurrent_kernel), as_tensor(initial_state))
