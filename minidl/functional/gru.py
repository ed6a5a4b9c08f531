"""A gated recurrent unit (GRU) layer run over a whole sequence, and its backward through time.

Keras's layout: gates side by side in the order z, r, h, so W is
(in, 3 units) and U (units, 3 units). The inputs arrive already projected,
``p_t = x_t @ W + b_in`` for every step at once. With ``reset_after=True``
(Keras's default; b of shape (2, 3 units): b_in, then the recurrent b_rec)::

    q_t = (h_{t-1} * d) @ U + b_rec                     d: recurrent dropout mask (1 outside training)
    z = s(p_z + q_z)    r = s(p_r + q_r)                s: recurrent_activation
    n = f(p_h + r * q_h)                                f: activation
    h_t = z * h_{t-1} + (1 - z) * n                     (h_{t-1} where step t is masked)

and with ``reset_after=False`` (b of shape (3 units,), all in p; no b_rec)
the reset gate acts before the matmul: ``n = f(p_h + (r * h_{t-1} * d) @ U_h)``.

Backward, from ``G_t = dL/dh_t`` and the gradient ``g`` from step t+1, last
step first (m = mask_t; reset_after=True shown)::

    g   = g + G_t,   gk = m g
    dz  = gk (h_{t-1} - n) s'(z),    dn = gk (1 - z) f'(n)
    dr  = dn q_h s'(r)
    dp_t = [dz, dr, dn],   dq = [dz, dr, dn r],   db_rec += sum_batch dq
    dU += (h_{t-1} * d)^T @ dq
    g   = (1 - m) g + gk z + (dq @ U^T) * d

Output: (batch, time, units), the state after every step.
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.recurrent_activations import activate, derivative
from minidl.functional.simple_rnn import step_masks


class GRUSequence(Function):
    """The states h_t of every step of a GRU; see the module docstring."""

    def __init__(self, activation: str, recurrent_activation: str, reset_after: bool = True, mask: Any = None,
                 recurrent_dropout: Any = None) -> None:
        self.activation, self.recurrent_activation, self.reset_after = activation, recurrent_activation, reset_after
        self.mask, self.recurrent_dropout = mask, recurrent_dropout

    def _step(self, p: Any, h: Any, kernel: Any, recurrent_bias: Any, drop: Any) -> tuple:
        """(z, r, n, q, pre-activations of z, r, n) of one step: the gates, the candidate, the recurrent projection."""
        units = h.shape[1]
        s = self.recurrent_activation
        q = (h * drop) @ kernel + recurrent_bias if self.reset_after else (h * drop) @ kernel[:, :2 * units]
        a_z, a_r = p[:, :units] + q[:, :units], p[:, units:2 * units] + q[:, units:2 * units]
        z, r = activate(s, a_z), activate(s, a_r)
        if self.reset_after:
            a_n = p[:, 2 * units:] + r * q[:, 2 * units:]
        else:
            a_n = p[:, 2 * units:] + (r * h * drop) @ kernel[:, 2 * units:]
        return z, r, activate(self.activation, a_n), q, (a_z, a_r, a_n)

    def forward(self, projected: Any, recurrent_kernel: Any, initial_state: Any, recurrent_bias: Any) -> Any:
        xp = backend.get_array_module(projected)
        batch, steps, width = projected.shape
        keep = step_masks(self.mask, batch, steps, projected)
        drop = 1 if self.recurrent_dropout is None else self.recurrent_dropout
        states = xp.empty((batch, steps, width // 3), dtype=projected.dtype)
        h = initial_state
        for t in range(steps):
            z, r, n, _, _ = self._step(projected[:, t], h, recurrent_kernel, recurrent_bias, drop)
            h = xp.where(keep[:, t], z * h + (1 - z) * n, h)
            states[:, t] = h
        self.saved = (projected, recurrent_kernel, initial_state, recurrent_bias, keep, drop, states)
        return states

    def backward(self, g_states: Any) -> tuple:
        projected, kernel, initial_state, recurrent_bias, keep, drop, states = self.saved
        xp = backend.get_array_module(g_states)
        units = initial_state.shape[1]
        s, a = self.recurrent_activation, self.activation
        g_projected, g_kernel = xp.zeros_like(projected), xp.zeros_like(kernel)
        g_bias = xp.zeros_like(recurrent_bias)
        g = xp.zeros_like(initial_state)
        for t in reversed(range(states.shape[1])):
            g = g + g_states[:, t]
            h = initial_state if t == 0 else states[:, t - 1]
            z, r, n, q, (a_z, a_r, a_n) = self._step(projected[:, t], h, kernel, recurrent_bias, drop)
            gk = xp.where(keep[:, t], g, 0)
            dz = gk * (h - n) * derivative(s, a_z, z)
            dn = gk * (1 - z) * derivative(a, a_n, n)
            if self.reset_after:
                dr = dn * q[:, 2 * units:] * derivative(s, a_r, r)
                dq = xp.concatenate([dz, dr, dn * r], axis=1)
                g_bias += dq.sum(axis=0)
                g_kernel += (h * drop).T @ dq
                g_h = (dq @ kernel.T) * drop
            else:
                kernel_h = kernel[:, 2 * units:]
                d_reset_h = dn @ kernel_h.T  # dL/d(r * h * d)
                dr = d_reset_h * h * drop * derivative(s, a_r, r)
                dq = xp.concatenate([dz, dr], axis=1)
                g_kernel[:, :2 * units] += (h * drop).T @ dq
                g_kernel[:, 2 * units:] += (r * h * drop).T @ dn
                g_h = (dq @ kernel[:, :2 * units].T) * drop + d_reset_h * r * drop
            g_projected[:, t] = xp.concatenate([dz, dr, dn], axis=1)
            g = xp.where(keep[:, t], 0, g) + gk * z + g_h
        return g_projected, g_kernel, g, g_bias


def gru(projected: Any, recurrent_kernel: Any, initial_state: Any, recurrent_bias: Any,
        activation: str = "tanh", recurrent_activation: str = "sigmoid", reset_after: bool = True,
        mask: Any = None, recurrent_dropout: Any = None) -> Tensor:
    """(batch, time, units): h_t of every step, for inputs already projected by ``x @ W + b_in``.

    ``recurrent_bias`` (3 units,): b_rec with ``reset_after`` (zeros for a
    GRU without bias), ignored without; ``mask`` (batch, time) booleans:
    False steps carry the state through; ``recurrent_dropout`` (batch,
    units): the scaled keep-mask applied to h_{t-1} (None outside training).
    """
    return GRUSequence(activation, recurrent_activation, reset_after, mask, recurrent_dropout)(
        as_tensor(projected), as_tensor(recurrent_kernel), as_tensor(initial_state), as_tensor(recurrent_bias))
