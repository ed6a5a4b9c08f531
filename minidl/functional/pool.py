"""Pooling over windows of channels-last activations.

max pooling:      y = max over the window;        dL/dx = gy routed to the window's argmax
average pooling:  y = mean over the window's real (non-padding) elements;
                  dL/dx = every element of the window receives gy / count

Windows may overlap (strides smaller than the pool), so the backward adds
the contributions of every window an element belongs to. The 1-D versions
pool an image of height 1; global average pooling is a mean.

The forward and backward of both poolings are written below as array code
on the windows that ``im2col`` lays out (``functional/conv.py``): the
forward reduces each window, the backward builds each window's gradient and
``col2im`` adds the windows back in place (the scatter). ``minidl.kernels``
runs compiled loops of the same names where they apply (numba on the CPU,
CUDA on a GPU; those gather instead of scatter), checked against this code.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend
from minidl.autodiff.function import Function, as_tensor
from minidl.functional.conv import col2im, im2col
from minidl.functional.padding import normalize_padding, normalize_tuple, padding_amounts, window_output_size
from minidl.functional.reduce import Mean
from minidl.functional.shape import reshape
from minidl.kernels import accelerated
from minidl.autodiff.tensor import Tensor


# ---------------------------------------------------------------------------- the array code, on windows
# Arrays: x (N, H, W, C); y, gy and argmax (N, OH, OW, C); pads ((top, bottom), (left, right)).
@accelerated
def max_pool2d_forward(x: Any, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple,
                       out: tuple | None = None) -> tuple:
    """(y, argmax): y = max over each window, argmax = its flat index in the window (the first, at ties).

    Padding never wins: it is filled with -inf. ``out``: (y, argmax) arrays to write into.
    """
    xp = backend.get_array_module(x)
    windows = im2col.reference(x, pool_size, strides, (1, 1), pads, out_size, -xp.inf)
    windows = windows.reshape(windows.shape[:3] + (-1, x.shape[3]))      # (N, OH, OW, ph*pw, C)
    argmax = windows.argmax(axis=3)
    y = xp.take_along_axis(windows, argmax[:, :, :, None, :], axis=3)[:, :, :, 0, :]
    if out is None:
        return y, argmax
    out[0][...], out[1][...] = y, argmax
    return out


@accelerated
def max_pool2d_backward(gy: Any, argmax: Any, x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple) -> Any:
    """dL/dx: each gy goes to the element that was its window's maximum; overlapping windows add up."""
    xp = backend.get_array_module(gy)
    window_positions = xp.arange(pool_size[0] * pool_size[1]).reshape(1, 1, 1, -1, 1)
    g_windows = (window_positions == argmax[:, :, :, None, :]) * gy[:, :, :, None, :]
    g_windows = g_windows.reshape(gy.shape[:3] + tuple(pool_size) + (gy.shape[3],))
    return col2im.reference(g_windows.astype(gy.dtype), x_shape, strides, (1, 1), pads)


def real_elements_per_window(x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple,
                             xp: Any) -> Any:
    """How many real (non-padding) input elements each window holds: (1, OH, OW, 1)."""
    ones = xp.ones((1, x_shape[1], x_shape[2], 1), dtype=xp.float64)
    return im2col.reference(ones, pool_size, strides, (1, 1), pads, out_size).sum(axis=(3, 4))


@accelerated
def avg_pool2d_forward(x: Any, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple) -> Any:
    """y = mean of the real elements in each window (padding is not counted, as Keras)."""
    xp = backend.get_array_module(x)
    windows = im2col.reference(x, pool_size, strides, (1, 1), pads, out_size)
    counts = real_elements_per_window(x.shape, pool_size, strides, pads, out_size, xp)
    return (windows.sum(axis=(3, 4)) / counts).astype(x.dtype)


@accelerated
def avg_pool2d_backward(gy: Any, x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple) -> Any:
    """dL/dx: each window shares its gy equally among its real elements, gy / count; overlaps add up."""
    xp = backend.get_array_module(gy)
    counts = real_elements_per_window(x_shape, pool_size, strides, pads, gy.shape[1:3], xp)
    share = (gy / counts).astype(gy.dtype)
    g_windows = xp.broadcast_to(share[:, :, :, None, None, :], gy.shape[:3] + tuple(pool_size) + (gy.shape[3],))
    return col2im.reference(g_windows, x_shape, strides, (1, 1), pads)


# ---------------------------------------------------------------------------- the differentiable functions


class _Pool2D(Function):
    def __init__(self, pool_size: tuple, strides: tuple, padding: str) -> None:
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def _geometry(self, x: Any) -> tuple:
        out_size = window_output_size(type(self).__name__, x.shape, (1, 2), self.pool_size, self.strides, (1, 1),
                                      self.padding)
        pads = tuple(padding_amounts(x.shape[axis], k, s, 1, self.padding)
                     for axis, k, s in zip((1, 2), self.pool_size, self.strides))
        return out_size, pads


class MaxPool2D(_Pool2D):
    """y[n, oh, ow, c] = max_{i, j} x_pad[n, oh*sh + i, ow*sw + j, c];  gy goes to the argmax."""

    def forward(self, x: Any) -> Any:
        out_size, self.pads = self._geometry(x)
        self.x_shape = x.shape
        y, self.argmax = max_pool2d_forward(x, self.pool_size, self.strides, self.pads, out_size)
        return y

    def backward(self, gy: Any) -> Any:
        return max_pool2d_backward(
            gy, self.argmax, self.x_shape, self.pool_size, self.strides, self.pads
        )


class AvgPool2D(_Pool2D):
    """y[n, oh, ow, c] = mean of the real x in the window;  each of them gets gy / count."""

    def forward(self, x: Any) -> Any:
        out_size, self.pads = self._geometry(x)
        self.x_shape = x.shape
        return avg_pool2d_forward(x, self.pool_size, self.strides, self.pads, out_size)

    def backward(self, gy: Any) -> Any:
        return avg_pool2d_backward(gy, self.x_shape, self.pool_size, self.strides, self.pads)


def _pool2d(function: type, name: str, x: Any, pool_size: Any, strides: Any, padding: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{name}: input must be (batch, height, width, channels), got shape {x.shape}")
    pool_size = normalize_tuple(pool_size, 2, f"{name} pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, 2, f"{name} strides")
    padding = normalize_padding(padding)
    window_output_size(name, x.shape, (1, 2), pool_size, strides, (1, 1), padding)
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
    return GlobalAvgPool(axis=tuple(range(1, x.ndim - 1)))(x)


class GlobalAvgPool(Mean):
    """The mean over the spatial axes, whose gradient gy / n is written out in full, not broadcast.

    The layer before it (a max pooling, a ReLU) reads that gradient with a
    compiled kernel, which takes C-contiguous arrays only: given ``Mean``'s
    broadcast view it fell back to the reference array code (on ``cifar_bn``
    the last max pooling's backward, 38 ms of a 1.2 s step, in float64).
    The copy is one pass over an array the size of the pooled input, into a
    buffer from ``backend.empty`` (pages already mapped).
    """

    def backward(self, gy: Any) -> Any:
        broadcast = super().backward(gy)
        g_x = backend.empty(broadcast.shape, broadcast.dtype, broadcast)
        g_x[...] = broadcast
        return g_x
