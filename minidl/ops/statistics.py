"""Order statistics and moments: ``quantile``, ``median``, ``moments``, ``amax``/``amin``, ``ptp``.

``quantile(x, q)`` sorts ``x`` along the reduced axes (moved to the end and
merged) and reads the sorted values at the virtual index p = q (n - 1):
with i = floor(p) and t = p - i, method "linear" (numpy's default) gives

    Q(q) = s[i] (1 - t) + s[i + 1] t

"lower" s[i], "higher" s[ceil(p)], "nearest" s[round(p)] (halves to even,
as numpy), "midpoint" (s[i] + s[ceil(p)]) / 2. For a Tensor the sort and the
picks are differentiable (``sort``, ``take``), so dQ/ds[i] = 1 - t,
dQ/ds[i + 1] = t, and each sorted value's gradient goes back to the element
it came from. A sequence of q puts the q axis first, as numpy and Keras.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl.ops.arrays import _axes, max, mean, min, reshape, sort, take, transpose, var
from minidl.ops.dispatch import array_module, as_array, tensor_in
from minidl.ops.math import add, multiply, subtract

METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _to_last_axis(x: Any, axis: Any) -> tuple:
    """``x`` with the axes to reduce merged into its last one, and the reduced axes (sorted, non-negative)."""
    shape = tuple(as_array(x).shape)
    axes = tuple(range(len(shape))) if axis is None else tuple(sorted(_axes(axis, len(shape))))
    kept = [a for a in range(len(shape)) if a not in axes]
    moved = transpose(x, kept + list(axes)) if kept + list(axes) != list(range(len(shape))) else x
    merged = tuple(shape[a] for a in kept) + (math.prod(shape[a] for a in axes),)
    return reshape(moved, merged), axes


def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Any:
    """The ``q``-th quantile(s) of ``x`` over ``axis`` (all axes when None); see the module docstring."""
    if method not in METHODS:
        raise ValueError(f"quantile: method must be one of {METHODS}, got {method!r}")
    fractions = numpy.asarray(as_array(q), dtype=float)
    if fractions.ndim > 1 or numpy.any(~((fractions >= 0) & (fractions <= 1))):
        raise ValueError(f"quantile: q must be a number or a 1-D sequence of numbers in [0, 1], got {q!r}")
    x = x if tensor_in(x) or as_array(x).dtype.kind in "fc" else as_array(x).astype("float32")
    merged, axes = _to_last_axis(x, axis)
    sorted_values = sort(merged, axis=-1)
    n = as_array(merged).shape[-1]
    if n == 0:
        raise ValueError("quantile: x has no elements along the reduced axes")
    position = fractions.reshape(-1) * (n - 1)
    low, high = numpy.floor(position).astype(int), numpy.ceil(position).astype(int)
    weight = position - low
    if method == "lower":
        high = low
    elif method == "higher":
        low = high
    elif method == "nearest":
        low = high = numpy.around(position).astype(int)
    elif method == "midpoint":
        weight = numpy.where(high > low, 0.5, 0.0)
    dtype = as_array(merged).dtype
    xp = array_module(as_array(merged))
    lows, highs = take(sorted_values, xp.asarray(low), axis=-1), take(sorted_values, xp.asarray(high), axis=-1)
    result = add(multiply(lows, xp.asarray(1 - weight, dtype=dtype)), multiply(highs, xp.asarray(weight, dtype=dtype)))
    if keepdims:  # size 1 where the reduced axes were, the q axis last for now
        shape = list(as_array(result).shape[:-1])
        for a in axes:
            shape.insert(a, 1)
        result = reshape(result, tuple(shape) + (len(position),))
    result_ndim = len(as_array(result).shape)
    result = transpose(result, [result_ndim - 1] + list(range(result_ndim - 1)))  # the q axis first
    if fractions.ndim == 0:
        result = reshape(result, tuple(as_array(result).shape[1:]))
    return result


def median(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The middle value over ``axis`` (the mean of the two middle ones for an even count): ``quantile(x, 0.5)``."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple:
    """(mean, variance) of ``x`` over ``axes``, the biased variance, as Keras's ``ops.moments``."""
    return mean(x, axes, keepdims), var(x, axes, keepdims)


def amax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return max(x, axis, keepdims)


def amin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return min(x, axis, keepdims)


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The range max - min over ``axis``."""
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))
