"""numba and CUDA kernels of elementwise and per-channel operations: one pass where numpy makes two or three.

References beside their operations: the ReLU family, ``sigmoid_backward``, ``tanh_backward``, ``erf`` and
``bias_relu`` in ``minidl.functional.activation``, ``dropout_forward``/``dropout_backward`` in
``minidl.functional.dropout``, ``channel_sums`` in ``minidl.functional.reduce``. CUDA counterparts: the
ReLU family, sigmoid and tanh backwards, ``bias_relu`` (cupy's own reductions serve for the sums).
"""

from __future__ import annotations

import math

import numpy
from numba import njit, prange

from minidl.core import backend
from minidl.kernels.compiling import COMPILE, Kernel, rows


@Kernel
def _relu_forward(x, y):  # pragma: no cover - compiled
    for k in prange(x.size):
        y[k] = 0 if x[k] <= 0 else x[k]  # NaN stays NaN, as numpy.maximum
    return y


def relu_forward(x):
    """y = max(x, 0)."""
    y = backend.empty(x.shape, x.dtype, x)
    _relu_forward(x.size, x.reshape(-1), y.reshape(-1))
    return y


def _from_output(kernel, gy, y):
    """Run ``kernel(gy, y, gx)`` over flat views: an activation's backward from its output y."""
    gx = backend.empty(gy.shape, numpy.result_type(gy, y), gy)
    kernel(gy.size, gy.reshape(-1), y.reshape(-1), gx.reshape(-1))
    return gx


@Kernel
def _gated_copy(gy, y, gx):  # pragma: no cover - compiled
    for k in prange(gy.size):
        gx[k] = gy[k] * (1 if y[k] > 0 else 0)
    return gx


def relu_backward(gy, y):
    """dL/dx = gy * [y > 0]."""
    return _from_output(_gated_copy, gy, y)


@Kernel
def _dropout_forward(x, u, rate, scale, y, keep):  # pragma: no cover - compiled
    zero = scale - scale  # 0 in the mask's type, so that x * 0 keeps nan and inf as numpy does
    for k in prange(x.size):
        kept = u[k] >= rate
        keep[k] = kept
        y[k] = x[k] * (scale if kept else zero)
    return y


def _dropout_scale(dtype, rate):
    """The kept elements' factor 1 / (1 - rate), computed in ``dtype`` as the reference's mask is."""
    return dtype.type(1) / dtype.type(1 - rate)


def dropout_forward(x, u, rate):
    """(y, keep) in one pass: keep = u >= rate, y = x * keep / (1 - rate), the mask's value in x's type."""
    y, keep = backend.empty(x.shape, x.dtype, x), backend.empty(x.shape, numpy.bool_, x)
    _dropout_forward(x.size, x.reshape(-1), u.reshape(-1), rate, _dropout_scale(x.dtype, rate), y.reshape(-1),
                     keep.reshape(-1))
    return y, keep


@Kernel
def _dropout_backward(gy, keep, scale, gx):  # pragma: no cover - compiled
    zero = scale - scale
    for k in prange(gy.size):
        gx[k] = gy[k] * (scale if keep[k] else zero)
    return gx


def dropout_backward(gy, keep, rate):
    """dL/dx = gy * keep / (1 - rate)."""
    gx = backend.empty(gy.shape, gy.dtype, gy)
    _dropout_backward(gy.size, gy.reshape(-1), keep.reshape(-1), _dropout_scale(gy.dtype, rate), gx.reshape(-1))
    return gx


@Kernel
def _sigmoid_backward(gy, y, gx):  # pragma: no cover - compiled
    for k in prange(gy.size):
        gx[k] = gy[k] * y[k] * (1 - y[k])
    return gx


def sigmoid_backward(gy, y):
    """dL/dx = gy * y * (1 - y), from the sigmoid's output y."""
    return _from_output(_sigmoid_backward, gy, y)


@Kernel
def _tanh_backward(gy, y, gx):  # pragma: no cover - compiled
    for k in prange(gy.size):
        gx[k] = gy[k] * (1 - y[k] * y[k])
    return gx


def tanh_backward(gy, y):
    """dL/dx = gy * (1 - y^2), from tanh's output y."""
    return _from_output(_tanh_backward, gy, y)


@Kernel
def _erf(x, y):  # pragma: no cover - compiled
    for k in prange(x.size):
        y[k] = math.erf(x[k])
    return y


def erf(x):
    """erf(x) element by element (GELU's normal CDF)."""
    y = backend.empty(x.shape, x.dtype, x)
    _erf(x.size, x.reshape(-1), y.reshape(-1))
    return y


