"""A long short-term memory (LSTM) layer run over a whole sequence, and its backward through time.

Keras's layout: the four gates side by side in the order i, f, c, o, so
W is (in, 4 units), U (units, 4 units), b (4 units,). The inputs arrive
already projected, ``p_t = x_t @ W + b`` for every step at once; the loop::

    z_t = p_t + (h_{t-1} * d) @ U                     d: recurrent dropout mask (1 outside training)
    i = s(z_i)   f = s(z_f)   g = f_a(z_c)   o = s(z_o)    s: recurrent_activation, f_a: activation
    c_t = f * c_{t-1} + i * g
    h_t = o * f_a(c_t)
    (h_t, c_t) = (h_{t-1}, c_{t-1})                   where step t is masked

Backward, from the gradients of the outputs ``Gh_t, Gc_t`` and those flowing
back from step t+1 (``gh, gc``), from the last step down (m = mask_t)::

    gh = gh + Gh_t,  gc = gc + Gc_t
    do  = m gh f_a(c_t)
    dc  = m gc + m gh o f_a'(c_t)
    di  = dc g,   df = dc c_{t-1},   dg = dc i
    dz  = [di s'(z_i), df s'(z_f), dg f_a'(z_c), do s'(z_o)]
    dp_t = dz,    dU += (h_{t-1} * d)^T @ dz
    gh  = (1 - m) gh + (dz @ U^T) * d
    gc  = (1 - m) gc + dc f

Output: (batch, time, 2 units), h_t then c_t side by side at every step.
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.recurrent_activations import activate, derivative
from minidl.functional.simple_rnn import step_masks


class LSTMSequence(Function):
    """The states (h_t, c_t) of every step of an LSTM; see the module docstring."""

    def __init__(self, activation: str, recurrent_activation: str, mask: Any = None,
                 recurrent_dropout: Any = None) -> None:
        self.activation, self.recurrent_activation = activation, recurrent_activation
        self.mask, self.recurrent_dropout = mask, recurrent_dropout

    def _gates(self, z: Any, units: int) -> tuple:
        s, a = self.recurrent_activation, self.activation
        return (activate(s, z[:, :units]), activate(s, z[:, units:2 * units]),
                activate(a, z[:, 2 * units:3 * units]), activate(s, z[:, 3 * units:]))

    def forward(self, projected: Any, recurrent_kernel: Any, initial_h: Any, initial_c: Any) -> Any:
        xp = backend.get_array_module(projected)
        batch, steps, width = projected.shape
        units = width // 4
        keep = step_masks(self.mask, batch, steps, projected)
        drop = 1 if self.recurrent_dropout is None else self.recurrent_dropout
        states = xp.empty((batch, steps, 2 * units), dtype=projected.dtype)
        z_all = xp.empty_like(projected)
        h, c = initial_h, initial_c
        for t in range(steps):
            z_all[:, t] = projected[:, t] + (h * drop) @ recurrent_kernel
            i, f, g, o = self._gates(z_all[:, t], units)
            c_new = f * c + i * g
            h = xp.where(keep[:, t], o * activate(self.activation, c_new), h)
            c = xp.where(keep[:, t], c_new, c)
            states[:, t, :units], states[:, t, units:] = h, c
        self.saved = (recurrent_kernel, initial_h, initial_c, keep, drop, states, z_all)
        return states

    def backward(self, g_states: Any) -> tuple:
        recurrent_kernel, initial_h, initial_c, keep, drop, states, z_all = self.saved
        xp = backend.get_array_module(g_states)
        units = initial_h.shape[1]
        s, a = self.recurrent_activation, self.activation
        g_projected, g_kernel = xp.zeros_like(z_all), xp.zeros_like(recurrent_kernel)
        gh, gc = xp.zeros_like(initial_h), xp.zeros_like(initial_c)
        for t in reversed(range(states.shape[1])):
            gh = gh + g_states[:, t, :units]
            gc = gc + g_states[:, t, units:]
            h_previous = initial_h if t == 0 else states[:, t - 1, :units]
            c_previous = initial_c if t == 0 else states[:, t - 1, units:]
            z = z_all[:, t]
            i, f, g, o = self._gates(z, units)
            c = f * c_previous + i * g  # this step's new cell (the stored one is the carried one where masked)
            tanh_c = activate(a, c)
            m = keep[:, t]
            gh_kept, gc_kept = xp.where(m, gh, 0), xp.where(m, gc, 0)
            do = gh_kept * tanh_c
            dc = gc_kept + gh_kept * o * derivative(a, c, tanh_c)
            dz = xp.concatenate([dc * g * derivative(s, z[:, :units], i),
                                 dc * c_previous * derivative(s, z[:, units:2 * units], f),
                                 dc * i * derivative(a, z[:, 2 * units:3 * units], g),
                                 do * derivative(s, z[:, 3 * units:], o)], axis=1)
            g_projected[:, t] = dz
            g_kernel += (h_previous * drop).T @ dz
            gh = xp.where(m, 0, gh) + (dz @ recurrent_kernel.T) * drop
            gc = xp.where(m, 0, gc) + dc * f
        return g_projected, g_kernel, gh, gc


def lstm(projected: Any, recurrent_kernel: Any, initial_h: Any, initial_c: Any, activation: str = "tanh",
         recurrent_activation: str = "sigmoid", mask: Any = None, recurrent_dropout: Any = None) -> Tensor:
    """(batch, time, 2 units): h_t and c_t of every step, for inputs already projected by ``x @ W + b``.

    ``mask`` (batch, time) booleans: False steps carry both states through;
    ``recurrent_dropout`` (batch, units): the scaled keep-mask applied to
    h_{t-1} before its matmul (None outside training).
    """
    return LSTMSequence(activation, recurrent_activation, mask, recurrent_dropout)(
        as_tensor(projected), as_tensor(recurrent_kernel), as_tensor(initial_h), as_tensor(initial_c))
