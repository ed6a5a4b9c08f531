"""Softmax attention (Vaswani et al. 2017, "Attention is all you need"): the weights and the weighted sum.

For one batch element and one head, queries q (T, d), keys k (S, d), values v (S, dv),
a boolean mask m (T, S) (True: may attend) and a scale c (Keras's 1/sqrt(key_dim)):

    s_ij = c * q_i . k_j                       scores            (T, S)
    s_ij = -1e9 where m_ij is False            (Keras's large negative number)
    p_ij = exp(s_ij) / sum_l exp(s_il)         attention weights, softmax over the keys,
    p_ij = 0 where m_ij is False               exactly (Keras's Softmax: a fully masked query attends to nothing)
    o_i  = sum_j p_ij v_j                      output            (T, dv)

``AttentionWeights`` is the first three lines as one Function; the last is a
batched matmul (``minidl.functional.math.MatMul``), with dropout on p between
them in training, as Keras applies it. The backward of the weights, with
g = dL/dp (T, S):

    g_ij     = 0 where m_ij is False           (a masked weight is the constant 0)
    dL/ds_ij = p_ij (g_ij - sum_l g_il p_il)   (the softmax's Jacobian, d p_i / d s_l = p_i (delta_il - p_l))
    dL/ds_ij = 0 where m_ij is False           (a masked score is a constant)
    dL/dq_i  = c * sum_j dL/ds_ij k_j          i.e. dQ = c dS K
    dL/dk_j  = c * sum_i dL/ds_ij q_i          i.e. dK = c dS^T Q

Leading axes (batch, heads) are independent; the mask broadcasts over them.
``dot_product_attention`` composes the two steps.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.functional.dropout import dropout
from minidl.functional.math import matmul

#: the score given to masked positions, Keras's ``_large_negative_number`` for float32 and float64
MASKED_SCORE = -1e9


def masked_scores(scores: Any, mask: Any) -> Any:
    """``scores`` with ``MASKED_SCORE`` where ``mask`` (broadcast to the scores) is False (arrays)."""
    if mask is None:
        return scores
    xp = backend.get_array_module(scores)
    return xp.where(mask, scores, scores.dtype.type(MASKED_SCORE))


def softmax_last_axis(scores: Any) -> Any:
    """p = exp(s - max s) / sum exp(s - max s) over the last axis (arrays; shifted for stability)."""
    xp = backend.get_array_module(scores)
    shifted = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class AttentionWeights(Function):
    """p = softmax(mask(c * q k^T)) over the keys, 0 where masked; q (..., T, d), k (..., S, d) -> p (..., T, S).

    The mask (..., T, S) of booleans broadcasts over the leading axes; see the module docstring for the backward.
    """

    def __init__(self, scale: float, mask: Any = None) -> None:
        self.scale, self.mask = scale, mask

    def forward(self, q: Any, k: Any) -> Any:
        xp = backend.get_array_module(q)
        self.q, self.k = q, k
        scores = (q @ xp.ascontiguousarray(xp.swapaxes(k, -1, -2))) * q.dtype.type(self.scale)  # BLAS per matrix
        self.p = softmax_last_axis(masked_scores(scores, self.mask))
        if self.mask is None:
            return self.p
        return xp.where(self.mask, self.p, self.p.dtype.type(0))

    def backward(self, gp: Any) -> tuple:
        xp = backend.get_array_module(gp)
        if self.mask is not None:
            gp = xp.where(self.mask, gp, gp.dtype.type(0))
        gs = self.p * (gp - (gp * self.p).sum(axis=-1, keepdims=True))
        if self.mask is not None:
            gs = xp.where(self.mask, gs, gs.dtype.type(0))
        scale = gs.dtype.type(self.scale)
        gq = (gs @ self.k) * scale if self.needs_input_grad[0] else None
        gk = (xp.swapaxes(gs, -1, -2) @ self.q) * scale if self.needs_input_grad[1] else None
        return gq, gk


def _checked_mask(mask: Any, scores_shape: tuple, like: Any) -> Any:
    """The mask as booleans (values > 0.5 where it is numeric, as Keras's Softmax), checked to broadcast."""
    if mask is None:
        return None
    xp = backend.get_array_module(like)
    mask = mask.data if isinstance(mask, Tensor) else mask
    mask = xp.asarray(mask)
    if mask.dtype != bool:
        mask = mask > 0.5
    try:
        numpy.broadcast_shapes(mask.shape, scores_shape)
    except ValueError:
        raise ValueError(f"attention: the mask of shape {mask.shape} does not broadcast to the attention scores "
                         f"of shape {scores_shape} (..., queries, keys)") from None
    return mask


def attention_weights(q: Any, k: Any, scale: float, mask: Any = None) -> Tensor:
    """softmax(c q k^T) over the keys, masked positions (mask False) left out; q (..., T, d), k (..., S, d)."""
    q, k = as_tensor(q), as_tensor(k)
    if q.ndim < 2 or q.shape[-1] != k.shape[-1] or q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"attention: queries (..., T, d) and keys (..., S, d) must agree on d and the leading axes, "
                         f"got shapes {q.shape} and {k.shape}")
    scores_shape = q.shape[:-1] + (k.shape[-2],)
    return AttentionWeights(scale, _checked_mask(mask, scores_shape, q.data))(q, k)


def dot_product_attention(q: Any, k: Any, v: Any, scale: float, mask: Any = None, dropout_rate: float = 0.0,
                          training: bool = False, generator: Any = None) -> tuple[Tensor, Tensor]:
    """(o, p): the attention output o = dropout(p) v (..., T, dv) and the weights p (..., T, S).

    q (..., T, d), k (..., S, d), v (..., S, dv); ``mask`` broadcasts to (..., T, S) (True: attend).
    """
    v = as_tensor(v)
    p = attention_weights(q, k, scale, mask)
    if v.shape[:-1] != p.shape[:-2] + (p.shape[-1],):
        raise ValueError(f"attention: values must have shape (..., S, dv) with S = {p.shape[-1]} keys, "
                         f"got {v.shape}")
    dropped = dropout(p, dropout_rate, training, generator) if dropout_rate > 0 else p
    return matmul(dropped, v), p
