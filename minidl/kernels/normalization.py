"""numba kernels of batch normalisation: statistics, normalise-scale-shift, and the backward sums.

References beside their operation: ``batch_norm_statistics``, ``batch_norm_forward``,
``batch_norm_backward``, ``batch_norm_relu_forward`` and ``batch_norm_relu_backward`` in
``minidl.functional.norm``. No CUDA counterpart: cupy's array operations do
each in one or two passes, and the references run on cupy arrays.
"""

from __future__ import annotations

import numpy
from numba import njit, prange

from minidl.core import backend
from minidl.kernels.compiling import COMPILE, Kernel, rows


@njit(**COMPILE)
def _batch_norm_statistics(rows):  # pragma: no cover - compiled
    m, channels = rows.shape
    mean = numpy.zeros(channels, dtype=numpy.float64)
    variance = numpy.zeros(channels, dtype=numpy.float64)
    for r in range(m):
        for c in range(channels):
            mean[c] += rows[r, c]
    mean /= m
    for r in range(m):  # two passes, as numpy.var: no cancellation of large squares
        for c in range(channels):
            deviation = rows[r, c] - mean[c]
            variance[c] += deviation * deviation
    variance /= m
    return mean, variance


def batch_norm_statistics(x):
    """Per-channel mean and biased variance over every axis but the last, in x's dtype."""
    mean, variance = _batch_norm_statistics(rows(x))
    return mean.astype(x.dtype), variance.astype(x.dtype)


@njit(**COMPILE)
def _batch_norm_forward(rows, mean, inverse_std, gamma, beta, x_hat, y):  # pragma: no cover - compiled
    for r in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            x_hat[r, c] = (rows[r, c] - mean[c]) * inverse_std[c]
            y[r, c] = gamma[c] * x_hat[r, c] + beta[c]
    return x_hat, y


def batch_norm_forward(x, mean, inverse_std, gamma, beta):
    """(x_hat, y): x_hat = (x - mean) * inverse_std, y = gamma * x_hat + beta, per channel."""
    x_hat, y = backend.empty(x.shape, x.dtype, x), backend.empty(x.shape, x.dtype, x)
    _batch_norm_forward(rows(x), mean, inverse_std, gamma, beta, rows(x_hat), rows(y))
    return x_hat, y


@njit(**COMPILE)
def _batch_norm_backward_sums(gy, x_hat):  # pragma: no cover - compiled
    sum_gy = numpy.zeros(gy.shape[1], dtype=numpy.float64)
    sum_gy_x_hat = numpy.zeros(gy.shape[1], dtype=numpy.float64)
    for r in range(gy.shape[0]):
        for c in range(gy.shape[1]):
            sum_gy[c] += gy[r, c]
            sum_gy_x_hat[c] += gy[r, c] * x_hat[r, c]
    return sum_gy, sum_gy_x_hat


@njit(**COMPILE)
def _batch_norm_input_gradient(gy, x_hat, scale, mean_gy, mean_gy_x_hat, gx):  # pragma: no cover - compiled
    for r in range(gy.shape[0]):
        for c in range(gy.shape[1]):
            gx[r, c] = scale[c] * (gy[r, c] - mean_gy[c] - x_hat[r, c] * mean_gy_x_hat[c])
    return gx


def batch_norm_backward(gy, x_hat, gamma, inverse_std, input_gradient):
    """(g_x, g_gamma, g_beta) of batch normalisation; g_x is None unless ``input_gradient``.

    g_beta = sum(gy), g_gamma = sum(gy x_hat),
    g_x = gamma inverse_std (gy - mean(gy) - x_hat mean(gy x_hat)).
    """
    gy_rows, x_hat_rows = rows(gy), rows(x_hat)
    sum_gy, sum_gy_x_hat = _batch_norm_backward_sums(gy_rows, x_hat_rows)
    g_x = None
    if input_gradient:
        m = gy_rows.shape[0]
        g_x = backend.empty(gy.shape, gy.dtype, gy)
        _batch_norm_input_gradient(gy_rows, x_hat_rows, (gamma * inverse_std).astype(numpy.float64), sum_gy / m,
                                   sum_gy_x_hat / m, rows(g_x))
    return g_x, sum_gy_x_hat.astype(gy.dtype), sum_gy.astype(gy.dtype)


