"""numba kernels for the CPU: the same contracts as the reference array code, as explicit loops compiled to machine code.

Each kernel here has a plain-array twin of the same name, registered with
``minidl.kernels.accelerated`` in the file of its operation (``im2col`` in
``functional/conv.py``, ``adam_update`` in ``optimizers.py``, ...), that
defines what it must return; ``tests/test_kernels.py`` compares the two.
Innermost loops walk the channel axis, contiguous in the channels-last layout.
The outer loops of the large kernels are ``prange``: over the batch, or over
elements. ``_Kernel`` runs them on every core only for arrays of
``cores.PARALLEL_MIN_ELEMENTS`` elements or more, and only where numpy's BLAS threads yield the cores quickly
after a matrix product (see ``minidl.core.cores``: otherwise every such kernel
waited about 8 ms for them); everywhere else on one thread. Results do not
depend on the number of threads: writes are disjoint and sums use a fixed
number of blocks. Compiled code is cached on disk (``cache=True``): the
first call after an install pays the compile time once. Every kernel is
compiled with numba's numpy error model: a float division by zero gives inf
or nan as numpy does instead of raising, so a loop with a division needs no
check per element and LLVM can vectorise it (Adam's update: the same
results, 2.9x faster on 118,784 weights). No kernel divides by a value that
can be zero.
"""

from __future__ import annotations

import math
import types

import numpy
from numba import njit, prange

from minidl.core import backend, cores

#: numba's options for every kernel: cached on disk, divisions without a Python zero check
COMPILE = {"cache": True, "error_model": "numpy"}


class _Kernel:
    """A loop nest compiled twice: its ``prange`` loops spread over every core, and all on one thread.

    Called as ``kernel(elements, *arguments)``: the threaded version runs for
    arrays of ``cores.PARALLEL_MIN_ELEMENTS`` elements or more, where numpy's
    BLAS threads yield the cores quickly (``cores.parallel_kernels``); the
    serial one everywhere else (waking threads costs more than small loops).
    """

    def __init__(self, loops):
        self.threaded = njit(parallel=True, **COMPILE)(loops)
        serial = types.FunctionType(loops.__code__, loops.__globals__, loops.__name__ + "_serial")
        serial.__qualname__ = loops.__qualname__ + "_serial"  # its own entry in numba's disk cache
        self.serial = njit(**COMPILE)(serial)

    def __call__(self, elements, *arguments):
        threaded = cores.parallel_kernels and elements >= cores.PARALLEL_MIN_ELEMENTS
        return (self.threaded if threaded else self.serial)(*arguments)


@_Kernel
def _im2col(x, cols, kh, kw, sh, sw, dh, dw, top, left, out_h, out_w, pad_value):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    for b in prange(n):
        for oh in range(out_h):
            for ow in range(out_w):
                c0 = ow * sw - left
                columns_inside = c0 >= 0 and c0 + (kw - 1) * dw < width  # no bounds checks in the loop below
                for i in range(kh):
                    r = oh * sh + i * dh - top
                    if columns_inside and 0 <= r < height:
                        for j in range(kw):
                            c = c0 + j * dw
                            for ch in range(channels):
                                cols[b, oh, ow, i, j, ch] = x[b, r, c, ch]
                        continue
                    for j in range(kw):
                        c = c0 + j * dw
                        if 0 <= r < height and 0 <= c < width:
                            for ch in range(channels):
                                cols[b, oh, ow, i, j, ch] = x[b, r, c, ch]
                        else:
                            for ch in range(channels):
                                cols[b, oh, ow, i, j, ch] = pad_value
    return cols


@_Kernel
def _im2col_runs(x, cols, kh, kw, sh, sw, dh, out_h, out_w):  # pragma: no cover - compiled
    # No padding and no dilation along a row: a window's row i is one run of kw * C consecutive elements
    # of x, x[b, r, c0 : c0 + kw, :], copied as one loop over flat views. For images of one to three
    # channels this is 1.6-2.7x faster than the loop above, whose innermost loop (the channels) is that
    # short; for more channels the loop above is faster.
    n, height, width, channels = x.shape
    run = kw * channels
    patch = kh * run
    source, target = x.reshape(-1), cols.reshape(-1)
    for b in prange(n):
        for oh in range(out_h):
            for i in range(kh):
                row = ((b * height + oh * sh + i * dh) * width) * channels
                start = ((b * out_h + oh) * out_w) * patch + i * run
                for ow in range(out_w):
                    s, t = row + ow * sw * channels, start + ow * patch
                    for q in range(run):
                        target[t + q] = source[s + q]
    return cols


