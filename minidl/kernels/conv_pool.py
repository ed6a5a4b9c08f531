"""numba kernel of the fused Conv2D + ReLU + MaxPooling2D backward: gradients gathered at the pooled maxima.

Reference beside its operation: ``minidl.functional.conv_pool.conv_relu_max_pool_gradients``. No CUDA
counterpart: on a GPU the reference (im2col, cuBLAS) serves.
"""

from __future__ import annotations

import numpy
from numba import prange

from minidl.core import backend
from minidl.kernels.compiling import Kernel


@Kernel
def _conv_relu_max_pool_gradients(x, kernel_t, gy, y, argmax, window_row, window_col, sh, sw, dh, dw, top, left,
                                  psh, psw, ptop, pleft, partial, bias_partial, gx,
                                  input_gradient):  # pragma: no cover - compiled
    # For every pooled maximum (sample b, pooled position, filter o) that is positive: its conv output
    # position (zr, zc), then for each kernel row i the run of the patch that lies in x's row r, from kernel
    # column j0 to j1: one run of (j1 - j0) * Cin values when dw == 1 (their own loop: a loop over runs of one
    # cost 20% here), one of Cin per column otherwise. Over a run, dL/dK^T[o, i, j, c] += g x[b, r, col(j), c]
    # and dL/dx[b, r, col(j), c] += g K^T[o, i, j, c]. The arrays are flat and the offsets unsigned, so that
    # numba adds no wrap-around test for negative indices and LLVM vectorises the runs; window_row and
    # window_col turn a window index into its row and column without a division. Samples are split into a
    # fixed number of blocks, each with its own dL/dK (summed afterwards): the result does not depend on
    # the number of threads.
    n, height, width, channels = x.shape
    _, out_h, out_w, filters = gy.shape
    kh, kw = kernel_t.shape[1], kernel_t.shape[2] // channels
    blocks = partial.shape[0]
    row, per_sample, per_kernel = width * channels, height * width * channels, kernel_t.size
    acc, xs, gs, kernel_flat = partial.reshape(-1), x.reshape(-1), gx.reshape(-1), kernel_t.reshape(-1)
    for block in prange(blocks):
        acc_base = block * per_kernel
        for b in range(block * n // blocks, (block + 1) * n // blocks):
            x_base = b * per_sample
            if input_gradient:
                for k in range(x_base, x_base + per_sample):
                    gs[k] = 0
            for o in range(filters):
                for ph in range(out_h):
                    for pw in range(out_w):
                        if not y[b, ph, pw, o] > 0:  # the ReLU passed nothing (NaN included, as gy * [y > 0])
                            continue
                        g = gy[b, ph, pw, o]
                        bias_partial[block, o] += g
                        position = argmax[b, ph, pw, o]
                        r_start = (ph * psh - ptop + window_row[position]) * sh - top
                        c_start = (pw * psw - pleft + window_col[position]) * sw - left
                        if dw == 1:
                            j0, j1 = max(0, -c_start), min(kw, width - c_start)
                        else:
                            j0, j1 = max(0, (dw - 1 - c_start) // dw), min(kw, (width - 1 - c_start) // dw + 1)
                        if j1 <= j0:
                            continue
                        for i in range(kh):
                            r = r_start + i * dh
                            if r < 0 or r >= height:
                                continue
                            if dw == 1:
                                x0 = numpy.uint64(x_base + r * row + (c_start + j0) * channels)
                                k0 = numpy.uint64(((o * kh + i) * kw + j0) * channels)
                                a0 = numpy.uint64(acc_base) + k0
                                for t in range(numpy.uint64((j1 - j0) * channels)):
                                    acc[a0 + t] += g * xs[x0 + t]
                                if input_gradient:
                                    for t in range(numpy.uint64((j1 - j0) * channels)):
                                        gs[x0 + t] += g * kernel_flat[k0 + t]
                                continue
                            for j in range(j0, j1):
                                x0 = numpy.uint64(x_base + r * row + (c_start + j * dw) * channels)
                                k0 = numpy.uint64(((o * kh + i) * kw + j) * channels)
                                a0 = numpy.uint64(acc_base) + k0
                                for t in range(numpy.uint64(channels)):
                                    acc[a0 + t] += g * xs[x0 + t]
                                if input_gradient:
                                    for t in range(numpy.uint64(channels)):
                                        gs[x0 + t] += g * kernel_flat[k0 + t]
    return partial


_GATHER_BLOCKS = 16


def conv_relu_max_pool_gradients(x, kernel, gy, y, argmax, conv_geometry, pool_geometry, input_gradient):
    """(dL/dx or None, dL/dK, dL/db) summed over the pooled maxima only, each patch gathered from x."""
    out_size, strides, dilation, pads = conv_geometry
    pool_size, pool_strides, pool_pads = pool_geometry
    kh, kw, channels, filters = kernel.shape
    dtype = numpy.result_type(x, kernel, gy)
    kernel_t = numpy.ascontiguousarray(kernel.transpose(3, 0, 1, 2), dtype).reshape(filters, kh, kw * channels)
    partial = numpy.zeros((_GATHER_BLOCKS, filters, kh, kw * channels), dtype)
    bias_partial = numpy.zeros((_GATHER_BLOCKS, filters), numpy.float64)
    gx = backend.empty(x.shape, dtype, x) if input_gradient else numpy.empty(1, dtype)
    window = numpy.arange(pool_size[0] * pool_size[1])
    _conv_relu_max_pool_gradients(x.size, x, kernel_t, gy, y, argmax, window // pool_size[1], window % pool_size[1],
                                  strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0],
                                  pool_strides[0], pool_strides[1], pool_pads[0][0], pool_pads[1][0], partial,
                                  bias_partial, gx, input_gradient)
    g_kernel = numpy.ascontiguousarray(partial.sum(axis=0).reshape(filters, kh, kw, channels).transpose(1, 2, 3, 0))
    return (gx if input_gradient else None), g_kernel, bias_partial.sum(axis=0).astype(dtype)

