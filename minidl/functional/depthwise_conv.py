"""Depthwise 2-D convolution: every input channel convolved with its own filters (Keras's DepthwiseConv2D).

x (N, H, W, C), kernel (kh, kw, C, M) (M: the depth multiplier), stride s, dilation d,
x zero-padded first for "same" (TensorFlow's split: the odd zero after):

    y[n, i, j, c * M + m] = sum_{a, b} x[n, s_h i + d_h a, s_w j + d_w b, c] * kernel[a, b, c, m]

No channel mixes with another, so the work is a sum over the kh * kw taps of
the kernel, each a strided view of x times a (C, M) matrix of weights. The
backward runs over the same taps:

    dL/dkernel[a, b, c, m] = sum_{n, i, j} x[n, s_h i + d_h a, s_w j + d_w b, c] * gy[n, i, j, c, m]
    dL/dx[n, s_h i + d_h a, s_w j + d_w b, c] += sum_m gy[n, i, j, c, m] * kernel[a, b, c, m]

(gy seen as (N, H', W', C, M)); the padding is cut from dL/dx. A separable
convolution (SeparableConv2D) is this followed by a 1x1 convolution.
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.padding import normalize_padding, normalize_tuple, output_length, padding_amounts


class DepthwiseConv2D(Function):
    """y = depthwise convolution of x (N, H, W, C) with kernel (kh, kw, C, M) (module docstring)."""

    def __init__(self, strides: tuple, padding: str, dilation: tuple) -> None:
        self.strides, self.padding, self.dilation = strides, padding, dilation

    def _taps(self, kernel_shape: tuple, out_shape: tuple) -> list:
        """(a, b, the window of rows, the window of columns) for every tap of the kernel."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_shape, self.strides, self.dilation, out_shape
        return [(a, b, slice(a * dh, a * dh + sh * (oh - 1) + 1, sh), slice(b * dw, b * dw + sw * (ow - 1) + 1, sw))
                for a in range(kh) for b in range(kw)]

    def forward(self, x: Any, kernel: Any) -> Any:
        xp = backend.get_array_module(x)
        kh, kw, channels, multiplier = kernel.shape
        self.x_shape = x.shape
        self.pads = [padding_amounts(x.shape[axis], k, s, d, self.padding)
                     for axis, k, s, d in ((1, kh, self.strides[0], self.dilation[0]),
                                           (2, kw, self.strides[1], self.dilation[1]))]
        padded = xp.pad(x, ((0, 0), self.pads[0], self.pads[1], (0, 0))) if any(map(any, self.pads)) else x
        out = tuple(output_length(x.shape[axis], k, s, d, self.padding)
                    for axis, k, s, d in ((1, kh, self.strides[0], self.dilation[0]),
                                          (2, kw, self.strides[1], self.dilation[1])))
        y = xp.zeros((x.shape[0],) + out + (channels, multiplier), dtype=x.dtype)
        for a, b, rows, columns in self._taps((kh, kw), out):
            y += padded[:, rows, columns, :, None] * kernel[a, b]
        self.padded, self.kernel, self.out = padded, kernel, out
        return y.reshape(y.shape[:3] + (channels * multiplier,))

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        kh, kw, channels, multiplier = self.kernel.shape
        gy = gy.reshape(gy.shape[:3] + (channels, multiplier))
        g_padded = xp.zeros_like(self.padded) if self.needs_input_grad[0] else None
        g_kernel = xp.zeros_like(self.kernel) if self.needs_input_grad[1] else None
        for a, b, rows, columns in self._taps((kh, kw), self.out):
            if g_kernel is not None:
                g_kernel[a, b] = (self.padded[:, rows, columns, :, None] * gy).sum(axis=(0, 1, 2))
            if g_padded is not None:
                g_padded[:, rows, columns, :] += (gy * self.kernel[a, b]).sum(axis=-1)
        if g_padded is not None:
            (top, _), (left, _) = self.pads
            g_padded = g_padded[:, top:top + self.x_shape[1], left:left + self.x_shape[2]]
        return g_padded, g_kernel


def depthwise_conv2d(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                     dilation_rate: Any = 1) -> Tensor:
    """Depthwise convolution of x (N, H, W, C) with kernel (kh, kw, C, M), plus ``bias`` (C * M,)."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(f"depthwise_conv2d: x (N, H, W, C) and kernel (kh, kw, C, multiplier) must agree on C, "
                         f"got shapes {x.shape} and {kernel.shape}")
    y = DepthwiseConv2D(normalize_tuple(strides, 2, "depthwise_conv2d strides"), normalize_padding(padding),
                        normalize_tuple(dilation_rate, 2, "depthwise_conv2d dilation_rate"))(x, kernel)
    return y if bias is None else y + as_tensor(bias)
