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

import math
from typing import Any

import numpy

from minidl.core import backend
from minidl.autodiff.function import Function
from minidl.functional.math import multiply
from minidl.functional.reduce import channel_sums
from minidl.kernels import accelerated
from minidl.autodiff.tensor import Tensor


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


@accelerated
def erf(x: Any) -> Any:
    """The error function erf(x) = 2 / sqrt(pi) * integral from 0 to x of e^(-t^2) dt, element by element.

    numpy has no erf: the reference calls Python's ``math.erf`` per element
    (exact, slow); the compiled loop calls the same function, compiled.
    """
    if backend.get_array_module(x) is numpy:
        return numpy.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)
    from cupyx.scipy.special import erf as cupy_erf  # noqa: PLC0415 - only for GPU arrays

    return cupy_erf(x)


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


class SELU(Function):
    """y = scale * x for x > 0, scale * alpha * (e^x - 1) otherwise (self-normalizing, Klambauer et al. 2017).

    dL/dx = gy * scale for x > 0, gy * scale * alpha * e^x otherwise;
    alpha = 1.67326324 and scale = 1.05070098 keep activations at mean 0,
    variance 1 under lecun_normal weights.
    """

    alpha, scale = 1.6732632423543772, 1.0507009873554805

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        exp_negative_part = xp.exp(xp.minimum(x, 0))
        positive = x > 0
        self.slope = xp.where(positive, self.scale, self.scale * self.alpha * exp_negative_part).astype(x.dtype)
        return xp.where(positive, self.scale * x, self.scale * self.alpha * (exp_negative_part - 1)).astype(x.dtype)

    def backward(self, gy: Any) -> Any:
        return gy * self.slope


class GELU(Function):
    """y = x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 (Hendrycks and Gimpel 2016).

    dL/dx = gy * (Phi(x) + x * phi(x)), phi(x) = e^(-x^2/2) / sqrt(2 pi).
    With ``approximate`` (tanh form): y = x/2 * (1 + t), t = tanh(u),
    u = sqrt(2/pi) (x + 0.044715 x^3); dL/dx = gy * ((1 + t)/2 + x/2 (1 - t^2) du/dx),
    du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    """

    def __init__(self, approximate: bool = False) -> None:
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            t = xp.tanh(c * (x + 0.044715 * x**3))
            self.slope = (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)).astype(x.dtype)
            return (0.5 * x * (1 + t)).astype(x.dtype)
        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        density = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        self.slope = (cdf + x * density).astype(x.dtype)
        return (x * cdf).astype(x.dtype)

    def backward(self, gy: Any) -> Any:
        return gy * self.slope


class Swish(Function):
    """y = x * sigmoid(x) (swish, SiLU);  dL/dx = gy * (s + y (1 - s)), s = sigmoid(x)."""

    def forward(self, x: Any) -> Any:
        s = stable_sigmoid(x)
        y = x * s
        self.slope = s + y * (1 - s)
        return y

    def backward(self, gy: Any) -> Any:
        return gy * self.slope


class HardSigmoid(Function):
    """y = clip(x / 6 + 1/2, 0, 1) (Keras 3's, = relu6(x + 3) / 6);  dL/dx = gy / 6 for -3 < x < 3, else 0."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.inside = (x > -3) & (x < 3)
        return xp.clip(x / 6 + 0.5, 0, 1).astype(x.dtype)

    def backward(self, gy: Any) -> Any:
        return gy * self.inside / 6


class Softsign(Function):
    """y = x / (1 + |x|);  dL/dx = gy / (1 + |x|)^2."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.denominator = 1 + xp.abs(x)
        return x / self.denominator

    def backward(self, gy: Any) -> Any:
        return gy / (self.denominator * self.denominator)


class ReLU6(Function):
    """y = min(max(x, 0), 6);  dL/dx = gy * [0 < x < 6]."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.inside = (x > 0) & (x < 6)
        return xp.clip(x, 0, 6)

    def backward(self, gy: Any) -> Any:
        return gy * self.inside


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


def selu(x: Any) -> Tensor:
    return SELU()(x)


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """GELU; Keras's "gelu" activation is the exact form (``approximate=False``)."""
    return GELU(approximate)(x)


def swish(x: Any) -> Tensor:
    """x * sigmoid(x), also called SiLU (``silu``)."""
    return Swish()(x)


silu = swish


def hard_sigmoid(x: Any) -> Tensor:
    return HardSigmoid()(x)


def hard_swish(x: Any) -> Tensor:
    """x * hard_sigmoid(x) (Keras's hard_silu / hard_swish): a product of two differentiable functions."""
    return multiply(x, hard_sigmoid(x))


def softsign(x: Any) -> Tensor:
    return Softsign()(x)


def relu6(x: Any) -> Tensor:
    return ReLU6()(x)
