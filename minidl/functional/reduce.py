"""Reductions over axes: sum, mean, max, min.

Their backward spreads gy back over the reduced axes: re-insert the reduced
axes (size 1) into gy, then broadcast to the input's shape.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend
from minidl.autodiff.function import Function
from minidl.kernels import accelerated
from minidl.autodiff.tensor import Tensor


@accelerated
def channel_sums(a: Any) -> Any:
    """Sum over every axis but the last (channels): (..., C) -> (C,); the gradient of a bias added per channel."""
    return a.sum(axis=tuple(range(a.ndim - 1)))


def _normalise_axis(axis: Any, ndim: int, name: str) -> tuple:
    """``axis`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of range for a tensor with {ndim} axes")
    return tuple(sorted(a % ndim for a in axes))


def _expand_to_input(g: Any, x_shape: tuple, axes: tuple) -> Any:
    """Put the reduced axes back into ``g`` as size-1 axes, then broadcast to ``x_shape``."""
    xp = backend.get_array_module(g)
    keep_shape = tuple(1 if axis in axes else size for axis, size in enumerate(x_shape))
    return xp.broadcast_to(g.reshape(keep_shape), x_shape)


class Sum(Function):
    """y = sum of x over ``axis``;  dL/dx = gy broadcast over the summed axes."""

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = _normalise_axis(self.axis, x.ndim, "sum")
        self.x_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Any) -> Any:
        return _expand_to_input(gy, self.x_shape, self.axes)


class Mean(Function):
    """y = mean of x over ``axis`` (n elements each);  dL/dx = gy / n broadcast over them."""

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = _normalise_axis(self.axis, x.ndim, "mean")
        self.x_shape = x.shape
        self.count = 1
        for axis in self.axes:
            self.count *= x.shape[axis]
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Any) -> Any:
        return _expand_to_input(gy / self.count, self.x_shape, self.axes)


class Max(Function):
    """y = max of x over ``axis``;  the gradient goes to the maximal elements.

    dL/dx = gy * [x == y] / (number of maxima): where several elements tie
    for the maximum they share the gradient equally (as TensorFlow does, and
    as central differences see it).
    """

    def __init__(self, axis: Any = None, keepdims: bool = False, smallest: bool = False) -> None:
        self.axis, self.keepdims, self.smallest = axis, keepdims, smallest

    def forward(self, x: Any) -> Any:
        name = "min" if self.smallest else "max"
        if x.size == 0:
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
        self.axes = _normalise_axis(self.axis, x.ndim, name)
        self.x = x
        reduce = x.min if self.smallest else x.max
        self.y_kept = reduce(axis=self.axes, keepdims=True)
        return self.y_kept if self.keepdims else self.y_kept.reshape(
            tuple(s for a, s in enumerate(x.shape) if a not in self.axes)
        )

    def backward(self, gy: Any) -> Any:
        is_extreme = self.x == self.y_kept
        share = is_extreme / is_extreme.sum(axis=self.axes, keepdims=True)
        return _expand_to_input(gy, self.x.shape, self.axes) * share.astype(gy.dtype)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum(axis, keepdims)(x)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Mean(axis, keepdims)(x)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Max(axis, keepdims)(x)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The minimum over ``axis``: Max's rule applied to the smallest elements."""
    return Max(axis, keepdims, smallest=True)(x)
