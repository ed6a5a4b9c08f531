"""numba kernels for the CPU: the same contracts as ``reference.py``, as explicit loops compiled to machine code.

Each kernel here has a plain-array twin of the same name in ``reference.py``
that defines what it must return; ``tests/test_kernels.py`` compares the two.
Innermost loops walk the channel axis, contiguous in the channels-last layout.
The loops are serial on purpose: with ``parallel=True`` every kernel launched
right after a BLAS matrix product waited about 8 ms for the BLAS threads to
yield the cores (measured on the 2-core development machine), which made an
MLP epoch six times slower; the parallelism comes from BLAS in the matrix
products. Compiled code is cached on disk (``cache=True``): the first call
after an install pays the compile time once.
"""

from __future__ import annotations

import numpy
from numba import njit


@njit(cache=True)
def _im2col(x, cols, kh, kw, sh, sw, dh, dw, top, left, out_h, out_w, pad_value):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for i in range(kh):
                    r = oh * sh + i * dh - top
                    for j in range(kw):
                        c = ow * sw + j * dw - left
                        if 0 <= r < height and 0 <= c < width:
                            for ch in range(channels):
                                cols[b, oh, ow, i, j, ch] = x[b, r, c, ch]
                        else:
                            for ch in range(channels):
                                cols[b, oh, ow, i, j, ch] = pad_value
    return cols


def im2col(x, kernel_size, strides, dilation, pads, out_size, pad_value=0.0, out=None):
    """Every window of ``x`` as a patch, (N, OH, OW, kh, kw, C), into ``out`` if given; padding reads ``pad_value``."""
    shape = (x.shape[0], out_size[0], out_size[1], kernel_size[0], kernel_size[1], x.shape[3])
    cols = numpy.empty(shape, dtype=x.dtype) if out is None else out
    return _im2col(x, cols, kernel_size[0], kernel_size[1], strides[0], strides[1], dilation[0], dilation[1],
                   pads[0][0], pads[1][0], out_size[0], out_size[1], pad_value)


@njit(cache=True)
def _col2im(cols, height, width, sh, sw, dh, dw, top, left):  # pragma: no cover - compiled
    n, out_h, out_w, kh, kw, channels = cols.shape
    gx = numpy.zeros((n, height, width, channels), dtype=cols.dtype)
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for i in range(kh):
                    r = oh * sh + i * dh - top
                    if r < 0 or r >= height:
                        continue
                    for j in range(kw):
                        c = ow * sw + j * dw - left
                        if 0 <= c < width:
                            for ch in range(channels):
                                gx[b, r, c, ch] += cols[b, oh, ow, i, j, ch]
    return gx


def col2im(cols, x_shape, strides, dilation, pads):
    """The adjoint of im2col: every patch added back where it was taken from (padding dropped)."""
    return _col2im(cols, x_shape[1], x_shape[2], strides[0], strides[1], dilation[0], dilation[1],
                   pads[0][0], pads[1][0])


@njit(cache=True)
def _max_pool2d_forward(x, ph, pw, sh, sw, top, left, out_h, out_w):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    y = numpy.empty((n, out_h, out_w, channels), dtype=x.dtype)
    argmax = numpy.zeros((n, out_h, out_w, channels), dtype=numpy.int64)
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for ch in range(channels):
                    y[b, oh, ow, ch] = -numpy.inf
                for i in range(ph):
                    r = oh * sh + i - top
                    if r < 0 or r >= height:
                        continue
                    for j in range(pw):
                        c = ow * sw + j - left
                        if c < 0 or c >= width:
                            continue
                        for ch in range(channels):
                            value = x[b, r, c, ch]
                            if value > y[b, oh, ow, ch]:  # strict: the first maximum wins, as in the reference
                                y[b, oh, ow, ch] = value
                                argmax[b, oh, ow, ch] = i * pw + j
    return y, argmax


def max_pool2d_forward(x, pool_size, strides, pads, out_size):
    """(y, argmax): the window maxima and the flat index (i * pw + j) in its window of each one."""
    return _max_pool2d_forward(x, pool_size[0], pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0],
                               out_size[0], out_size[1])


@njit(cache=True)
def _max_pool2d_backward(gy, argmax, height, width, pw, sh, sw, top, left):  # pragma: no cover - compiled
    n, out_h, out_w, channels = gy.shape
    gx = numpy.zeros((n, height, width, channels), dtype=gy.dtype)
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for ch in range(channels):
                    position = argmax[b, oh, ow, ch]
                    r = oh * sh + position // pw - top
                    c = ow * sw + position % pw - left
                    gx[b, r, c, ch] += gy[b, oh, ow, ch]
    return gx


