"""Whole-array ops: reductions, cumulative ops, shapes, indexing, sorting and products of arrays.

Given a Tensor, every op here that Keras differentiates builds the graph:
reductions (``sum`` ... ``norm``, ``logsumexp``), ``cumsum``/``cumprod``,
the shape ops, ``take``/``take_along_axis``/``slice``/``split`` (indexing,
whose backward adds gy into the picked places), ``sort`` and the values of
``top_k`` (picked by their indices), and ``matmul``/``dot``/``outer``/
``einsum``. ``argmax``, ``argmin``, ``argsort``, ``any``, ``all`` and
``count_nonzero`` return plain arrays (indices are int32, as in Keras).
"""

from __future__ import annotations

import builtins
from typing import Any

from minidl import functional as F
from minidl.ops.dispatch import array_module, as_array, float_array, normalise_axis, tensor_in
from minidl.ops.gradients import CumProd, CumSum, Einsum, Prod
from minidl.ops.core import cast
from minidl.ops.math import abs, maximum, minimum, sqrt, square, subtract


def _flat(x: Any) -> Any:
    return F.reshape(x, (-1,)) if tensor_in(x) else as_array(x).reshape(-1)


# ---------------------------------------------------------------------------- reductions
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001 - Keras's name
    return F.sum(x, axis, keepdims) if tensor_in(x) else as_array(x).sum(axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return F.mean(x, axis, keepdims) if tensor_in(x) else float_array(x).mean(axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:  # noqa: A001
    """The largest element (over ``axis``); with ``initial``, never below it. Ties share the gradient."""
    result = F.max(x, axis, keepdims) if tensor_in(x) else as_array(x).max(axis=axis, keepdims=keepdims)
    return result if initial is None else maximum(result, initial)


def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:  # noqa: A001
    result = F.min(x, axis, keepdims) if tensor_in(x) else as_array(x).min(axis=axis, keepdims=keepdims)
    return result if initial is None else minimum(result, initial)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The biased variance mean((x - mean(x))^2), as Keras."""
    x = x if tensor_in(x) else float_array(x)
    return mean(square(subtract(x, mean(x, axis, keepdims=True))), axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """sqrt(var(x)), the biased standard deviation, as Keras."""
    return sqrt(var(x, axis, keepdims))


def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """The product of the elements (over ``axis``); its gradient is exact where elements are 0."""
    if tensor_in(x):
        result = Prod(axis, keepdims)(x)
        return result if dtype is None else cast(result, dtype)
    return as_array(x).prod(axis=axis, keepdims=keepdims, dtype=dtype)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m the largest element."""
    peak = max(x, axis, keepdims=True)
    peak = peak.data if tensor_in(peak) else peak  # a constant shift: the gradient does not flow through it
    shifted = F.exp(F.subtract(x, peak)) if tensor_in(x) else array_module(x).exp(float_array(x) - peak)
    total = sum(shifted, axis, keepdims=True)
    result = F.add(F.log(total), peak) if tensor_in(total) else array_module(total).log(total) + peak
    if keepdims:
        return result
    return reshape(result, ()) if axis is None else squeeze(result, axis)


def _axes(axis: Any, ndim: int) -> tuple:
    return tuple(normalise_axis(a, ndim, "axis") for a in ((axis,) if isinstance(axis, int) else axis))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002 - Keras's name
    """The vector norm (ord None or 2: Euclidean; 1; inf; -inf; 0: count) or, over two axes, "fro"/None/1/inf.

    ``axis=None`` takes the Euclidean (Frobenius) norm of all elements, as Keras.
    """
    infinite = float("inf")
    ndim = len(as_array(x).shape)
    two_axes = isinstance(axis, (tuple, list)) and len(axis) == 2 or (axis is None and ord is not None and ndim == 2)
    if axis is None and ord is None:
        return sqrt(sum(square(x), None, keepdims))
    if two_axes:
        rows, columns = _axes(tuple(axis) if axis is not None else (0, 1), ndim)
        if ord in (None, "fro"):
            return sqrt(sum(square(x), (rows, columns), keepdims))
        if ord in (1, -1):
            sums = sum(abs(x), rows, keepdims=True)
            return _squeezed(max(sums, columns, True) if ord == 1 else min(sums, columns, True), (rows, columns),
                             keepdims)
        if ord in (infinite, -infinite):
            sums = sum(abs(x), columns, keepdims=True)
            return _squeezed(max(sums, rows, True) if ord > 0 else min(sums, rows, True), (rows, columns), keepdims)
        raise ValueError(f"norm: matrix norms are 'fro', 1, -1, inf and -inf in minidl, got ord={ord!r}")
    if ord in (None, 2):
        return sqrt(sum(square(x), axis, keepdims))
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if ord == infinite:
        return max(abs(x), axis, keepdims)
    if ord == -infinite:
        return min(abs(x), axis, keepdims)
    if ord == 0:
        return (as_array(x) != 0).sum(axis=axis, keepdims=keepdims).astype(as_array(x).dtype)
    raise ValueError(f"norm: vector norms are None, 0, 1, 2, inf and -inf in minidl, got ord={ord!r}")


def _squeezed(x: Any, axes: tuple, keepdims: bool) -> Any:
    return x if keepdims else squeeze(x, axes)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The index of the largest element (of the flattened array when ``axis`` is None), int32."""
    return as_array(x).argmax(axis=axis, keepdims=keepdims).astype("int32")


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return as_array(x).argmin(axis=axis, keepdims=keepdims).astype("int32")


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001 - Keras's name
    return as_array(x).astype(bool).any(axis=axis, keepdims=keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001 - Keras's name
    return as_array(x).astype(bool).all(axis=axis, keepdims=keepdims)


def count_nonzero(x: Any, axis: Any = None) -> Any:
    return array_module(x).count_nonzero(as_array(x), axis=axis)


# ---------------------------------------------------------------------------- cumulative
def cumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Running sums along ``axis`` (of the flattened array when None)."""
    x = _flat(x) if axis is None else x
    if tensor_in(x):
        return CumSum(normalise_axis(0 if axis is None else axis, x.ndim, "cumsum"))(x)
    return as_array(x).cumsum(axis=0 if axis is None else axis, dtype=dtype)


def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Running products along ``axis`` (of the flattened array when None)."""
    x = _flat(x) if axis is None else x
    if tensor_in(x):
        return CumProd(normalise_axis(0 if axis is None else axis, x.ndim, "cumprod"))(x)
    return as_array(x).cumprod(axis=0 if axis is None else axis, dtype=dtype)


# ---------------------------------------------------------------------------- shapes
def reshape(x: Any, newshape: Any) -> Any:
    newshape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return F.reshape(x, newshape) if tensor_in(x) else as_array(x).reshape(newshape)


def transpose(x: Any, axes: Any = None) -> Any:
    return F.transpose(x, axes) if tensor_in(x) else array_module(x).transpose(as_array(x), axes)


def expand_dims(x: Any, axis: Any) -> Any:
    """A new axis of size 1 at ``axis`` (an int or a tuple of them, as numpy)."""
    shape = list(as_array(x).shape)
    count = len(shape) + (1 if isinstance(axis, int) else len(axis))
    for a in sorted(normalise_axis(a, count, "expand_dims") for a in ((axis,) if isinstance(axis, int) else axis)):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Any:
    """Without axes of size 1 (all of them, or those named, which must have size 1)."""
    shape = as_array(x).shape
    axes = [i for i, n in enumerate(shape) if n == 1] if axis is None else list(_axes(axis, len(shape)))
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1 (shape {shape})")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def broadcast_to(x: Any, shape: Any) -> Any:
    return F.broadcast_to(x, tuple(shape)) if tensor_in(x) else array_module(x).broadcast_to(as_array(x), shape)


def concatenate(xs: Any, axis: int = 0) -> Any:
    if tensor_in(*xs):
        return F.concatenate(list(xs), axis=axis)
    return array_module(*xs).concatenate([as_array(x) for x in xs], axis=axis)


def stack(x: Any, axis: int = 0) -> Any:
    if tensor_in(*x):
        return F.stack(list(x), axis=axis)
    return array_module(*x).stack([as_array(item) for item in x], axis=axis)


def tile(x: Any, repeats: Any) -> Any:
    """x repeated as whole blocks: along each axis, ``repeats`` copies one after the other (numpy.tile).

    Written as a broadcast and a reshape: x of shape (n,) viewed as (1, n),
    broadcast to (r, n), read as (r n,); the broadcast's backward sums the copies.
    """
    repeats = (repeats,) if isinstance(repeats, int) else tuple(int(r) for r in repeats)
    shape = as_array(x).shape
    ndim = builtins.max(len(shape), len(repeats))
    shape, repeats = (1,) * (ndim - len(shape)) + tuple(shape), (1,) * (ndim - len(repeats)) + repeats
    interleaved = tuple(n for pair in zip((1,) * ndim, shape) for n in pair)
    copies = tuple(n for pair in zip(repeats, shape) for n in pair)
    final = tuple(r * n for r, n in zip(repeats, shape))
    return reshape(broadcast_to(reshape(x, interleaved), copies), final)


def flip(x: Any, axis: Any = None) -> Any:
    axes = range(len(as_array(x).shape)) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    index = [builtins.slice(None)] * len(as_array(x).shape)
    for a in axes:
        index[a] = builtins.slice(None, None, -1)
    return _pick(x, tuple(index))


# ---------------------------------------------------------------------------- indexing
def _pick(x: Any, index: Any) -> Any:
    """x[index], through the graph for a Tensor (the backward adds gy into the picked places)."""
    return F.getitem(x, index) if tensor_in(x) else as_array(x)[index]


def take(x: Any, indices: Any, axis: Any = None) -> Any:
    """Elements at ``indices`` along ``axis`` (of the flattened array when None); negative indices count back."""
    if axis is None:
        x, axis = _flat(x), 0
    axis = normalise_axis(axis, len(as_array(x).shape), "take")
    index = as_array(indices)
    if index.dtype.kind not in "iu":
        raise ValueError(f"take: indices must be integers, got an array of {index.dtype}")
    return _pick(x, (builtins.slice(None),) * axis + (index,))


def take_along_axis(x: Any, indices: Any, axis: Any = None) -> Any:
    """x[..., indices[..., i, ...], ...] element by element along ``axis`` (numpy.take_along_axis)."""
    if axis is None:
        x, axis = _flat(x), 0
    shape = as_array(x).shape
    axis = normalise_axis(axis, len(shape), "take_along_axis")
    index = as_array(indices)
    xp = array_module(index)
    target = list(xp.broadcast_shapes(tuple(n if a != axis else 1 for a, n in enumerate(shape)), index.shape)) \
        if hasattr(xp, "broadcast_shapes") else list(index.shape)
    target[axis] = index.shape[axis]
    index = xp.broadcast_to(index, target)
    grid = list(xp.ogrid[tuple(builtins.slice(0, n) for n in target)])
    grid[axis] = index
    if target != list(shape):
        x = broadcast_to(x, [n if a == axis else t for a, (n, t) in enumerate(zip(shape, target))])
    return _pick(x, tuple(grid))


def slice(inputs: Any, start_indices: Any, shape: Any) -> Any:  # noqa: A001 - Keras's name
    """The block of size ``shape`` starting at ``start_indices`` (one per axis)."""
    starts, sizes = [int(s) for s in as_array(start_indices).reshape(-1)], [int(n) for n in shape]
    return _pick(inputs, tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes)))


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Equal parts (an int), or parts cut before the given indices, along ``axis`` (numpy.split)."""
    length = as_array(x).shape[axis]
    if isinstance(indices_or_sections, int):
        if length % indices_or_sections:
            raise ValueError(f"split: an axis of length {length} cannot be split into {indices_or_sections} equal parts")
        size = length // indices_or_sections
        cuts = [size * i for i in range(1, indices_or_sections)]
    else:
        cuts = [int(i) for i in indices_or_sections]
    edges = [0, *cuts, length]
    lead = (builtins.slice(None),) * normalise_axis(axis, len(as_array(x).shape), "split")
    return [_pick(x, lead + (builtins.slice(a, b),)) for a, b in zip(edges[:-1], edges[1:])]


def repeat(x: Any, repeats: Any, axis: Any = None) -> Any:
    """Each element repeated ``repeats`` times (an int, or one count per element) along ``axis`` (numpy.repeat)."""
    if axis is None:
        x, axis = _flat(x), 0
    length = as_array(x).shape[axis]
    xp = array_module(x)
    return take(x, xp.repeat(xp.arange(length), as_array(repeats)), axis)


def argsort(x: Any, axis: int = -1) -> Any:
    """The indices that sort ``x`` along ``axis``, ascending and stable, int32."""
    return array_module(x).argsort(as_array(x), axis=axis, kind="stable").astype("int32")


def sort(x: Any, axis: int = -1) -> Any:
    """``x`` sorted along ``axis``; each value's gradient goes back to where it came from."""
    return take_along_axis(x, argsort(x, axis), axis)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple:  # noqa: A002 - Keras's name
    """(values, indices) of the ``k`` largest elements along the last axis, largest first (ties: lower index first)."""
    array = as_array(x)
    if not 0 <= k <= array.shape[-1]:
        raise ValueError(f"top_k: k={k} is not in [0, {array.shape[-1]}] (the size of the last axis)")
    xp = array_module(array)
    order = xp.argsort(-array if array.dtype.kind != "b" else ~array, axis=-1, kind="stable")[..., :k]
    indices = order.astype("int32")
    return take_along_axis(x, indices, -1), indices


# ---------------------------------------------------------------------------- products
def matmul(x1: Any, x2: Any) -> Any:
    return F.matmul(x1, x2) if tensor_in(x1, x2) else as_array(x1) @ as_array(x2)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    """numpy's einsum ("ij,jk->ik", "...i,...i->...", implicit outputs); each operand gets its gradient."""
    if kwargs:
        raise ValueError(f"einsum: minidl takes no options, got {sorted(kwargs)}")
    if tensor_in(*operands):
        return Einsum(subscripts)(*operands)
    return Einsum(subscripts).forward(*[as_array(x) for x in operands])


def dot(x1: Any, x2: Any) -> Any:
    """numpy.dot: a product for scalars, matmul for up to 2-D, else a sum over x1's last and x2's second-last axes."""
    n1, n2 = len(as_array(x1).shape), len(as_array(x2).shape)
    if n1 == 0 or n2 == 0:
        return F.multiply(x1, x2) if tensor_in(x1, x2) else as_array(x1) * as_array(x2)
    if n2 <= 2:
        return matmul(x1, x2)
    letters = "abcdefghijklmnopqrstuvw"
    left = letters[: n1 - 1] + "z"
    right = letters[n1 - 1: n1 + n2 - 3] + "z" + letters[n1 + n2 - 3]
    return einsum(f"{left},{right}->{left[:-1]}{right.replace('z', '')}", x1, x2)


def outer(x1: Any, x2: Any) -> Any:
    """The outer product of the flattened x1 and x2: (n,) and (m,) -> (n, m)."""
    return F.multiply(F.reshape(x1, (-1, 1)), F.reshape(x2, (1, -1))) if tensor_in(x1, x2) else \
        as_array(x1).reshape(-1, 1) * as_array(x2).reshape(1, -1)
