"""Array kernels for convolution, pooling, activations, batch norm and optimizer updates: pure functions on arrays.

Two implementations of every kernel, with the same contract:

- ``reference.py``: whole-array numpy (and cupy) code, written to be read;
- ``cpu.py``: numba-compiled loops (serial; see its docstring), used for numpy
  arrays when numba is installed;
- ``gpu.py``: CUDA kernels through cupy, used for cupy arrays.

The compiled kernels are the default. Select the reference ones with the
environment variable ``MINIDL_KERNELS=reference`` before the import, or
``minidl.kernels.use("reference")`` at any time, for example to step through
them in a debugger (they run on cupy arrays too). numpy arrays that are not
C-contiguous float32/float64 (views with strides) take the reference path.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy

from minidl import backend
from minidl.kernels import reference

try:
    from minidl.kernels import cpu as _cpu
except ImportError:  # numba not installed: the reference kernels serve
    _cpu = None

CHOICES = ("numba", "reference")
_selected = os.environ.get("MINIDL_KERNELS", "numba")
if _selected not in CHOICES:
    raise ValueError(f"MINIDL_KERNELS must be one of {CHOICES}, got {_selected!r}")


def use(name: str) -> None:
    """Select the kernels: "numba" (compiled: numba on the CPU, CUDA on a GPU; the default) or "reference"."""
    global _selected
    if name not in CHOICES:
        raise ValueError(f"kernels must be one of {CHOICES}, got {name!r}")
    _selected = name


def in_use() -> str:
    """The kernels numpy arrays get now: "numba", or "reference" (chosen, or numba missing)."""
    return "numba" if _selected == "numba" and _cpu is not None else "reference"


_gpu: ModuleType | None = None


def _gpu_kernels() -> ModuleType:
    """``gpu.py``, imported the first time a cupy array arrives (it needs cupy)."""
    global _gpu
    if _gpu is None:
        from minidl.kernels import gpu  # noqa: PLC0415 - optional: only with cupy

        _gpu = gpu
    return _gpu


def _implementation(*arrays: Any) -> ModuleType:
    if _selected == "reference":
        return reference
    if any(backend.device_of(a) == "gpu" for a in arrays if a is not None):
        return _gpu_kernels()
    if _cpu is not None and all(
        isinstance(a, numpy.ndarray) and a.flags.c_contiguous and a.dtype in (numpy.float32, numpy.float64)
        for a in arrays if a is not None
    ):
        return _cpu
    return reference


def im2col(x: Any, kernel_size: tuple, strides: tuple, dilation: tuple, pads: tuple, out_size: tuple,
           pad_value: float = 0.0, out: Any = None) -> Any:
    return _implementation(x, out).im2col(x, kernel_size, strides, dilation, pads, out_size, pad_value, out)


def col2im(cols: Any, x_shape: tuple, strides: tuple, dilation: tuple, pads: tuple) -> Any:
    return _implementation(cols).col2im(cols, x_shape, strides, dilation, pads)


def max_pool2d_forward(x: Any, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple) -> tuple:
    return _implementation(x).max_pool2d_forward(x, pool_size, strides, pads, out_size)


def max_pool2d_backward(gy: Any, argmax: Any, x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple) -> Any:
    return _implementation(gy).max_pool2d_backward(gy, argmax, x_shape, pool_size, strides, pads)


def avg_pool2d_forward(x: Any, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple) -> Any:
    return _implementation(x).avg_pool2d_forward(x, pool_size, strides, pads, out_size)


def avg_pool2d_backward(gy: Any, x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple) -> Any:
    return _implementation(gy).avg_pool2d_backward(gy, x_shape, pool_size, strides, pads)


def relu_forward(x: Any) -> Any:
    return _implementation(x).relu_forward(x)


def relu_backward(gy: Any, y: Any) -> Any:
    return _implementation(gy, y).relu_backward(gy, y)


def sigmoid_backward(gy: Any, y: Any) -> Any:
    return _implementation(gy, y).sigmoid_backward(gy, y)


def tanh_backward(gy: Any, y: Any) -> Any:
    return _implementation(gy, y).tanh_backward(gy, y)


def channel_sums(a: Any) -> Any:
    return _implementation(a).channel_sums(a)


def bias_relu(y: Any, bias: Any) -> Any:
    return _implementation(y, bias).bias_relu(y, bias)


def relu_backward_and_channel_sums(gy: Any, y: Any) -> tuple:
    return _implementation(gy, y).relu_backward_and_channel_sums(gy, y)


def batch_norm_statistics(x: Any) -> tuple:
    return _implementation(x).batch_norm_statistics(x)


def batch_norm_forward(x: Any, mean: Any, inverse_std: Any, gamma: Any, beta: Any) -> tuple:
    return _implementation(x, mean, inverse_std, gamma, beta).batch_norm_forward(x, mean, inverse_std, gamma, beta)


def batch_norm_backward(gy: Any, x_hat: Any, gamma: Any, inverse_std: Any, input_gradient: bool) -> tuple:
    return _implementation(gy, x_hat, gamma, inverse_std).batch_norm_backward(gy, x_hat, gamma, inverse_std,
                                                                              input_gradient)


def adam_update(w: Any, g: Any, m: Any, v: Any, v_max: Any, alpha: float, beta_1: float, beta_2: float,
                epsilon: float) -> None:
    _implementation(w, g, m, v, v_max).adam_update(w, g, m, v, v_max, alpha, beta_1, beta_2, epsilon)


def momentum_update(w: Any, g: Any, velocity: Any, lr: float, momentum: float, nesterov: bool) -> None:
    _implementation(w, g, velocity).momentum_update(w, g, velocity, lr, momentum, nesterov)


def rmsprop_update(w: Any, g: Any, a: Any, mg: Any, s: Any, lr: float, rho: float, momentum: float,
                   epsilon: float) -> None:
    _implementation(w, g, a, mg, s).rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon)
