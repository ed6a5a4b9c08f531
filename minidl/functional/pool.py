"""Pooling over windows of channels-last activations.

max pooling:      y = max over the window;        dL/dx = gy routed to the window's argmax
average pooling:  y = mean over the window's real (non-padding) elements;
                  dL/dx = every element of the window receives gy / count

Windows may overlap (strides smaller than the pool), so the backward adds
the contributions of every window an element belongs to. The 1-D versions
pool an image of height 1; global average pooling is a mean.
"""

from __future__ import annotations

from typing import Any

from minidl import kernels
from minidl.function import Function, as_tensor
from minidl.functional.padding import normalize_padding, normalize_tuple, output_length, padding_amounts
from minidl.functional.reduce import mean
from minidl.functional.shape import reshape
from minidl.tensor import Tensor


class _Pool2D(Function):
    def __init__(self, pool_size: tuple, strides: tuple, padding: str) -> None:
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def _geometry(self, x: Any) -> tuple:
        out_size, pads = [], []
        for axis, k, s in zip((1, 2), self.pool_size, self.strides):
            out_size.append(output_length(x.shape[axis], k, s, 1, self.padding))
            pads.append(padding_amounts(x.shape[axis], k, s, 1, self.padding))
        return tuple(out_size), tuple(pads)


class MaxPool2D(_Pool2D):
    """y[n, oh, ow, c] = max_{i, j} x_pad[n, oh*sh + i, ow*sw + j, c];  gy goes to the argmax."""

    def forward(self, x: Any) -> Any:
        out_size, self.pads = self._geometry(x)
        self.x_shape = x.shape
        y, self.argmax = kernels.max_pool2d_forward(x, self.pool_size, self.strides, self.pads, out_size)
        return y

    def backward(self, gy: Any) -> Any:
        return kernels.max_pool2d_backward(
            gy, self.argmax, self.x_shape, self.pool_size, self.strides, self.pads
        )


class AvgPool2D(_Pool2D):
    """y[n, oh, ow, c] = mean of the real x in the window;  each of them gets gy / count."""

    def forward(self, x: Any) -> Any:
        out_size, self.pads = self._geometry(x)
        self.x_shape = x.shape
        return kernels.avg_pool2d_forward(x, self.pool_size, self.strides, self.pads, out_size)

    def backward(self, gy: Any) -> Any:
        return kernels.avg_pool2d_backward(gy, self.x_shape, self.pool_size, self.strides, self.pads)


def _pool2d(function: type, name: str, x: Any, pool_size: Any, strides: Any, padding: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{name}: input must be (batch, height, width, channels), got shape {x.shape}")
    pool_size = normalize_tuple(pool_size, 2, f"{name} pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, 2, f"{name} strides")
    padding = normalize_padding(padding)
    if padding == "valid" and (x.shape[1] < pool_size[0] or x.shape[2] < pool_size[1]):
        raise ValueError(
            f"{name}: with padding='valid' the pool {pool_size} does not fit in the input of shape {x.shape}"
        )
    return function(pool_size, strides, padding)(x)


def _pool1d(pool2d: Any, name: str, x: Any, pool_size: Any, strides: Any, padding: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"{name}: input must be (batch, length, channels), got shape {x.shape}")
    (size,) = normalize_tuple(pool_size, 1, f"{name} pool_size")
    (stride,) = (size,) if strides is None else normalize_tuple(strides, 1, f"{name} strides")
    image = reshape(x, (x.shape[0], 1) + x.shape[1:])
    y = pool2d(image, (1, size), (1, stride), padding)
    return reshape(y, (y.shape[0],) + y.shape[2:])


def max_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> Tensor:
    """Max pooling of ``x (N, H, W, C)``; ``strides`` defaults to ``pool_size``, as in Keras."""
    return _pool2d(MaxPool2D, "max_pool2d", x, pool_size, strides, padding)


def avg_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> Tensor:
    """Average pooling of ``x (N, H, W, C)``; with 'same', padding is left out of each mean."""
    return _pool2d(AvgPool2D, "avg_pool2d", x, pool_size, strides, padding)


def max_pool1d(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> Tensor:
    """Max pooling of ``x (N, L, C)`` along the length axis."""
    return _pool1d(max_pool2d, "max_pool1d", x, pool_size, strides, padding)


def avg_pool1d(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> Tensor:
    """Average pooling of ``x (N, L, C)`` along the length axis."""
    return _pool1d(avg_pool2d, "avg_pool1d", x, pool_size, strides, padding)


def global_avg_pool(x: Any) -> Tensor:
    """Mean over every axis but the first (batch) and the last (channels): (N, ..., C) -> (N, C)."""
    x = as_tensor(x)
    if x.ndim < 3:
        raise ValueError(f"global_avg_pool: input needs batch, spatial and channel axes, got shape {x.shape}")
    return mean(x, axis=tuple(range(1, x.ndim - 1)))