@Kernel
def _batch_norm_relu_forward(rows, mean, inverse_std, gamma, beta, x_hat, y):  # pragma: no cover - compiled
    for r in prange(rows.shape[0]):
        for c in range(rows.shape[1]):
            x_hat[r, c] = (rows[r, c] - mean[c]) * inverse_std[c]
            z = gamma[c] * x_hat[r, c] + beta[c]
            y[r, c] = 0 if z <= 0 else z  # NaN stays NaN, as numpy.maximum
    return x_hat, y


def batch_norm_relu_forward(x, mean, inverse_std, gamma, beta):
    """(x_hat, y): x_hat = (x - mean) * inverse_std, y = max(gamma * x_hat + beta, 0), per channel, in one pass."""
    x_hat, y = backend.empty(x.shape, x.dtype, x), backend.empty(x.shape, x.dtype, x)
    _batch_norm_relu_forward(x.size, rows(x), mean, inverse_std, gamma, beta, rows(x_hat), rows(y))
    return x_hat, y


# The two loops without sums spread their rows over the cores for large arrays (``Kernel``: each element is
# written once, so the result does not depend on the thread count); the sums stay in one serial pass, in the
# order of batch_norm_backward's, so that the values are those of the layers run apart, to the bit.
# The gradient through the ReLU, gz = gy [y > 0], is formed in registers: gy where y > 0, else gy - gy (0, or NaN
# for an infinite or NaN gy, as gy * 0 gives), so that it keeps gy's dtype as the ReLU's own backward writes it.


@njit(**COMPILE)
def _batch_norm_relu_backward_sums(gy, y, x_hat):  # pragma: no cover - compiled
    sum_gz = numpy.zeros(gy.shape[1], dtype=numpy.float64)
    sum_gz_x_hat = numpy.zeros(gy.shape[1], dtype=numpy.float64)
    for r in range(gy.shape[0]):
        for c in range(gy.shape[1]):
            gz = gy[r, c] if y[r, c] > 0 else gy[r, c] - gy[r, c]
            sum_gz[c] += gz
            sum_gz_x_hat[c] += gz * x_hat[r, c]
    return sum_gz, sum_gz_x_hat


@Kernel
def _batch_norm_relu_input_gradient(gy, y, x_hat, scale, mean_gz, mean_gz_x_hat, gx):  # pragma: no cover - compiled
    for r in prange(gy.shape[0]):
        for c in range(gy.shape[1]):
            gz = gy[r, c] if y[r, c] > 0 else gy[r, c] - gy[r, c]
            gx[r, c] = scale[c] * (gz - mean_gz[c] - x_hat[r, c] * mean_gz_x_hat[c])
    return gx


def batch_norm_relu_backward(gy, y, x_hat, gamma, inverse_std, input_gradient):
    """batch_norm_backward of gz = gy [y > 0] without gz as an array: one pass for its sums, one for dL/dx."""
    gy_rows, y_rows, x_hat_rows = rows(gy), rows(y), rows(x_hat)
    sum_gz, sum_gz_x_hat = _batch_norm_relu_backward_sums(gy_rows, y_rows, x_hat_rows)
    g_x = None
    if input_gradient:
        m = gy_rows.shape[0]
        g_x = backend.empty(gy.shape, gy.dtype, gy)
        _batch_norm_relu_input_gradient(gy.size, gy_rows, y_rows, x_hat_rows, (gamma * inverse_std).astype(numpy.float64),
                                        sum_gz / m, sum_gz_x_hat / m, rows(g_x))
    return g_x, sum_gz_x_hat.astype(gy.dtype), sum_gz.astype(gy.dtype)