def max_pool2d_backward(gy, argmax, x_shape, pool_size, strides, pads):
    """Each gy added to the input element that was its window's maximum; no mask is materialised."""
    return _max_pool2d_backward(gy, argmax, x_shape[1], x_shape[2], pool_size[1], strides[0], strides[1],
                                pads[0][0], pads[1][0])


@njit(cache=True)
def _real_window(oh, ow, ph, pw, sh, sw, top, left, height, width):  # pragma: no cover - compiled
    """Rows [r0, r1) and columns [c0, c1) of the input inside window (oh, ow), padding left out."""
    r0, c0 = oh * sh - top, ow * sw - left
    return max(r0, 0), min(r0 + ph, height), max(c0, 0), min(c0 + pw, width)


@njit(cache=True)
def _avg_pool2d_forward(x, ph, pw, sh, sw, top, left, out_h, out_w):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    y = numpy.zeros((n, out_h, out_w, channels), dtype=x.dtype)
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                r0, r1, c0, c1 = _real_window(oh, ow, ph, pw, sh, sw, top, left, height, width)
                count = (r1 - r0) * (c1 - c0)
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        for ch in range(channels):
                            y[b, oh, ow, ch] += x[b, r, c, ch] / count
    return y


def avg_pool2d_forward(x, pool_size, strides, pads, out_size):
    """Window means over the real (non-padding) elements."""
    return _avg_pool2d_forward(x, pool_size[0], pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0],
                               out_size[0], out_size[1])


@njit(cache=True)
def _avg_pool2d_backward(gy, height, width, ph, pw, sh, sw, top, left):  # pragma: no cover - compiled
    n, out_h, out_w, channels = gy.shape
    gx = numpy.zeros((n, height, width, channels), dtype=gy.dtype)
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                r0, r1, c0, c1 = _real_window(oh, ow, ph, pw, sh, sw, top, left, height, width)
                count = (r1 - r0) * (c1 - c0)
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        for ch in range(channels):
                            gx[b, r, c, ch] += gy[b, oh, ow, ch] / count
    return gx


def avg_pool2d_backward(gy, x_shape, pool_size, strides, pads):
    """Every real element of a window receives gy / (real elements in the window)."""
    return _avg_pool2d_backward(gy, x_shape[1], x_shape[2], pool_size[0], pool_size[1], strides[0], strides[1],
                                pads[0][0], pads[1][0])


def _flat(*arrays):
    """1-D views of C-contiguous arrays (the kernels update them in place, so they must not be copies)."""
    return tuple(a.reshape(-1) for a in arrays)


@njit(cache=True)
def _adam_update(w, g, m, v, v_max, amsgrad, alpha, beta_1, beta_2, epsilon):  # pragma: no cover - compiled
    for k in range(w.size):
        m[k] += (g[k] - m[k]) * (1 - beta_1)
        v[k] += (g[k] * g[k] - v[k]) * (1 - beta_2)
        second = v[k]
        if amsgrad:
            if v[k] > v_max[k]:
                v_max[k] = v[k]
            second = v_max[k]
        w[k] -= m[k] * alpha / (numpy.sqrt(second) + epsilon)


def adam_update(w, g, m, v, v_max, alpha, beta_1, beta_2, epsilon):
    """Adam's moment and weight updates in place, in one pass (``v_max`` None without amsgrad)."""
    amsgrad = v_max is not None
    _adam_update(*_flat(w, g, m, v, v_max if amsgrad else v), amsgrad, alpha, beta_1, beta_2, epsilon)


@njit(cache=True)
def _momentum_update(w, g, velocity, lr, momentum, nesterov):  # pragma: no cover - compiled
    for k in range(w.size):
        velocity[k] = momentum * velocity[k] - lr * g[k]
        if nesterov:
            w[k] += momentum * velocity[k] - lr * g[k]
        else:
            w[k] += velocity[k]


def momentum_update(w, g, velocity, lr, momentum, nesterov):
    """SGD with (Nesterov) momentum, in place."""
    _momentum_update(*_flat(w, g, velocity), lr, momentum, nesterov)


@njit(cache=True)
def _rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon, centered):  # pragma: no cover - compiled
    for k in range(w.size):
        a[k] = rho * a[k] + (1 - rho) * g[k] * g[k]
        denominator = a[k] + epsilon
        if centered:
            mg[k] = rho * mg[k] + (1 - rho) * g[k]
            denominator = a[k] - mg[k] * mg[k] + epsilon
        increment = lr * g[k] / numpy.sqrt(denominator)
        if momentum > 0:
            s[k] = momentum * s[k] + increment
            w[k] -= s[k]
        else:
            w[k] -= increment


def rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon):
    """RMSprop (centered when ``mg`` is given, with momentum when ``s`` is given), in place."""
    centered = mg is not None
    _rmsprop_update(*_flat(w, g, a, mg if centered else a, s if s is not None else a), lr, rho, momentum, epsilon,
                    centered)
