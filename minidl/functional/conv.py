"""Convolution (Keras's: cross-correlation) in the channels-last layout.

conv2d:  x (N, H, W, Cin),  kernel (kh, kw, Cin, Cout),  y (N, OH, OW, Cout)

    y[n, oh, ow, o] = b[o] + sum_{i, j, c} x_pad[n, oh*sh + i*dh, ow*sw + j*dw, c] kernel[i, j, c, o]

Computed as one matrix product: im2col lays every window out as a row,
``cols (N*OH*OW, kh*kw*Cin)``, so that ``y = cols @ K`` with
``K = kernel.reshape(kh*kw*Cin, Cout)``. The backward is that product's:

    dL/dK    = cols^T @ gy           (reshaped to the kernel's shape)
    dL/dcols = gy @ K^T,  dL/dx = col2im(dL/dcols)   (windows added back in place)
    dL/db    = gy summed over batch and positions

With ``activation="relu"`` the ReLU is applied in the same pass as the bias,
y = max(cols @ K + b, 0), and the backward first turns gy into the
gradient before the ReLU, gy * [y > 0] (summed for dL/db in that pass):
the same numbers as conv2d followed by relu, with two passes over the
output fewer (cuDNN fuses them the same way).

conv1d is conv2d over an image of height 1.
"""

from __future__ import annotations

from typing import Any

from minidl import backend, kernels
from minidl.function import Function, as_tensor
from minidl.functional.padding import (
    effective_kernel_size,
    normalize_padding,
    normalize_tuple,
    output_length,
    padding_amounts,
)
from minidl.functional.shape import reshape
from minidl.tensor import Tensor


