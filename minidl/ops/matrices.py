"""numpy-like ``keras.ops`` on matrices and axes: diagonals, triangles, axis moves, stacking, padding, averages.

Each is a composition of differentiable pieces, so given a Tensor it stays
in the graph with no gradient code of its own, except ``pad``:

- ``diagonal``/``trace``/``diag`` are ``einsum("...ii->...i")`` (its
  backward puts gy on the diagonal, zeros elsewhere), after ``moveaxis``;
- ``tril``/``triu`` multiply by a constant 0/1 mask (gradient: the mask);
- ``moveaxis``/``swapaxes`` are transposes; ``vstack``/``hstack``/``unstack``
  are concatenation and indexing; ``average`` is sum(w x) / sum(w);
- ``Pad``: y = x surrounded by constants;  dL/dx = gy without the border.
"""

from __future__ import annotations

import builtins
from typing import Any

from minidl.autodiff.function import Function
from minidl.core import backend
from minidl.ops.arrays import _pick, concatenate, einsum, mean, reshape, sum, transpose
from minidl.ops.dispatch import array_module, as_array, float_array, normalise_axis, tensor_in
from minidl.ops.math import divide, multiply


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """x with the axes ``source`` moved to ``destination`` (ints or sequences, as numpy.moveaxis)."""
    ndim = len(as_array(x).shape)
    source = [normalise_axis(a, ndim, "moveaxis") for a in ((source,) if isinstance(source, int) else source)]
    destination = [normalise_axis(a, ndim, "moveaxis")
                   for a in ((destination,) if isinstance(destination, int) else destination)]
    if len(source) != len(destination):
        raise ValueError(f"moveaxis: {len(source)} source axes for {len(destination)} destinations")
    order = [a for a in range(ndim) if a not in source]
    for place, axis in sorted(zip(destination, source)):
        order.insert(place, axis)
    return transpose(x, tuple(order))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    ndim = len(as_array(x).shape)
    order = list(range(ndim))
    a, b = normalise_axis(axis1, ndim, "swapaxes"), normalise_axis(axis2, ndim, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return transpose(x, tuple(order))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The ``offset``-th diagonal of the matrices on axes (axis1, axis2), as the last axis (numpy.diagonal)."""
    moved = moveaxis(x, (axis1, axis2), (-2, -1))
    rows, columns = as_array(moved).shape[-2:]
    if offset >= 0:
        moved = _pick(moved, (Ellipsis, builtins.slice(0, builtins.max(0, builtins.min(rows, columns - offset))),
                              builtins.slice(offset, None)))
    else:
        moved = _pick(moved, (Ellipsis, builtins.slice(-offset, None),
                              builtins.slice(0, builtins.max(0, builtins.min(columns, rows + offset)))))
    size = builtins.min(as_array(moved).shape[-2:])
    square = _pick(moved, (Ellipsis, builtins.slice(0, size), builtins.slice(0, size)))
    return einsum("...ii->...i", square)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The sum of the ``offset``-th diagonal (numpy.trace)."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diag(x: Any, k: int = 0) -> Any:
    """The k-th diagonal of a matrix, or the square matrix with vector ``x`` on its k-th diagonal (numpy.diag)."""
    shape = as_array(x).shape
    if len(shape) == 2:
        return diagonal(x, k)
    if len(shape) != 1:
        raise ValueError(f"diag: x must have 1 or 2 axes, got shape {tuple(shape)}")
    size = shape[0] + builtins.abs(k)
    xp = array_module(x)
    placed = xp.zeros((shape[0], size, size), dtype=float_array(x).dtype)  # placed[i] has a 1 where x_i goes
    rows = xp.arange(shape[0]) + builtins.max(0, -k)
    placed[xp.arange(shape[0]), rows, rows + k] = 1
    return einsum("i,ijk->jk", x, placed)


def _triangle(x: Any, k: int, lower: bool) -> Any:
    shape = as_array(x).shape
    if len(shape) < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: x needs at least 2 axes, got shape {tuple(shape)}")
    xp = array_module(x)
    ones = xp.ones(shape[-2:], dtype=float_array(x).dtype)
    mask = xp.tril(ones, k) if lower else xp.triu(ones, k)
    return multiply(x, mask) if tensor_in(x) else (as_array(x) * mask.astype(as_array(x).dtype))


def tril(x: Any, k: int = 0) -> Any:
    """x with the entries above the k-th diagonal set to 0 (numpy.tril)."""
    return _triangle(x, k, lower=True)


def triu(x: Any, k: int = 0) -> Any:
    """x with the entries below the k-th diagonal set to 0 (numpy.triu)."""
    return _triangle(x, k, lower=False)


def vstack(xs: Any) -> Any:
    """Rows one after the other: 1-D inputs become rows (numpy.vstack)."""
    return concatenate([reshape(x, (1, -1)) if len(as_array(x).shape) == 1 else x for x in xs], axis=0)


def hstack(xs: Any) -> Any:
    """Columns side by side (1-D inputs joined end to end), as numpy.hstack."""
    return concatenate(list(xs), axis=0 if len(as_array(xs[0]).shape) == 1 else 1)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list:
    """The slices of x along ``axis``, as a list (Keras's ``unstack``)."""
    shape = as_array(x).shape
    axis = normalise_axis(axis, len(shape), "unstack")
    if num is not None and num != shape[axis]:
        raise ValueError(f"unstack: num={num} but axis {axis} has {shape[axis]} entries")
    return [_pick(x, (builtins.slice(None),) * axis + (i,)) for i in range(shape[axis])]


def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """sum(w x) / sum(w) along ``axis`` (the mean without weights); 1-D weights go along ``axis`` (numpy.average)."""
    if weights is None:
        return mean(x, axis=axis)
    shape = as_array(x).shape
    w = as_array(weights)
    if w.ndim == 1 and len(shape) > 1 and isinstance(axis, int):
        w = w.reshape([-1 if a == normalise_axis(axis, len(shape), "average") else 1 for a in range(len(shape))])
    return divide(sum(multiply(x, w), axis=axis), sum(array_module(w).broadcast_to(w, shape), axis=axis))


class Pad(Function):
    """y = x with constants around it (``pad_width`` per axis);  dL/dx = gy with the border cut off."""

    def __init__(self, pad_width: list, value: float) -> None:
        self.pad_width, self.value = pad_width, value

    def forward(self, x: Any) -> Any:
        return backend.get_array_module(x).pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy: Any) -> Any:
        return gy[tuple(builtins.slice(before, gy.shape[a] - after) for a, (before, after) in enumerate(self.pad_width))]


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """x padded by ``pad_width`` ((before, after) per axis, or one pair / one int for all), as numpy.pad."""
    ndim = len(as_array(x).shape)
    widths = as_array(pad_width).astype(int)
    widths = [tuple(int(v) for v in pair) for pair in array_module(widths).broadcast_to(widths, (ndim, 2))]
    if tensor_in(x):
        if mode != "constant":
            raise ValueError(f"pad: only mode='constant' is differentiable in minidl, got mode={mode!r}")
        return Pad(widths, 0.0 if constant_values is None else float(constant_values))(x)
    options = {} if mode != "constant" else {"constant_values": 0 if constant_values is None else constant_values}
    return array_module(x).pad(as_array(x), widths, mode=mode, **options)


def identity(n: int, dtype: Any = None) -> Any:
    """The n x n identity matrix (float32 unless ``dtype`` says otherwise)."""
    from minidl.ops.core import eye  # noqa: PLC0415

    return eye(n, dtype=dtype)


def array(x: Any, dtype: Any = None) -> Any:
    """x as an array (Keras's ``ops.array``: a tensor of the backend, here numpy's)."""
    values = as_array(x)
    return values if dtype is None else values.astype(dtype)
