"""Activation functions, each with its derivative written out.

Where the textbook formula overflows (``e^x`` for large x) the forward uses
an equal, stable form; the docstring gives the textbook equation.

The hottest element-wise steps (ReLU and its backward, the backwards of
sigmoid and tanh from their outputs, and the ReLU fused with a bias that
convolutions use) are written below as array code and registered with
``minidl.kernels.accelerated``: a compiled loop of the same name runs
where one applies, checked against this code.
"""

from __future__ import annotations

from typing import Any

from minidl import backend
from minidl.function import Function
from minidl.functional.reduce import channel_sums
from minidl.kernels import accelerated
from minidl.tensor import Tensor


# ---------------------------------------------------------------------------- the array code of the hot steps
@accelerated
def relu_forward(x: Any) -> Any:
    """y = max(x, 0)."""
    return backend.get_array_module(x).maximum(x, 0)


@accelerated
def relu_backward(gy: Any, y: Any) -> Any:
    """dL/dx = gy * [y > 0] (the gradient at 0 is 0, as Keras and PyTorch)."""
    return gy * (y > 0)


@accelerated
def sigmoid_backward(gy: Any, y: Any) -> Any:
    """dL/dx = gy * y * (1 - y), from the sigmoid's output y."""
    return gy * y * (1 - y)


@accelerated
def tanh_backward(gy: Any, y: Any) -> Any:
    """dL/dx = gy * (1 - y^2), from tanh's output y."""
    return gy * (1 - y * y)


@accelerated
def bias_relu(y: Any, bias: Any) -> Any:
    """y = max(y + bias, 0) per channel, in place (``bias`` may be None)."""
    if bias is not None:
        y += bias
    return backend.get_array_module(y).maximum(y, 0, out=y)


@accelerated
def relu_backward_and_channel_sums(gy: Any, y: Any) -> tuple:
    """(gy * [y > 0], its sums per channel): the gradient before a ReLU, and the gradient of the bias before it."""
    gx = relu_backward.reference(gy, y)
    return gx, channel_sums.reference(gx)


# ---------------------------------------------------------------------------- the differentiable functions


def stable_sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x) without overflow, accurate in both tails.

    With z = e^-|x| (never above 1): 1 / (1 + z) for x >= 0 and z / (1 + z) for x < 0.
    """
    xp = backend.get_array_module(x)
    z = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, z) / (1 + z)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dL/dx = gy * y (1 - y)."""

    def forward(self, x: Any) -> Any:
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return sigmoid_backward(gy, self.y)


class Tanh(Function):
    """y = tanh x;  dL/dx = gy * (1 - y^2)."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.y = xp.tanh(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return tanh_backward(gy, self.y)


class ReLU(Function):
    """y = max(x, 0);  dL/dx = gy * [x > 0]  (0 at x = 0, as Keras and PyTorch)."""

    def forward(self, x: Any) -> Any:
        self.y = relu_forward(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return relu_backward(gy, self.y)


class LeakyReLU(Function):
    """y = x for x > 0, alpha x otherwise;  dL/dx = gy * (1 if x > 0 else alpha)."""

    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.slope = xp.where(x > 0, 1.0, self.alpha).astype(x.dtype)
        return x * self.slope

    def backward(self, gy: Any) -> Any:
        return gy * self.slope


class ELU(Function):
    """y = x for x > 0, alpha (e^x - 1) otherwise;  dL/dx = gy * (1 if x > 0 else alpha e^x)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.positive = x > 0
        # exp of the clipped value: e^x for large positive x is never used but could overflow.
        exp_negative_part = xp.exp(xp.minimum(x, 0))
        self.slope = xp.where(self.positive, 1.0, self.alpha * exp_negative_part).astype(x.dtype)
        return xp.where(self.positive, x, self.alpha * (exp_negative_part - 1))

    def backward(self, gy: Any) -> Any:
        return gy * self.slope


class Softplus(Function):
    """y = ln(1 + e^x);  dL/dx = gy * sigmoid(x).

    Evaluated as max(x, 0) + ln(1 + e^-|x|), which never overflows.
    """

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy: Any) -> Any:
        return gy * stable_sigmoid(self.x)


def stable_log_softmax(x: Any, axis: int) -> Any:
    """x - log(sum(e^x)) along ``axis``, shifted by the maximum so that e^x cannot overflow."""
    xp = backend.get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """y_i = e^x_i / sum_j e^x_j along ``axis``.

    d y_i / d x_j = y_i (delta_ij - y_j), so dL/dx = y * (gy - sum(gy * y)).
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.y = xp.exp(stable_log_softmax(x, self.axis))
        return self.y

    def backward(self, gy: Any) -> Any:
        return self.y * (gy - (gy * self.y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^x_j along ``axis``.

    d y_i / d x_j = delta_ij - softmax_j, so dL/dx = gy - softmax(x) * sum(gy).
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.y = stable_log_softmax(x, self.axis)
        return self.y

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def sigmoid(x: Any) -> Tensor:
    return Sigmoid()(x)


def tanh(x: Any) -> Tensor:
    return Tanh()(x)


def relu(x: Any) -> Tensor:
    return ReLU()(x)


def leaky_relu(x: Any, alpha: float = 0.3) -> Tensor:
    """Leaky ReLU; ``alpha`` is the slope for x <= 0 (Keras's LeakyReLU layer default, 0.3)."""
    return LeakyReLU(alpha)(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    return ELU(alpha)(x)


def softplus(x: Any) -> Tensor:
    return Softplus()(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return Softmax(axis)(x)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return LogSoftmax(axis)(x)
