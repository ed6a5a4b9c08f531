"""Plain array implementations of every kernel (the reference kernels).

Arrays in, arrays out, no graph. Activations are channels-last,
``x: (batch, height, width, channels)``. Written with whole-array slicing
(one slice per kernel position), so they run unchanged on numpy and cupy
and can be read next to the equations; faster kernels must agree with them.
"""

from __future__ import annotations

from typing import Any

from minidl import backend


def _window_slices(i: int, j: int, out_h: int, out_w: int, strides: tuple, dilation: tuple) -> tuple:
    """Rows and columns of the padded input that kernel position (i, j) meets, for every output."""
    row0, col0 = i * dilation[0], j * dilation[1]
    rows = slice(row0, row0 + strides[0] * (out_h - 1) + 1, strides[0])
    cols = slice(col0, col0 + strides[1] * (out_w - 1) + 1, strides[1])
    return rows, cols


def pad_image(x: Any, pads: tuple, value: float = 0.0) -> Any:
    """Pad the height and width axes of (N, H, W, C) by ``pads = ((top, bottom), (left, right))``."""
    xp = backend.get_array_module(x)
    if pads == ((0, 0), (0, 0)):
        return x
    return xp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), mode="constant", constant_values=value)


def im2col(
    x: Any, kernel_size: tuple, strides: tuple, dilation: tuple, pads: tuple, out_size: tuple,
    pad_value: float = 0.0, out: Any = None,
) -> Any:
    """Every window of ``x`` as a patch: cols[n, oh, ow, i, j, c] = x_padded[n, oh*sh + i*dh, ow*sw + j*dw, c].

    Returns an array of shape (N, OH, OW, kh, kw, C), written into ``out`` when given.
    """
    xp = backend.get_array_module(x)
    padded = pad_image(x, pads, pad_value)
    (kh, kw), (out_h, out_w) = kernel_size, out_size
    shape = (x.shape[0], out_h, out_w, kh, kw, x.shape[3])
    cols = xp.empty(shape, dtype=x.dtype) if out is None else out
    for i in range(kh):
        for j in range(kw):
            rows, columns = _window_slices(i, j, out_h, out_w, strides, dilation)
            cols[:, :, :, i, j, :] = padded[:, rows, columns, :]
    return cols