#: ``im2col`` copies whole window rows (``_im2col_runs``) for images of at most this many channels.
RUN_COPY_MAX_CHANNELS = 3


def im2col(x, kernel_size, strides, dilation, pads, out_size, pad_value=0.0, out=None):
    """Every window of ``x`` as a patch, (N, OH, OW, kh, kw, C), into ``out`` if given; padding reads ``pad_value``."""
    shape = (x.shape[0], out_size[0], out_size[1], kernel_size[0], kernel_size[1], x.shape[3])
    cols = backend.empty(shape, x.dtype, x) if out is None else out
    if x.shape[3] <= RUN_COPY_MAX_CHANNELS and dilation[1] == 1 and pads == ((0, 0), (0, 0)):
        return _im2col_runs(cols.size, x, cols, kernel_size[0], kernel_size[1], strides[0], strides[1], dilation[0],
                            out_size[0], out_size[1])
    return _im2col(cols.size, x, cols, kernel_size[0], kernel_size[1], strides[0], strides[1], dilation[0], dilation[1],
                   pads[0][0], pads[1][0], out_size[0], out_size[1], pad_value)


@_Kernel
def _col2im(cols, gx, sh, sw, dh, dw, top, left):  # pragma: no cover - compiled
    n, out_h, out_w, kh, kw, channels = cols.shape
    height, width = gx.shape[1], gx.shape[2]
    for b in prange(n):
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


def col2im(cols, x_shape, strides, dilation, pads, out=None):
    """The adjoint of im2col: every patch added back where it was taken from (padding dropped), into ``out`` if given."""
    if out is None:
        gx = backend.zeros(x_shape, cols.dtype, cols)
    else:
        gx = out
        gx.fill(0)
    return _col2im(cols.size, cols, gx, strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0])


@_Kernel
def _kernel_gradient_blocks(cols, gy, partial):  # pragma: no cover - compiled
    # partial[block] = the block's rows of cols^T gy; rows two at a time, so that each pass over a
    # block's (patch, filters) sums does twice the work. The blocks are fixed (not one per thread), so
    # the sum does not depend on the number of threads.
    rows, patch = cols.shape
    filters = gy.shape[1]
    blocks = partial.shape[0]
    per = (rows + blocks - 1) // blocks
    per += per % 2
    for block in prange(blocks):
        start, stop = block * per, min(rows, (block + 1) * per)
        r = start
        while r + 1 < stop:
            for t in range(patch):
                a0, a1 = cols[r, t], cols[r + 1, t]
                for o in range(filters):
                    partial[block, t, o] += a0 * gy[r, o] + a1 * gy[r + 1, o]
            r += 2
        if r < stop:
            for t in range(patch):
                a = cols[r, t]
                for o in range(filters):
                    partial[block, t, o] += a * gy[r, o]
    return partial


#: ``kernel_gradient`` runs the loop above for patches of at most this many values and at most
#: ``SMALL_PRODUCT_MAX_FILTERS`` filters, where OpenBLAS is slow: on the benchmark CNN's first layer
#: ((306,432 x 9)^T times (306,432 x 32)) 3.0-3.5 ms against OpenBLAS's 6.9; tied at 32 x 64, slower beyond.
SMALL_PRODUCT_MAX_PATCH = 48
SMALL_PRODUCT_MAX_FILTERS = 32
_KERNEL_GRADIENT_BLOCKS = 16


def kernel_gradient(cols, gy_rows):
    """dL/dK = cols^T gy; for small patches a compiled loop, otherwise numpy's product."""
    if cols.shape[1] > SMALL_PRODUCT_MAX_PATCH or gy_rows.shape[1] > SMALL_PRODUCT_MAX_FILTERS:
        return cols.T @ gy_rows
    partial = numpy.zeros((_KERNEL_GRADIENT_BLOCKS, cols.shape[1], gy_rows.shape[1]), numpy.result_type(cols, gy_rows))
    _kernel_gradient_blocks(cols.size, cols, gy_rows, partial)
    return partial.sum(axis=0)