class Conv2D(Function):
    """2-D convolution with optional bias; see the module docstring for both equations."""

    #: In inference the patches of at most this many bytes exist at a time: the batch is convolved in slices.
    inference_patch_bytes = 64 * 2**20

    def __init__(self, strides: tuple, padding: str, dilation_rate: tuple, relu: bool = False) -> None:
        self.strides, self.padding, self.dilation, self.relu = strides, padding, dilation_rate, relu

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        _check_conv_shapes("conv2d", x.shape, kernel.shape, bias, rank=2)
        xp = backend.get_array_module(x)
        kh, kw, _, filters = kernel.shape
        out_size, self.pads = [], []
        for axis, k, s, d in zip((1, 2), (kh, kw), self.strides, self.dilation):
            out_size.append(output_length(x.shape[axis], k, s, d, self.padding))
            self.pads.append(padding_amounts(x.shape[axis], k, s, d, self.padding))
        self.pads, self.out_size = tuple(self.pads), tuple(out_size)
        self.kernel, self.x_shape, self.has_bias = kernel, x.shape, bias is not None
        kernel_rows = kernel.reshape(-1, filters)
        positions = out_size[0] * out_size[1]
        y = backend.empty((x.shape[0] * positions, filters), xp.result_type(x, kernel), x)
        self.cols = None
        if self.needs_input_grad[1]:  # dL/dK = cols^T gy: keep the patches of the whole batch
            self.cols = self._patches(x)
            xp.matmul(self.cols, kernel_rows, out=y)
        else:  # no backward reads the patches: build them for a slice of the batch at a time
            patch_bytes = positions * kernel_rows.shape[0] * x.dtype.itemsize
            step = max(1, self.inference_patch_bytes // patch_bytes)
            for start in range(0, x.shape[0], step):
                rows = slice(start * positions, (start + step) * positions)
                xp.matmul(self._patches(x[start : start + step]), kernel_rows, out=y[rows])
        if self.relu:
            self.y = kernels.bias_relu(y, bias)
        elif self.has_bias:
            y += bias
        return y.reshape(x.shape[0], out_size[0], out_size[1], filters)

    def _patches(self, x: Any) -> Any:
        """im2col of ``x``: (N * OH * OW, kh * kw * Cin), one window a row."""
        kh, kw, channels, _ = self.kernel.shape
        shape = (x.shape[0],) + self.out_size + (kh, kw, channels)
        cols = kernels.im2col(x, (kh, kw), self.strides, self.dilation, self.pads, self.out_size,
                              out=backend.empty(shape, x.dtype, x))
        return cols.reshape(-1, kh * kw * channels)

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        filters = self.kernel.shape[3]
        gy_rows = gy.reshape(-1, filters)
        g_x = g_kernel = g_bias = None
        if self.relu:  # the gradient before the ReLU, and its sums (dL/db), in one pass
            gy_rows, g_bias = kernels.relu_backward_and_channel_sums(gy_rows, self.y)
            gy = gy_rows.reshape(gy.shape)
        if self.needs_input_grad[0]:
            kernel_rows = self.kernel.reshape(-1, filters)
            g_cols = backend.empty((gy_rows.shape[0], kernel_rows.shape[0]), gy.dtype, gy)
            xp.matmul(gy_rows, kernel_rows.T, out=g_cols)
            g_x = kernels.col2im(g_cols.reshape(gy.shape[:3] + self.kernel.shape[:3]), self.x_shape, self.strides,
                                 self.dilation, self.pads)
        if self.needs_input_grad[1]:
            g_kernel = (self.cols.T @ gy_rows).reshape(self.kernel.shape)
        if self.has_bias:
            if not self.needs_input_grad[2]:
                g_bias = None
            elif g_bias is None:
                g_bias = kernels.channel_sums(gy)
            return g_x, g_kernel, g_bias
        return g_x, g_kernel


def _check_conv_shapes(name: str, x_shape: tuple, kernel_shape: tuple, bias: Any, rank: int) -> None:
    x_layout = "(batch, length, channels)" if rank == 1 else "(batch, height, width, channels)"
    k_layout = "(k, in, out)" if rank == 1 else "(kh, kw, in, out)"
    if len(x_shape) != rank + 2:
        raise ValueError(f"{name}: input must be {x_layout}, got shape {x_shape}")
    if len(kernel_shape) != rank + 2:
        raise ValueError(f"{name}: kernel must be {k_layout}, got shape {kernel_shape}")
    if x_shape[-1] != kernel_shape[-2]:
        raise ValueError(
            f"{name}: input of shape {x_shape} has {x_shape[-1]} channels but the kernel of "
            f"shape {kernel_shape} expects {kernel_shape[-2]}"
        )
    if bias is not None and tuple(bias.shape) != (kernel_shape[-1],):
        raise ValueError(
            f"{name}: bias must have shape ({kernel_shape[-1]},) for a kernel of shape "
            f"{kernel_shape}, got {tuple(bias.shape)}"
        )


def conv2d(
    x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
    dilation_rate: Any = 1, activation: str | None = None,
) -> Tensor:
    """2-D convolution of channels-last ``x (N, H, W, Cin)`` with ``kernel (kh, kw, Cin, Cout)``.

    ``padding='same'`` pads so that the output has ceil(n / stride) positions
    along each axis (Keras's rule); ``'valid'`` uses only complete windows.
    ``activation="relu"`` applies a ReLU in the same pass as the bias (see
    the module docstring); None or "linear" applies none.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_tuple(strides, 2, "conv2d strides")
    dilation = normalize_tuple(dilation_rate, 2, "conv2d dilation_rate")
    padding = normalize_padding(padding)
    _check_conv_shapes("conv2d", x.shape, kernel.shape, bias, rank=2)
    if padding == "valid":
        for axis, k, d in zip((1, 2), kernel.shape[:2], dilation):
            if x.shape[axis] < effective_kernel_size(k, d):
                raise ValueError(
                    f"conv2d: with padding='valid' the kernel of shape {kernel.shape} "
                    f"(dilation {dilation}) does not fit in the input of shape {x.shape}"
                )
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D(strides, padding, dilation, _fused_relu("conv2d", activation))(*inputs)


def _fused_relu(name: str, activation: str | None) -> bool:
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"{name}: activation must be one of {FUSED_ACTIVATIONS}, got {activation!r}")
    return activation == "relu"


FUSED_ACTIVATIONS = (None, "linear", "relu")


def conv1d(
    x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
    dilation_rate: Any = 1, activation: str | None = None,
) -> Tensor:
    """1-D convolution of ``x (N, L, Cin)`` with ``kernel (k, Cin, Cout)``, as conv2d over height 1."""
    _fused_relu("conv1d", activation)
    x, kernel = as_tensor(x), as_tensor(kernel)
    (stride,) = normalize_tuple(strides, 1, "conv1d strides")
    (dilation,) = normalize_tuple(dilation_rate, 1, "conv1d dilation_rate")
    _check_conv_shapes("conv1d", x.shape, kernel.shape, bias, rank=1)
    if normalize_padding(padding) == "valid" and x.shape[1] < effective_kernel_size(kernel.shape[0], dilation):
        raise ValueError(
            f"conv1d: with padding='valid' the kernel of shape {kernel.shape} "
            f"(dilation {dilation}) does not fit in the input of shape {x.shape}"
        )
    image = reshape(x, (x.shape[0], 1) + x.shape[1:])
    kernel_2d = reshape(kernel, (1,) + kernel.shape)
    y = conv2d(image, kernel_2d, bias, (1, stride), padding, (1, dilation), activation)
    return reshape(y, (y.shape[0],) + y.shape[2:])
