"""numba and CUDA kernels of 2-D max and average pooling, forward and backward.

References beside their operation: ``minidl.functional.pool.max_pool2d_forward``, ``max_pool2d_backward``,
``avg_pool2d_forward`` and ``avg_pool2d_backward``; each has a CUDA counterpart here.
"""

from __future__ import annotations

import numpy
from numba import njit, prange

from minidl.core import backend
from minidl.kernels.compiling import COMPILE, Kernel
from minidl.kernels.cuda_code import SPLIT_IMAGE_INDEX, sum_over_windows


@Kernel
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


@Kernel
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


@Kernel
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


@njit(**COMPILE)
def _real_window(oh, ow, ph, pw, sh, sw, top, left, height, width):  # pragma: no cover - compiled
    """Rows [r0, r1) and columns [c0, c1) of the input inside window (oh, ow), padding left out."""
    r0, c0 = oh * sh - top, ow * sw - left
    return max(r0, 0), min(r0 + ph, height), max(c0, 0), min(c0 + pw, width)


@Kernel
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


@Kernel
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


@Kernel
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


# CUDA counterparts, built on the first cupy array (``minidl.kernels.cuda_kernels``).


def cuda_kernels(cupy):  # pragma: no cover - needs a GPU, or tests/cuda_on_cpu.py's stand-in cupy
    """The CUDA pooling kernels: forwards one thread per output, backwards one per input gradient (a gather)."""
    def _over_the_window(term: str) -> str:
        """CUDA loops that run ``term`` for every real (non-padding) input ``value`` of pooling window (r, c)."""
        return f"""
        for (int k = 0; k < ph; ++k) {{
            const int xr = r * sh + k - top;
            if (xr < 0 || xr >= height) continue;
            for (int j = 0; j < pw; ++j) {{
                const int xc = c * sw + j - left;
                if (xc < 0 || xc >= width) continue;
                const T value = x[((b * height + xr) * width + xc) * channels + ch];
                {term}
            }}
        }}
    """


    _max_pool_forward_kernel = cupy.ElementwiseKernel(
        "raw T x, int32 height, int32 width, int32 rows, int32 columns, int32 channels, int32 ph, int32 pw, "
        "int32 sh, int32 sw, int32 top, int32 left, T lowest",
        "T y, I argmax",
        SPLIT_IMAGE_INDEX + "T best = lowest;\nint best_position = 0;\n" + _over_the_window("""
                if (value > best) {  // strict: the first maximum wins, as in the reference
                    best = value;
                    best_position = k * pw + j;
                }""") + "y = best;\nargmax = best_position;",
        "minidl_max_pool2d_forward",
    )


    def max_pool2d_forward(x, pool_size, strides, pads, out_size, out=None):
        """(y, argmax): the window maxima and the flat index (i * pw + j) in its window of each one (into ``out``)."""
        x = cupy.ascontiguousarray(x)
        shape = (x.shape[0], out_size[0], out_size[1], x.shape[3])
        index_dtype = backend.window_index_dtype(pool_size)
        y, argmax = (cupy.empty(shape, dtype=x.dtype), cupy.empty(shape, dtype=index_dtype)) if out is None else out
        # rows/columns name the output's spatial size here: the index split walks the output.
        _max_pool_forward_kernel(x, x.shape[1], x.shape[2], out_size[0], out_size[1], x.shape[3], pool_size[0],
                                 pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0], x.dtype.type(-cupy.inf),
                                 y, argmax)
        return y, argmax


    _max_pool_backward_kernel = cupy.ElementwiseKernel(
        "raw T gy, raw I argmax, int32 rows, int32 columns, int32 channels, int32 out_h, int32 out_w, "
        "int32 ph, int32 pw, int32 sh, int32 sw, int32 top, int32 left",
        "T gx",
        SPLIT_IMAGE_INDEX + sum_over_windows("ph", "pw", "1", "1", """
                const long long o = ((b * out_h + oh) * out_w + ow) * channels + ch;
                if ((int)argmax[o] == k * pw + j) sum += gy[o];"""),
        "minidl_max_pool2d_backward",
    )


    def max_pool2d_backward(gy, argmax, x_shape, pool_size, strides, pads):
        """Each gy added to the input element that was its window's maximum."""
        gy, argmax = cupy.ascontiguousarray(gy), cupy.ascontiguousarray(argmax)
        gx = cupy.empty(x_shape, dtype=gy.dtype)
        _max_pool_backward_kernel(gy, argmax, x_shape[1], x_shape[2], x_shape[3], gy.shape[1], gy.shape[2], pool_size[0],
                                  pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0], gx)
        return gx


    # The number of real (non-padding) elements of window (oh, ow).
    _WINDOW_COUNT = """
    __device__ int window_count(int oh, int ow, int ph, int pw, int sh, int sw, int top, int left, int height, int width) {
        const int r0 = oh * sh - top, c0 = ow * sw - left;
        const int rows = min(r0 + ph, height) - max(r0, 0);
        const int columns = min(c0 + pw, width) - max(c0, 0);
        return rows * columns;
    }
    """

    _avg_pool_forward_kernel = cupy.ElementwiseKernel(
        "raw T x, int32 height, int32 width, int32 rows, int32 columns, int32 channels, int32 ph, int32 pw, "
        "int32 sh, int32 sw, int32 top, int32 left",
        "T y",
        SPLIT_IMAGE_INDEX + "T sum = 0;\n" + _over_the_window("sum += value;")
        + "y = sum / (T)window_count(r, c, ph, pw, sh, sw, top, left, height, width);",
        "minidl_avg_pool2d_forward",
        preamble=_WINDOW_COUNT,
    )


    def avg_pool2d_forward(x, pool_size, strides, pads, out_size):
        """Window means over the real (non-padding) elements."""
        x = cupy.ascontiguousarray(x)
        y = cupy.empty((x.shape[0], out_size[0], out_size[1], x.shape[3]), dtype=x.dtype)
        _avg_pool_forward_kernel(x, x.shape[1], x.shape[2], out_size[0], out_size[1], x.shape[3], pool_size[0],
                                 pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0], y)
        return y


    _avg_pool_backward_kernel = cupy.ElementwiseKernel(
        "raw T gy, int32 rows, int32 columns, int32 channels, int32 out_h, int32 out_w, "
        "int32 ph, int32 pw, int32 sh, int32 sw, int32 top, int32 left",
        "T gx",
        SPLIT_IMAGE_INDEX + sum_over_windows("ph", "pw", "1", "1", """
                const int count = window_count(oh, ow, ph, pw, sh, sw, top, left, rows, columns);
                sum += gy[((b * out_h + oh) * out_w + ow) * channels + ch] / (T)count;"""),
        "minidl_avg_pool2d_backward",
        preamble=_WINDOW_COUNT,
    )


    def avg_pool2d_backward(gy, x_shape, pool_size, strides, pads):
        """Every real element of a window receives gy / (real elements in the window)."""
        gy = cupy.ascontiguousarray(gy)
        gx = cupy.empty(x_shape, dtype=gy.dtype)
        _avg_pool_backward_kernel(gy, x_shape[1], x_shape[2], x_shape[3], gy.shape[1], gy.shape[2], pool_size[0],
                                  pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0], gx)
        return gx

    return {"max_pool2d_forward": max_pool2d_forward, "max_pool2d_backward": max_pool2d_backward, "avg_pool2d_forward": avg_pool2d_forward, "avg_pool2d_backward": avg_pool2d_backward}
