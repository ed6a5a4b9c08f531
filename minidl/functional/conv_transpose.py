"""Transposed convolution (Keras's Conv2DTranspose / Conv1DTranspose), channels-last.

conv2d_transpose:  x (N, H, W, Cin),  kernel (kh, kw, Cout, Cin),  y (N, OH, OW, Cout)

A transposed convolution is the input-gradient of a convolution: the convolution that
reads an image y (N, OH, OW, Cout) with the same kernel, strides and padding and
writes (N, H, W, Cin) has the matrix form ``x = im2col(y) @ K`` with
``K = kernel.reshape(kh*kw*Cout, Cin)``; the transposed convolution applies the
transpose of that matrix to x:

    cols = x_rows @ K^T                  x_rows (N*H*W, Cin), cols (N*H*W, kh*kw*Cout)
    y    = col2im(cols) + b              every input position scatters a kh x kw patch,
                                         y[n, h*sh + i*dh - top, w*sw + j*dw - left, o]
                                           += sum_c x[n, h, w, c] kernel[i, j, o, c]

Its backward is the forward convolution's forward:

    dL/dx = im2col(gy) @ K               (N*H*W, Cin): conv2d(gy, kernel)
    dL/dK = im2col(gy)^T @ x_rows        (kh*kw*Cout, Cin), reshaped to the kernel's shape
    dL/db = gy summed over batch and positions

Output sizes follow Keras (``deconv_output_length``), with k_eff = (k - 1) d + 1:
'valid' gives OH = H s + max(k_eff - s, 0), 'same' gives OH = H s; the padding removed
(top, bottom) is the padding the forward convolution of an OH-long input would add
(``padding_amounts``), as in TensorFlow. This is Keras's kernel layout, (kh, kw, filters,
in): the output channels come before the input channels, the reverse of Conv2D's.

conv1d_transpose is conv2d_transpose over an image of height 1. Keras's
``output_padding`` is not taken (the layers refuse any value but None).
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.conv import col2im, im2col
from minidl.functional.padding import effective_kernel_size, normalize_padding, normalize_tuple, padding_amounts
from minidl.functional.reduce import channel_sums
from minidl.functional.shape import reshape


def transposed_output_length(length: int, kernel_size: int, stride: int, dilation: int, padding: str) -> int:
    """Keras's deconv_output_length without output_padding: L s for 'same', L s + max(k_eff - s, 0) for 'valid'."""
    if padding == "same":
        return length * stride
    return length * stride + max(effective_kernel_size(kernel_size, dilation) - stride, 0)


class Conv2DTranspose(Function):
    """2-D transposed convolution with optional bias; see the module docstring for both equations."""

    def __init__(self, strides: tuple, padding: str, dilation_rate: tuple) -> None:
        self.strides, self.padding, self.dilation = strides, padding, dilation_rate

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        kh, kw, filters, channels = kernel.shape
        n, height, width, _ = x.shape
        self.out_shape = (n,) + tuple(
            transposed_output_length(size, k, s, d, self.padding)
            for size, k, s, d in zip((height, width), (kh, kw), self.strides, self.dilation)) + (filters,)
        self.pads = tuple(padding_amounts(self.out_shape[axis], k, s, d, self.padding)
                          for axis, k, s, d in zip((1, 2), (kh, kw), self.strides, self.dilation))
        self.has_bias, self.x, self.kernel = bias is not None, x, kernel
        kernel_rows = kernel.reshape(-1, channels)                    # K: (kh*kw*Cout, Cin)
        cols = backend.matmul(x.reshape(-1, channels), kernel_rows.T)  # (N*H*W, kh*kw*Cout)
        y = col2im(cols.reshape((n, height, width, kh, kw, filters)), self.out_shape, self.strides, self.dilation,
                   self.pads)
        if self.has_bias:
            y = y + bias
        return y

    def backward(self, gy: Any) -> tuple:
        kh, kw, filters, channels = self.kernel.shape
        n, height, width, _ = self.x.shape
        gy_cols = im2col(gy, (kh, kw), self.strides, self.dilation, self.pads, (height, width))
        gy_cols = gy_cols.reshape(n * height * width, kh * kw * filters)  # im2col(gy): (N*H*W, kh*kw*Cout)
        kernel_rows = self.kernel.reshape(-1, channels)
        g_x = g_kernel = g_bias = None
        if self.needs_input_grad[0]:                                  # dL/dx = im2col(gy) @ K
            g_x = backend.matmul(gy_cols, kernel_rows).reshape(self.x.shape)
        if self.needs_input_grad[1]:                                  # dL/dK = im2col(gy)^T @ x_rows
            g_kernel = (gy_cols.T @ self.x.reshape(-1, channels)).reshape(self.kernel.shape)
        if not self.has_bias:
            return g_x, g_kernel
        if self.needs_input_grad[2]:                                  # dL/db = sum of gy per channel
            g_bias = channel_sums(gy.reshape(-1, filters))
        return g_x, g_kernel, g_bias


def check_transpose_shapes(name: str, x_shape: tuple, kernel_shape: tuple, bias: Any, rank: int) -> None:
    """One clear error for an input, kernel or bias that does not fit a transposed convolution of ``rank``."""
    x_layout = "(batch, length, channels)" if rank == 1 else "(batch, height, width, channels)"
    k_layout = "(k, filters, in)" if rank == 1 else "(kh, kw, filters, in)"
    if len(x_shape) != rank + 2:
        raise ValueError(f"{name}: input must be {x_layout}, got shape {tuple(x_shape)}")
    if len(kernel_shape) != rank + 2:
        raise ValueError(f"{name}: kernel must be {k_layout}, got shape {tuple(kernel_shape)}")
    if x_shape[-1] != kernel_shape[-1]:
        raise ValueError(f"{name}: input of shape {tuple(x_shape)} has {x_shape[-1]} channels but the kernel of "
                         f"shape {tuple(kernel_shape)} expects {kernel_shape[-1]} (its last axis)")
    if bias is not None and tuple(bias.shape) != (kernel_shape[-2],):
        raise ValueError(f"{name}: bias must have shape ({kernel_shape[-2]},) for a kernel of shape "
                         f"{tuple(kernel_shape)}, got {tuple(bias.shape)}")


def conv2d_transpose(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                     dilation_rate: Any = 1) -> Tensor:
    """Transposed convolution of ``x (N, H, W, Cin)`` with ``kernel (kh, kw, Cout, Cin)``: (N, OH, OW, Cout)."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_tuple(strides, 2, "conv2d_transpose strides")
    dilation = normalize_tuple(dilation_rate, 2, "conv2d_transpose dilation_rate")
    check_transpose_shapes("conv2d_transpose", x.shape, kernel.shape, bias, rank=2)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2DTranspose(strides, normalize_padding(padding), dilation)(*inputs)


def conv1d_transpose(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                     dilation_rate: Any = 1) -> Tensor:
    """Transposed convolution of ``x (N, L, Cin)`` with ``kernel (k, Cout, Cin)``, as conv2d_transpose over height 1."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_tuple(strides, 1, "conv1d_transpose strides")
    dilation = normalize_tuple(dilation_rate, 1, "conv1d_transpose dilation_rate")
    check_transpose_shapes("conv1d_transpose", x.shape, kernel.shape, bias, rank=1)
    image = reshape(x, (x.shape[0], 1) + x.shape[1:])
    y = conv2d_transpose(image, reshape(kernel, (1,) + kernel.shape), bias, (1,) + strides, padding, (1,) + dilation)
    return reshape(y, (y.shape[0],) + y.shape[2:])