@_Kernel
def _max_pool2d_forward(x, y, argmax, ph, pw, sh, sw, top, left):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for b in prange(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for ch in range(channels):
                    y[b, oh, ow, ch] = -numpy.inf
                    argmax[b, oh, ow, ch] = 0
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


@_Kernel
def _max_pool2d_forward_small_tiles(x, y, argmax, ph, pw):  # pragma: no cover - compiled
    # Windows of at most 2 x 2 that tile the input (strides == pool, no padding): the four reads of a
    # window are written out, each kept in a register, so that LLVM vectorises the loop over channels
    # (the loop above, with a window loop of unknown length, runs scalar: 18.3 against 2.0 ms on the
    # benchmark CNN's first pooling layer).
    # Row r0 + i1 and column c0 + j1 are the window's last; for a window of 1 along an axis they repeat
    # the first, and a repeated element never wins the strict comparison, so the index stays the first's.
    n = x.shape[0]
    out_h, out_w, channels = y.shape[1], y.shape[2], y.shape[3]
    i1, j1 = ph - 1, pw - 1
    lowest = x.dtype.type(-numpy.inf)
    for b in prange(n):
        for oh in range(out_h):
            r0 = oh * ph
            for ow in range(out_w):
                c0 = ow * pw
                for ch in range(channels):
                    best, where = lowest, 0
                    value = x[b, r0, c0, ch]
                    if value > best:
                        best, where = value, 0
                    value = x[b, r0, c0 + j1, ch]
                    if value > best:
                        best, where = value, j1
                    value = x[b, r0 + i1, c0, ch]
                    if value > best:
                        best, where = value, i1 * pw
                    value = x[b, r0 + i1, c0 + j1, ch]
                    if value > best:
                        best, where = value, i1 * pw + j1
                    y[b, oh, ow, ch] = best
                    argmax[b, oh, ow, ch] = where
    return y, argmax


def max_pool2d_forward(x, pool_size, strides, pads, out_size, out=None):
    """(y, argmax): the window maxima and the flat index (i * pw + j) in its window of each one.

    The indices are of ``backend.window_index_dtype``. ``out``: (y, argmax) to write into.
    """
    shape = (x.shape[0],) + tuple(out_size) + (x.shape[3],)
    index_dtype = backend.window_index_dtype(pool_size)
    y, argmax = (backend.empty(shape, x.dtype, x), backend.empty(shape, index_dtype, x)) if out is None else out
    if _small_tiles(pool_size, strides, pads):
        return _max_pool2d_forward_small_tiles(x.size, x, y, argmax, pool_size[0], pool_size[1])
    return _max_pool2d_forward(x.size, x, y, argmax, pool_size[0], pool_size[1], strides[0], strides[1], pads[0][0],
                               pads[1][0])


def _tiling(pool_size, strides, pads):
    """Whether the windows tile the input: strides equal to the pool, and no padding."""
    return tuple(strides) == tuple(pool_size) and pads == ((0, 0), (0, 0))


def _small_tiles(pool_size, strides, pads):
    """Whether the windows are at most 2 x 2 and tile the input: Keras's default pooling, (2, 2) or 1-D 2."""
    return _tiling(pool_size, strides, pads) and max(pool_size) <= 2


@njit(**COMPILE)
def _max_pool2d_backward(gy, argmax, gx, pw, sh, sw, top, left):  # pragma: no cover - compiled
    n, out_h, out_w, channels = gy.shape
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for ch in range(channels):
                    position = argmax[b, oh, ow, ch]
                    r = oh * sh + position // pw - top
                    c = ow * sw + position % pw - left
                    gx[b, r, c, ch] += gy[b, oh, ow, ch]
    return gx


@_Kernel
def _max_pool2d_backward_tiled(gy, argmax, gx, ph, pw):  # pragma: no cover - compiled
    # Windows that tile the input (strides == pool, no padding): every element of gx is written
    # once, in memory order, so no zero-filled array is needed first.
    n, out_h, out_w, channels = gy.shape
    height, width = gx.shape[1], gx.shape[2]
    for b in prange(n):
        for r in range(height):
            oh, i = r // ph, r % ph
            for c in range(width):
                ow, j = c // pw, c % pw
                if oh >= out_h or ow >= out_w:  # the rows and columns no window reached
                    for ch in range(channels):
                        gx[b, r, c, ch] = 0
                    continue
                position = i * pw + j
                for ch in range(channels):
                    gx[b, r, c, ch] = gy[b, oh, ow, ch] if argmax[b, oh, ow, ch] == position else 0
    return gx


def max_pool2d_backward(gy, argmax, x_shape, pool_size, strides, pads):
    """Each gy added to the input element that was its window's maximum; no mask is materialised."""
    if _tiling(pool_size, strides, pads):
        gx = backend.empty(x_shape, gy.dtype, gy)
        return _max_pool2d_backward_tiled(gx.size, gy, argmax, gx, pool_size[0], pool_size[1])
    gx = backend.zeros(x_shape, gy.dtype, gy)
    return _max_pool2d_backward(gy, argmax, gx, pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0])