@Kernel
def _bias_relu(rows, bias, has_bias):  # pragma: no cover - compiled
    for r in prange(rows.shape[0]):
        for c in range(rows.shape[1]):
            value = rows[r, c] + bias[c] if has_bias else rows[r, c]
            rows[r, c] = 0 if value <= 0 else value
    return rows


def bias_relu(y, bias):
    """y = max(y + bias, 0) per channel, in place (``bias`` may be None)."""
    has_bias = bias is not None
    _bias_relu(y.size, rows(y), bias if has_bias else numpy.zeros(1, y.dtype), has_bias)
    return y


@Kernel
def _relu_backward_and_channel_sums(gy, y, gx, chunks):  # pragma: no cover - compiled
    # Partial sums over a fixed number of row blocks, so that the result does not depend on the thread count.
    m, channels = gy.shape
    partial = numpy.zeros((chunks, channels), dtype=numpy.float64)
    for chunk in prange(chunks):
        for r in range(chunk * m // chunks, (chunk + 1) * m // chunks):
            for c in range(channels):
                g = gy[r, c] * (1 if y[r, c] > 0 else 0)
                gx[r, c] = g
                partial[chunk, c] += g
    return partial.sum(axis=0)


def relu_backward_and_channel_sums(gy, y):
    """(gy * [y > 0], its sums per channel): the gradient before a ReLU, and a bias's gradient, in one pass."""
    gx = backend.empty(gy.shape, numpy.result_type(gy, y), gy)
    sums = _relu_backward_and_channel_sums(gy.size, rows(gy), rows(y), rows(gx), 16)
    return gx, sums.astype(gx.dtype)


@njit(**COMPILE)
def _channel_sums(rows):  # pragma: no cover - compiled
    sums = numpy.zeros(rows.shape[1], dtype=numpy.float64)
    for r in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            sums[c] += rows[r, c]
    return sums


def channel_sums(a):
    """Sum over every axis but the last, accumulated in float64: (..., C) -> (C,)."""
    return _channel_sums(rows(a)).astype(a.dtype)


# CUDA counterparts, built on the first cupy array (``minidl.kernels.cuda_kernels``).


def cuda_kernels(cupy):  # pragma: no cover - needs a GPU, or tests/cuda_on_cpu.py's stand-in cupy
    """The CUDA activation kernels, one thread per element."""
    _relu_forward = cupy.ElementwiseKernel("T x", "T y", "y = x <= 0 ? (T)0 : x", "minidl_relu_forward")
    _relu_backward = cupy.ElementwiseKernel("T gy, T y", "T gx", "gx = gy * (T)(y > 0)", "minidl_relu_backward")
    _sigmoid_backward = cupy.ElementwiseKernel("T gy, T y", "T gx", "gx = gy * y * ((T)1 - y)", "minidl_sigmoid_backward")
    _tanh_backward = cupy.ElementwiseKernel("T gy, T y", "T gx", "gx = gy * ((T)1 - y * y)", "minidl_tanh_backward")


    def relu_forward(x):
        """y = max(x, 0) (NaN stays NaN)."""
        return _relu_forward(x)


    def relu_backward(gy, y):
        """dL/dx = gy * [y > 0]."""
        return _relu_backward(gy, y.astype(gy.dtype, copy=False))


    def sigmoid_backward(gy, y):
        """dL/dx = gy * y * (1 - y)."""
        return _sigmoid_backward(gy, y.astype(gy.dtype, copy=False))


    def tanh_backward(gy, y):
        """dL/dx = gy * (1 - y^2)."""
        return _tanh_backward(gy, y.astype(gy.dtype, copy=False))


    _bias_relu = cupy.ElementwiseKernel(
        "raw T bias, int32 channels, bool has_bias",
        "T y",
        """
        const T value = has_bias ? y + bias[i % channels] : y;
        y = value <= 0 ? (T)0 : value;
        """,
        "minidl_bias_relu",
    )


    def bias_relu(y, bias):
        """y = max(y + bias, 0) per channel, in place (``bias`` may be None)."""
        has_bias = bias is not None
        _bias_relu(bias.astype(y.dtype) if has_bias else cupy.zeros(1, y.dtype), y.shape[-1], has_bias, y)
        return y


    def relu_backward_and_channel_sums(gy, y):
        """(gy * [y > 0], its sums per channel)."""
        gx = relu_backward(gy, y)
        return gx, gx.sum(axis=tuple(range(gx.ndim - 1)))  # cupy's reduction; no kernel of ours needed

    return {"relu_forward": relu_forward, "relu_backward": relu_backward, "sigmoid_backward": sigmoid_backward, "tanh_backward": tanh_backward, "bias_relu": bias_relu, "relu_backward_and_channel_sums": relu_backward_and_channel_sums}
