"""Activation functions, each with its derivative written out.

Where the textbook formula overflows (``e^x`` for large x) the forward uses
an equal, stable form; the docstring gives the textbook equation.
"""

from __future__ import annotations

from typing import Any

from minidl import backend, kernels
from minidl.function import Function
from minidl.tensor import Tensor


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
        return kernels.sigmoid_backward(gy, self.y)


class Tanh(Function):
    """y = tanh x;  dL/dx = gy * (1 - y^2)."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.y = xp.tanh(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return kernels.tanh_backward(gy, self.y)


class ReLU(Function):
    """y = max(x, 0);  dL/dx = gy * [x > 0]  (0 at x = 0, as Keras and PyTorch)."""

    def forward(self, x: Any) -> Any:
        self.y = kernels.relu_forward(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return kernels.relu_backward(gy, self.y)


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