@_Kernel
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


@njit(**COMPILE)
def _real_window(oh, ow, ph, pw, sh, sw, top, left, height, width):  # pragma: no cover - compiled
    """Rows [r0, r1) and columns [c0, c1) of the input inside window (oh, ow), padding left out."""
    r0, c0 = oh * sh - top, ow * sw - left
    return max(r0, 0), min(r0 + ph, height), max(c0, 0), min(c0 + pw, width)


@_Kernel
def _avg_pool2d_forward(x, y, ph, pw, sh, sw, top, left):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for b in prange(n):
        for oh in range(out_h):
            for ow in range(out_w):
                r0, r1, c0, c1 = _real_window(oh, ow, ph, pw, sh, sw, top, left, height, width)
                count = (r1 - r0) * (c1 - c0)
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        for ch in range(channels):
                            y[b, oh, ow, ch] += x[b, r, c, ch] / count
    return y


@_Kernel
def _avg_pool2d_forward_small_tiles(x, y, ph, pw):  # pragma: no cover - compiled
    # Windows of at most 2 x 2 that tile the input: the reads written out, as in the max pooling kernel
    # above, so that the loop over channels is vectorised; the same sums in the same order (rounded to
    # y's type after each term) as _avg_pool2d_forward, so the same results to the bit.
    n = x.shape[0]
    out_h, out_w, channels = y.shape[1], y.shape[2], y.shape[3]
    count = ph * pw
    to_y = y.dtype.type
    for b in prange(n):
        for oh in range(out_h):
            r0 = oh * ph
            for ow in range(out_w):
                c0 = ow * pw
                for ch in range(channels):
                    total = to_y(x[b, r0, c0, ch] / count)
                    if pw == 2:
                        total = to_y(total + x[b, r0, c0 + 1, ch] / count)
                    if ph == 2:
                        total = to_y(total + x[b, r0 + 1, c0, ch] / count)
                        if pw == 2:
                            total = to_y(total + x[b, r0 + 1, c0 + 1, ch] / count)
                    y[b, oh, ow, ch] = total
    return y


def avg_pool2d_forward(x, pool_size, strides, pads, out_size):
    """Window means over the real (non-padding) elements."""
    if _small_tiles(pool_size, strides, pads):
        y = backend.empty((x.shape[0],) + tuple(out_size) + (x.shape[3],), x.dtype, x)
        return _avg_pool2d_forward_small_tiles(x.size, x, y, pool_size[0], pool_size[1])
    y = backend.zeros((x.shape[0],) + tuple(out_size) + (x.shape[3],), x.dtype, x)
    return _avg_pool2d_forward(x.size, x, y, pool_size[0], pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0])


@njit(**COMPILE)
def _avg_pool2d_backward(gy, gx, ph, pw, sh, sw, top, left):  # pragma: no cover - compiled
    n, out_h, out_w, channels = gy.shape
    height, width = gx.shape[1], gx.shape[2]
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


@_Kernel
def _avg_pool2d_backward_tiled(gy, gx, ph, pw):  # pragma: no cover - compiled
    # Windows that tile the input (strides == pool, no padding): every element of gx is written once, in
    # memory order, so no zero-filled array is needed first and the threads' writes are disjoint.
    n, out_h, out_w, channels = gy.shape
    height, width = gx.shape[1], gx.shape[2]
    count = ph * pw
    for b in prange(n):
        for r in range(height):
            oh = r // ph
            for c in range(width):
                ow = c // pw
                if oh >= out_h or ow >= out_w:  # the rows and columns no window reached
                    for ch in range(channels):
                        gx[b, r, c, ch] = 0
                    continue
                for ch in range(channels):
                    gx[b, r, c, ch] = gy[b, oh, ow, ch] / count
    return gx


