"""cupy kernels for an NVIDIA GPU: the same contracts as the reference array code, as CUDA code.

Each kernel computes one output element per GPU thread (cupy's
``ElementwiseKernel``, with ``i`` the flat index of that element in a
C-contiguous array). The windowed backwards *gather*: a thread owns one
element of the input gradient and sums the window outputs that read it, so
no two threads write the same place and no atomics are needed. Where
cupy's own array operations already do the work in one or two passes
(per-channel sums, batch-norm statistics) this module defines no kernel and
``minidl.kernels`` runs the reference code on the cupy arrays. Matrix
products go to cuBLAS through ``cupy.matmul``.

Importing this module needs cupy; ``minidl.kernels`` imports it only when a
cupy array arrives.
"""

from __future__ import annotations

import cupy

from minidl.core import backend


# Decomposes the flat index i of a channels-last element (b, r, c, ch) of shape (n, rows, columns, channels).
_SPLIT_IMAGE_INDEX = """
    long long rest = i;
    const int ch = rest % channels; rest /= channels;
    const int c = rest % columns; rest /= columns;
    const int r = rest % rows;
    const long long b = rest / rows;
"""


def _sum_over_windows(height: str, width: str, row_step: str, column_step: str, term: str) -> str:
    """CUDA code that adds ``term`` into ``sum`` for every window (oh, ow) and kernel position (k, j) that
    read input element (r, c): the gather that replaces a scatter in the windowed backwards."""
    return f"""
    T sum = 0;
    for (int k = 0; k < {height}; ++k) {{
        const int row = r + top - k * {row_step};  // = oh * sh for the window that read row r at kernel row k
        if (row < 0 || row % sh != 0 || row / sh >= out_h) continue;
        const int oh = row / sh;
        for (int j = 0; j < {width}; ++j) {{
            const int column = c + left - j * {column_step};
            if (column < 0 || column % sw != 0 || column / sw >= out_w) continue;
            const int ow = column / sw;
            {term}
        }}
    }}
    gx = sum;
"""


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
    _SPLIT_IMAGE_INDEX + _sum_over_windows(
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
    _SPLIT_IMAGE_INDEX + "T best = lowest;\nint best_position = 0;\n" + _over_the_window("""
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
    _SPLIT_IMAGE_INDEX + _sum_over_windows("ph", "pw", "1", "1", """
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
    _SPLIT_IMAGE_INDEX + "T sum = 0;\n" + _over_the_window("sum += value;")
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
    _SPLIT_IMAGE_INDEX + _sum_over_windows("ph", "pw", "1", "1", """
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


_adam = cupy.ElementwiseKernel(
    "T g, T alpha, T one_minus_beta_1, T one_minus_beta_2, T epsilon",
    "T w, T m, T v",
    """
    m += (g - m) * one_minus_beta_1;
    v += (g * g - v) * one_minus_beta_2;
    w -= m * alpha / (sqrt(v) + epsilon);
    """,
    "minidl_adam_update",
)

_adam_amsgrad = cupy.ElementwiseKernel(
    "T g, T alpha, T one_minus_beta_1, T one_minus_beta_2, T epsilon",
    "T w, T m, T v, T v_max",
    """
    m += (g - m) * one_minus_beta_1;
    v += (g * g - v) * one_minus_beta_2;
    v_max = max(v_max, v);
    w -= m * alpha / (sqrt(v_max) + epsilon);
    """,
    "minidl_adam_amsgrad_update",
)


def adam_update(w, g, m, v, v_max, alpha, beta_1, beta_2, epsilon):
    """Adam's moment and weight updates in place, one thread per weight."""
    t = w.dtype.type
    scalars = (t(alpha), t(1 - beta_1), t(1 - beta_2), t(epsilon))
    if v_max is None:
        _adam(g, *scalars, w, m, v)
    else:
        _adam_amsgrad(g, *scalars, w, m, v, v_max)


_momentum = cupy.ElementwiseKernel(
    "T g, T lr, T momentum, bool nesterov",
    "T w, T velocity",
    """
    velocity = momentum * velocity - lr * g;
    w += nesterov ? momentum * velocity - lr * g : velocity;
    """,
    "minidl_momentum_update",
)


def momentum_update(w, g, velocity, lr, momentum, nesterov):
    """SGD with (Nesterov) momentum, in place."""
    t = w.dtype.type
    _momentum(g, t(lr), t(momentum), bool(nesterov), w, velocity)


_rmsprop = cupy.ElementwiseKernel(
    "T g, T lr, T rho, T momentum, T epsilon, bool centered, bool with_momentum",
    "T w, T a, T mg, T s",
    """
    a = rho * a + ((T)1 - rho) * g * g;
    T denominator = a + epsilon;
    if (centered) {
        mg = rho * mg + ((T)1 - rho) * g;
        denominator = a - mg * mg + epsilon;
    }
    const T increment = lr * g / sqrt(denominator);
    if (with_momentum) {
        s = momentum * s + increment;
        w -= s;
    } else {
        w -= increment;
    }
    """,
    "minidl_rmsprop_update",
)


def rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon):
    """RMSprop (centered when ``mg`` is given, with momentum when ``s`` is given), in place."""
    t = w.dtype.type
    centered, with_momentum = mg is not None, s is not None
    mg = mg if centered else cupy.empty_like(w)  # placeholders the kernel never reads
    s = s if with_momentum else cupy.empty_like(w)
    _rmsprop(g, t(lr), t(rho), t(momentum), t(epsilon), centered, with_momentum, w, a, mg, s)
