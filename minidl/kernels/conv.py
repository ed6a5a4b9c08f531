"""numba and CUDA kernels of convolution: window extraction (im2col), its adjoint (col2im), dL/dK.

References beside their operation: ``minidl.functional.conv.im2col``, ``col2im`` and ``kernel_gradient``.
CUDA: ``im2col`` and ``col2im`` (``kernel_gradient`` is cuBLAS's product there).
"""

from __future__ import annotations

import numpy
from numba import prange

from minidl.core import backend
from minidl.kernels.compiling import Kernel
from minidl.kernels.cuda_code import SPLIT_IMAGE_INDEX, sum_over_windows


@Kernel
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


@Kernel
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


@Kernel
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


@Kernel
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



# CUDA counterparts, built on the first cupy array (``minidl.kernels.cuda_kernels``).


def cuda_kernels(cupy):  # pragma: no cover - needs a GPU, or tests/cuda_on_cpu.py's stand-in cupy
    """The CUDA ``im2col`` and ``col2im``, one thread per output element."""
    _im2col_kernel = cupy.ElementwiseKernel(
        "raw T x, int32 height, int32 width, int32 channels, int32 out_h, int32 out_w, int32 kh, int32 kw, "
        "int32 sh, int32 sw, int32 dh, int32 dw, int32 top, int32 left, T pad_value",
        "T cols",
        """
        long long rest = i;
        const int ch = rest % channels; rest /= channels;
        const int j = rest % kw; rest /= kw;
        const int k = rest % kh; rest /= kh;
        const int ow = rest % out_w; rest /= out_w;
        const int oh = rest % out_h;
        const long long b = rest / out_h;
        const int r = oh * sh + k * dh - top;
        const int c = ow * sw + j * dw - left;
        cols = (r >= 0 && r < height && c >= 0 && c < width) ? x[((b * height + r) * width + c) * channels + ch]
                                                             : pad_value;
        """,
        "minidl_im2col",
    )


    def im2col(x, kernel_size, strides, dilation, pads, out_size, pad_value=0.0, out=None):
        """Every window of ``x`` as a patch, (N, OH, OW, kh, kw, C); padding reads ``pad_value``."""
        x = cupy.ascontiguousarray(x)
        shape = (x.shape[0], out_size[0], out_size[1], kernel_size[0], kernel_size[1], x.shape[3])
        cols = cupy.empty(shape, dtype=x.dtype) if out is None else out
        _im2col_kernel(x, x.shape[1], x.shape[2], x.shape[3], out_size[0], out_size[1], kernel_size[0], kernel_size[1],
                       strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0], x.dtype.type(pad_value),
                       cols)
        return cols


    _col2im_kernel = cupy.ElementwiseKernel(
        "raw T cols, int32 rows, int32 columns, int32 channels, int32 out_h, int32 out_w, int32 kh, int32 kw, "
        "int32 sh, int32 sw, int32 dh, int32 dw, int32 top, int32 left",
        "T gx",
        SPLIT_IMAGE_INDEX + sum_over_windows(
            "kh", "kw", "dh", "dw", "sum += cols[((((b * out_h + oh) * out_w + ow) * kh + k) * kw + j) * channels + ch];"),
        "minidl_col2im",
    )


    def col2im(cols, x_shape, strides, dilation, pads, out=None):
        """The adjoint of im2col: every patch added back where it was taken from (padding dropped), into ``out`` if given."""
        cols = cupy.ascontiguousarray(cols)
        _, out_h, out_w, kh, kw, _ = cols.shape
        gx = cupy.empty(x_shape, dtype=cols.dtype) if out is None else out
        _col2im_kernel(cols, x_shape[1], x_shape[2], x_shape[3], out_h, out_w, kh, kw, strides[0], strides[1],
                       dilation[0], dilation[1], pads[0][0], pads[1][0], gx)
        return gx

    return {"im2col": im2col, "col2im": col2im}