def avg_pool2d_backward(gy, x_shape, pool_size, strides, pads):
    """Every real element of a window receives gy / (real elements in the window)."""
    if _tiling(pool_size, strides, pads):
        gx = backend.empty(x_shape, gy.dtype, gy)
        return _avg_pool2d_backward_tiled(gx.size, gy, gx, pool_size[0], pool_size[1])
    gx = backend.zeros(x_shape, gy.dtype, gy)
    return _avg_pool2d_backward(gy, gx, pool_size[0], pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0])


# Elementwise and per-channel kernels: one pass over memory where numpy makes two or three.


@_Kernel
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


@_Kernel
def _gated_copy(gy, y, gx):  # pragma: no cover - compiled
    for k in prange(gy.size):
        gx[k] = gy[k] * (1 if y[k] > 0 else 0)
    return gx


def relu_backward(gy, y):
    """dL/dx = gy * [y > 0]."""
    return _from_output(_gated_copy, gy, y)


@_Kernel
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


@_Kernel
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


@_Kernel
def _sigmoid_backward(gy, y, gx):  # pragma: no cover - compiled
    for k in prange(gy.size):
        gx[k] = gy[k] * y[k] * (1 - y[k])
    return gx


def sigmoid_backward(gy, y):
    """dL/dx = gy * y * (1 - y), from the sigmoid's output y."""
    return _from_output(_sigmoid_backward, gy, y)


@_Kernel
def _tanh_backward(gy, y, gx):  # pragma: no cover - compiled
    for k in prange(gy.size):
        gx[k] = gy[k] * (1 - y[k] * y[k])
    return gx


def tanh_backward(gy, y):
    """dL/dx = gy * (1 - y^2), from tanh's output y."""
    return _from_output(_tanh_backward, gy, y)


@_Kernel
def _erf(x, y):  # pragma: no cover - compiled
    for k in prange(x.size):
        y[k] = math.erf(x[k])
    return y


def erf(x):
    """erf(x) element by element (GELU's normal CDF)."""
    y = backend.empty(x.shape, x.dtype, x)
    _erf(x.size, x.reshape(-1), y.reshape(-1))
    return y


def _rows(a):
    """(elements per channel, channels) view of a channels-last array."""
    return a.reshape(-1, a.shape[-1])


@_Kernel
def _bias_relu(rows, bias, has_bias):  # pragma: no cover - compiled
    for r in prange(rows.shape[0]):
        for c in range(rows.shape[1]):
            value = rows[r, c] + bias[c] if has_bias else rows[r, c]
            rows[r, c] = 0 if value <= 0 else value
    return rows


def bias_relu(y, bias):
    """y = max(y + bias, 0) per channel, in place (``bias`` may be None)."""
    has_bias = bias is not None
    _bias_relu(y.size, _rows(y), bias if has_bias else numpy.zeros(1, y.dtype), has_bias)
    return y


@_Kernel
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
    sums = _relu_backward_and_channel_sums(gy.size, _rows(gy), _rows(y), _rows(gx), 16)
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
    return _channel_sums(_rows(a)).astype(a.dtype)


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
    mean, variance = _batch_norm_statistics(_rows(x))
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
    _batch_norm_forward(_rows(x), mean, inverse_std, gamma, beta, _rows(x_hat), _rows(y))
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
    gy_rows, x_hat_rows = _rows(gy), _rows(x_hat)
    sum_gy, sum_gy_x_hat = _batch_norm_backward_sums(gy_rows, x_hat_rows)
    g_x = None
    if input_gradient:
        m = gy_rows.shape[0]
        g_x = backend.empty(gy.shape, gy.dtype, gy)
        _batch_norm_input_gradient(gy_rows, x_hat_rows, (gamma * inverse_std).astype(numpy.float64), sum_gy / m,
                                   sum_gy_x_hat / m, _rows(g_x))
    return g_x, sum_gy_x_hat.astype(gy.dtype), sum_gy.astype(gy.dtype)


# Optimizer updates, in place on flat views.


def _flat(*arrays):
    """1-D views of C-contiguous arrays (the kernels update them in place, so they must not be copies)."""
    return tuple(a.reshape(-1) for a in arrays)


@_Kernel
def _adam_update(w, g, m, v, v_max, amsgrad, alpha, beta_1, beta_2, epsilon):  # pragma: no cover - compiled
    for k in prange(w.size):
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
    _adam_update(w.size, *_flat(w, g, m, v, v_max if amsgrad else v), amsgrad, alpha, beta_1, beta_2,
            epsilon)


@njit(**COMPILE)
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


@njit(**COMPILE)
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
