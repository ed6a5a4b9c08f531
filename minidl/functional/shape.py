"""Operations that move elements without changing their values.

Their backward moves the gradient back to where each element came from:
reshape back, transpose with the inverse permutation, scatter into the
indexed positions, slice the concatenated or padded result apart.
"""

from __future__ import annotations

from typing import Any, Sequence

from minidl.core import backend
from minidl.autodiff.function import Function, unbroadcast
from minidl.autodiff.tensor import Tensor, data_of


class Reshape(Function):
    """y = x viewed with another shape;  dL/dx = gy reshaped to x's shape."""

    def __init__(self, shape: tuple) -> None:
        self.shape = tuple(shape)

    def forward(self, x: Any) -> Any:
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"to shape {self.shape}"
            ) from None

    def backward(self, gy: Any) -> Any:
        return gy.reshape(self.x_shape)


class Transpose(Function):
    """y = x with axes permuted by ``axes`` (reversed when None);  dL/dx = gy permuted back."""

    def __init__(self, axes: Sequence[int] | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        axes = tuple(reversed(range(x.ndim))) if self.axes is None else self.axes
        try:
            y = xp.transpose(x, axes)
        except ValueError:  # numpy's AxisError and repeated axes are ValueErrors
            raise ValueError(
                f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes of "
                f"a tensor of shape {x.shape}"
            ) from None
        self.axes = tuple(a % x.ndim for a in axes)
        return y

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return xp.transpose(gy, inverse)


class GetItem(Function):
    """y = x[index] (basic slicing or integer/boolean array indexing).

    dL/dx is zero except at the selected positions, which receive gy; an
    element selected several times (repeated integer indices) receives the
    sum of its gradients, hence ``add.at`` rather than assignment.
    """

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: Any) -> Any:
        self.x_shape, self.x_dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as error:
            raise IndexError(f"index {self.index!r} into a tensor of shape {x.shape}: {error}") from None

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.x_shape, dtype=gy.dtype)
        if _uses_arrays(self.index):
            xp.add.at(gx, self.index, gy)
        else:  # basic indexing never selects an element twice
            gx[self.index] = gy
        return gx


def _uses_arrays(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(part, "shape") or isinstance(part, (list,)) for part in parts)


class Concatenate(Function):
    """y = inputs joined along ``axis``;  dL/dx_i = the slice of gy that x_i filled."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        xp = backend.get_array_module(*xs)
        _check_same_shapes("concatenate", xs, except_axis=self.axis)
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        boundaries = []
        total = 0
        for size in self.sizes[:-1]:
            total += size
            boundaries.append(total)
        return tuple(xp.split(gy, boundaries, axis=self.axis))


class Stack(Function):
    """y = inputs stacked along a new ``axis``;  dL/dx_i = gy taken at position i of that axis."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        xp = backend.get_array_module(*xs)
        _check_same_shapes("stack", xs)
        return xp.stack(xs, axis=self.axis)

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        return tuple(xp.take(gy, i, axis=self.axis) for i in range(gy.shape[self.axis]))


def _check_same_shapes(name: str, xs: tuple, except_axis: int | None = None) -> None:
    if not xs:
        raise ValueError(f"{name}: needs at least one tensor")
    first = xs[0].shape
    for x in xs[1:]:
        if len(x.shape) != len(first):
            raise ValueError(f"{name}: shapes {first} and {x.shape} have different numbers of axes")
        skip = None if except_axis is None else except_axis % len(first)
        if any(a != b for axis, (a, b) in enumerate(zip(first, x.shape)) if axis != skip):
            along = "" if except_axis is None else f" except along axis {except_axis}"
            raise ValueError(f"{name}: shapes {first} and {x.shape} must match{along}")


class BroadcastTo(Function):
    """y = x copied along its axes of size 1 (and new leading axes) to ``shape``, as numpy.broadcast_to.

    Each element of x appears many times in y, so dL/dx sums gy over the
    copies: gy summed over the broadcast axes (``unbroadcast``).
    """

    def __init__(self, shape: Sequence[int]) -> None:
        self.shape = tuple(shape)

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.x_shape = x.shape
        try:
            return xp.array(xp.broadcast_to(x, self.shape))  # a copy: later in-place steps must not write through
        except ValueError:
            raise ValueError(f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to {self.shape}") from None

    def backward(self, gy: Any) -> Any:
        return unbroadcast(gy, self.x_shape)


class Repeat(Function):
    """y = every element of x repeated ``repeats`` times in a row along ``axis``, as numpy.repeat.

    Along that axis y = (x_0, x_0, ..., x_1, x_1, ...), so dL/dx_i is the sum
    of gy over the ``repeats`` copies of x_i: gy viewed as (..., n, repeats, ...)
    and summed over the repeats.
    """

    def __init__(self, repeats: int, axis: int) -> None:
        self.repeats, self.axis = int(repeats), axis

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.axis = self.axis % x.ndim
        return xp.repeat(x, self.repeats, axis=self.axis)

    def backward(self, gy: Any) -> Any:
        shape = gy.shape
        grouped = gy.reshape(shape[: self.axis] + (shape[self.axis] // self.repeats, self.repeats) + shape[self.axis + 1 :])
        return grouped.sum(axis=self.axis + 1)


class Pad(Function):
    """y = x surrounded by a constant;  dL/dx = the central block of gy (the padding gets none)."""

    def __init__(self, pad_width: Any, constant_value: float = 0.0) -> None:
        self.pad_width = pad_width
        self.constant_value = constant_value

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        widths = _normalise_pad_width(self.pad_width, x.ndim)
        self.widths = widths
        return xp.pad(x, widths, mode="constant", constant_values=self.constant_value)

    def backward(self, gy: Any) -> Any:
        index = tuple(slice(before, size - after) for (before, after), size in zip(self.widths, gy.shape))
        return gy[index]


def _normalise_pad_width(pad_width: Any, ndim: int) -> list:
    """numpy's pad_width forms (int, (before, after), or one pair per axis) as one pair per axis."""
    if isinstance(pad_width, int):
        widths = [(pad_width, pad_width)] * ndim
    else:
        pairs = [tuple(p) if isinstance(p, (tuple, list)) else (p, p) for p in pad_width]
        if len(pairs) == 2 and all(not isinstance(p, (tuple, list)) for p in pad_width):
            pairs = [tuple(pad_width)] * ndim
        elif len(pairs) == 1:
            pairs = pairs * ndim
        widths = pairs
    if len(widths) != ndim:
        raise ValueError(f"pad: pad_width {pad_width!r} gives {len(widths)} pairs for {ndim} axes")
    if any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"pad: pad_width {pad_width!r} has negative widths")
    return [(int(a), int(b)) for a, b in widths]


def reshape(x: Any, shape: Sequence[int]) -> Tensor:
    return Reshape(shape)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    return Transpose(axes)(x)


def getitem(x: Any, index: Any) -> Tensor:
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(data_of(part) for part in index)
    return GetItem(index)(x)


def concatenate(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return Concatenate(axis)(*xs)


def stack(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return Stack(axis)(*xs)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    return BroadcastTo(shape)(x)


def repeat(x: Any, repeats: int, axis: int) -> Tensor:
    """Each element repeated ``repeats`` times along ``axis`` (nearest-neighbour upsampling uses it)."""
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeat: repeats must be a positive int, got {repeats!r}")
    return Repeat(repeats, axis)(x)


def pad(x: Any, pad_width: Any, constant_value: float = 0.0) -> Tensor:
    """Pad with a constant, numpy-style ``pad_width`` (int, pair, or one pair per axis)."""
    return Pad(pad_width, constant_value)(x)