def col2im(cols: Any, x_shape: tuple, strides: tuple, dilation: tuple, pads: tuple) -> Any:
    """The adjoint of im2col: add every patch back where it was taken from.

    An input element that lies in several windows receives the sum of its
    patches' values. Returns an array of shape ``x_shape`` (padding removed).
    """
    xp = backend.get_array_module(cols)
    n, height, width, channels = x_shape
    _, out_h, out_w, kh, kw, _ = cols.shape
    (top, bottom), (left, right) = pads
    padded = xp.zeros((n, height + top + bottom, width + left + right, channels), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _window_slices(i, j, out_h, out_w, strides, dilation)
            padded[:, rows, columns, :] += cols[:, :, :, i, j, :]
    return padded[:, top : top + height, left : left + width, :]


def max_pool2d_forward(x: Any, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple) -> tuple:
    """y[n, oh, ow, c] = max over the window; also returns the argmax (flat index in the window).

    Padding never wins: it is filled with -inf. Returns (y, argmax), both (N, OH, OW, C).
    """
    xp = backend.get_array_module(x)
    windows = im2col(x, pool_size, strides, (1, 1), pads, out_size, pad_value=-xp.inf)
    windows = windows.reshape(windows.shape[:3] + (-1, x.shape[3]))
    argmax = windows.argmax(axis=3)
    y = xp.take_along_axis(windows, argmax[:, :, :, None, :], axis=3)[:, :, :, 0, :]
    return y, argmax


def max_pool2d_backward(
    gy: Any, argmax: Any, x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple
) -> Any:
    """Route each gy to the input element that was the window's maximum (the first, at ties)."""
    xp = backend.get_array_module(gy)
    window_positions = xp.arange(pool_size[0] * pool_size[1]).reshape(1, 1, 1, -1, 1)
    g_windows = (window_positions == argmax[:, :, :, None, :]) * gy[:, :, :, None, :]
    g_windows = g_windows.reshape(gy.shape[:3] + tuple(pool_size) + (gy.shape[3],))
    return col2im(g_windows.astype(gy.dtype), x_shape, strides, (1, 1), pads)


def avg_pool2d_counts(x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple, xp: Any) -> Any:
    """How many real (non-padding) input elements each window holds: (1, OH, OW, 1)."""
    ones = xp.ones((1, x_shape[1], x_shape[2], 1), dtype=xp.float64)
    windows = im2col(ones, pool_size, strides, (1, 1), pads, out_size)
    return windows.sum(axis=(3, 4))


def avg_pool2d_forward(x: Any, pool_size: tuple, strides: tuple, pads: tuple, out_size: tuple) -> Any:
    """y[n, oh, ow, c] = mean of the real elements in the window (padding is not counted, as Keras)."""
    xp = backend.get_array_module(x)
    windows = im2col(x, pool_size, strides, (1, 1), pads, out_size)
    counts = avg_pool2d_counts(x.shape, pool_size, strides, pads, out_size, xp)
    return (windows.sum(axis=(3, 4)) / counts).astype(x.dtype)


def avg_pool2d_backward(
    gy: Any, x_shape: tuple, pool_size: tuple, strides: tuple, pads: tuple
) -> Any:
    """Each window shares its gy equally among its real elements: dL/dx = sum over windows of gy / count."""
    xp = backend.get_array_module(gy)
    out_size = gy.shape[1:3]
    counts = avg_pool2d_counts(x_shape, pool_size, strides, pads, out_size, xp)
    share = (gy / counts).astype(gy.dtype)
    g_windows = xp.broadcast_to(
        share[:, :, :, None, None, :], gy.shape[:3] + tuple(pool_size) + (gy.shape[3],)
    )
    return col2im(g_windows, x_shape, strides, (1, 1), pads)


def relu_forward(x: Any) -> Any:
    """y = max(x, 0)."""
    return backend.get_array_module(x).maximum(x, 0)


def relu_backward(gy: Any, y: Any) -> Any:
    """dL/dx = gy * [y > 0] (the gradient at 0 is 0, as Keras and PyTorch)."""
    return gy * (y > 0)


def sigmoid_backward(gy: Any, y: Any) -> Any:
    """dL/dx = gy * y * (1 - y), from the sigmoid's output y."""
    return gy * y * (1 - y)


def tanh_backward(gy: Any, y: Any) -> Any:
    """dL/dx = gy * (1 - y^2), from tanh's output y."""
    return gy * (1 - y * y)


def channel_sums(a: Any) -> Any:
    """Sum over every axis but the last (channels): (..., C) -> (C,)."""
    return a.sum(axis=tuple(range(a.ndim - 1)))


def bias_relu(y: Any, bias: Any) -> Any:
    """y = max(y + bias, 0) per channel, in place (``bias`` may be None)."""
    if bias is not None:
        y += bias
    return backend.get_array_module(y).maximum(y, 0, out=y)


def relu_backward_and_channel_sums(gy: Any, y: Any) -> tuple:
    """(gy * [y > 0], its sums per channel): the gradient before a ReLU and a bias's gradient."""
    gx = relu_backward(gy, y)
    return gx, channel_sums(gx)


def batch_norm_statistics(x: Any) -> tuple:
    """Per-channel mean and biased variance over every axis but the last."""
    axes = tuple(range(x.ndim - 1))
    return x.mean(axis=axes), x.var(axis=axes)


def batch_norm_forward(x: Any, mean: Any, inverse_std: Any, gamma: Any, beta: Any) -> tuple:
    """(x_hat, y): x_hat = (x - mean) * inverse_std, y = gamma * x_hat + beta, per channel."""
    x_hat = (x - mean) * inverse_std
    return x_hat, gamma * x_hat + beta


def batch_norm_backward(gy: Any, x_hat: Any, gamma: Any, inverse_std: Any, input_gradient: bool) -> tuple:
    """(g_x, g_gamma, g_beta): g_beta = sum(gy), g_gamma = sum(gy x_hat),
    g_x = gamma inverse_std (gy - mean(gy) - x_hat mean(gy x_hat)), None unless ``input_gradient``.
    """
    axes = tuple(range(gy.ndim - 1))
    g_beta = gy.sum(axis=axes)
    g_gamma = (gy * x_hat).sum(axis=axes)
    g_x = None
    if input_gradient:
        m = gy.size // gy.shape[-1]
        g_x = gamma * inverse_std * (gy - g_beta / m - x_hat * (g_gamma / m))
    return g_x, g_gamma, g_beta


def adam_update(w: Any, g: Any, m: Any, v: Any, v_max: Any, alpha: float, beta_1: float, beta_2: float,
                epsilon: float) -> None:
    """Adam in place: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt(v or v_max) + eps)."""
    xp = backend.get_array_module(w)
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    if v_max is not None:
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    w -= (m * alpha) / (xp.sqrt(v) + epsilon)


def momentum_update(w: Any, g: Any, velocity: Any, lr: float, momentum: float, nesterov: bool) -> None:
    """SGD with momentum in place: v = momentum v - lr g; w += v (Nesterov: w += momentum v - lr g)."""
    velocity *= momentum
    velocity -= lr * g
    if nesterov:
        w += momentum * velocity - lr * g
    else:
        w += velocity


def rmsprop_update(w: Any, g: Any, a: Any, mg: Any, s: Any, lr: float, rho: float, momentum: float,
                   epsilon: float) -> None:
    """RMSprop in place: a = rho a + (1 - rho) g^2; step = lr g / sqrt(a [- mg^2] + eps); w -= step (or momentum s)."""
    xp = backend.get_array_module(w)
    a *= rho
    a += (1 - rho) * g * g
    if mg is not None:
        mg *= rho
        mg += (1 - rho) * g
        denominator = a - mg * mg + epsilon
    else:
        denominator = a + epsilon
    increment = lr * g / xp.sqrt(denominator)
    if s is not None:
        s *= momentum
        s += increment
        w -= s
    else:
        w -= increment
