"""Batch normalisation over every axis but the last (channels-last).

Training, with mean mu and biased variance var of the batch per channel
(m elements each):

    mu = mean(x),   var = mean((x - mu)^2)
    x_hat = (x - mu) / sqrt(var + eps),   y = gamma * x_hat + beta

    dL/dbeta  = sum(gy)
    dL/dgamma = sum(gy * x_hat)
    dL/dx     = gamma / sqrt(var + eps) * (gy - mean(gy) - x_hat * mean(gy * x_hat))

(the last line is the chain rule through mu and var, which depend on every x).
The three steps (statistics, normalisation, these sums) are written below as
array code and registered with ``minidl.kernels.accelerated``: compiled
loops of the same names run where they apply, checked against this code.

Inference uses given statistics (a BatchNormalization layer's moving ones)
instead of the batch's, so y is an affine function of x, built from
ordinary differentiable operations. Keeping the moving statistics is the
layer's job (``layers/normalization.py``), not this function's.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend, config
from minidl.autodiff.function import Function, as_tensor
from minidl.functional.reduce import sum as reduce_sum
from minidl.kernels import accelerated
from minidl.autodiff.tensor import Tensor, data_of


# ---------------------------------------------------------------------------- the array code, per channel
@accelerated
def batch_norm_statistics(x: Any) -> tuple:
    """(mu, var): per-channel mean and biased variance over every axis but the last; x (..., C) -> (C,), (C,)."""
    axes = tuple(range(x.ndim - 1))
    return x.mean(axis=axes), x.var(axis=axes)


@accelerated
def batch_norm_forward(x: Any, mean: Any, inverse_std: Any, gamma: Any, beta: Any) -> tuple:
    """(x_hat, y): x_hat = (x - mu) * inverse_std, y = gamma * x_hat + beta, per channel."""
    x_hat = (x - mean) * inverse_std
    return x_hat, gamma * x_hat + beta


@accelerated
def batch_norm_backward(gy: Any, x_hat: Any, gamma: Any, inverse_std: Any, input_gradient: bool) -> tuple:
    """(dL/dx, dL/dgamma, dL/dbeta) as in the module docstring; dL/dx is None unless ``input_gradient``."""
    axes = tuple(range(gy.ndim - 1))
    g_beta = gy.sum(axis=axes)
    g_gamma = (gy * x_hat).sum(axis=axes)
    g_x = None
    if input_gradient:
        m = gy.size // gy.shape[-1]
        g_x = gamma * inverse_std * (gy - g_beta / m - x_hat * (g_gamma / m))
    return g_x, g_gamma, g_beta


@accelerated
def batch_norm_relu_forward(x: Any, mean: Any, inverse_std: Any, gamma: Any, beta: Any) -> tuple:
    """(x_hat, y): batch_norm_forward's, then y = max(gamma * x_hat + beta, 0), in one pass where compiled."""
    x_hat, z = batch_norm_forward.reference(x, mean, inverse_std, gamma, beta)
    return x_hat, backend.get_array_module(z).maximum(z, 0)


@accelerated
def batch_norm_relu_backward(gy: Any, y: Any, x_hat: Any, gamma: Any, inverse_std: Any,
                             input_gradient: bool) -> tuple:
    """batch_norm_backward of dL/dz = gy [y > 0], the gradient through the ReLU (y = max(z, 0)): compiled, the
    gated gradient is never written out, its sums and dL/dx each take one pass over gy, y and x_hat."""
    return batch_norm_backward.reference(gy * (y > 0), x_hat, gamma, inverse_std, input_gradient)


# ---------------------------------------------------------------------------- the differentiable functions
class BatchNormTraining(Function):
    """Normalise with the batch's own statistics; see the module docstring for the gradients.

    After the forward, ``batch_mean`` and ``batch_variance`` hold the batch's statistics.
    """

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon

    def forward(self, x: Any, gamma: Any, beta: Any) -> Any:
        xp = backend.get_array_module(x)
        self.batch_mean, self.batch_variance = batch_norm_statistics(x)
        self.inverse_std = 1 / xp.sqrt(self.batch_variance + self.epsilon)
        self.x_hat, y = batch_norm_forward(x, self.batch_mean, self.inverse_std, gamma, beta)
        self.gamma = gamma
        return y

    def backward(self, gy: Any) -> tuple:
        return batch_norm_backward(gy, self.x_hat, self.gamma, self.inverse_std, self.needs_input_grad[0])


class BatchNormReLUTraining(BatchNormTraining):
    """y = max(batch_norm(x), 0) with the batch's statistics: BatchNormalization followed by a ReLU, in training.

    The backward is BatchNormTraining's with gy replaced by gy [y > 0]
    (d max(z, 0)/dz = [z > 0] = [y > 0]); the same values as the two
    functions one after the other, without the normalised output or its
    gradient as arrays of their own.
    """

    def forward(self, x: Any, gamma: Any, beta: Any) -> Any:
        xp = backend.get_array_module(x)
        self.batch_mean, self.batch_variance = batch_norm_statistics(x)
        self.inverse_std = 1 / xp.sqrt(self.batch_variance + self.epsilon)
        self.x_hat, self.y = batch_norm_relu_forward(x, self.batch_mean, self.inverse_std, gamma, beta)
        self.gamma = gamma
        return self.y

    def backward(self, gy: Any) -> tuple:
        return batch_norm_relu_backward(gy, self.y, self.x_hat, self.gamma, self.inverse_std,
                                        self.needs_input_grad[0])


def _scale_and_offset(x: Tensor, gamma: Any, beta: Any, **statistics: Any) -> tuple:
    """gamma and beta as Tensors (default 1 and 0), every per-channel argument checked to be (C,)."""
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input needs a batch axis and a channel axis, got shape {x.shape}")
    xp = backend.get_array_module(x.data)
    channels = x.shape[-1]
    gamma = as_tensor(xp.ones(channels, dtype=x.dtype) if gamma is None else gamma)
    beta = as_tensor(xp.zeros(channels, dtype=x.dtype) if beta is None else beta)
    for name, value in (("gamma", gamma), ("beta", beta), *statistics.items()):
        if tuple(value.shape) != (channels,):
            raise ValueError(
                f"batch_norm: {name} must have shape ({channels},) for an input of shape "
                f"{x.shape}, got {tuple(value.shape)}"
            )
    return gamma, beta


def batch_norm_with_statistics(x: Any, gamma: Any = None, beta: Any = None, epsilon: float = 1e-3) -> tuple:
    """Training-mode batch normalisation of ``x (..., C)``: (y, batch mean, batch variance).

    The statistics are arrays of shape (C,) (the variance biased, as Keras
    uses it for the moving average); y is differentiable in x, gamma, beta.
    """
    x = as_tensor(x)
    gamma, beta = _scale_and_offset(x, gamma, beta)
    function = BatchNormTraining(epsilon)
    y = function(x, gamma, beta)
    return y, function.batch_mean, function.batch_variance


def masked_batch_norm_with_statistics(x: Any, mask: Any, gamma: Any = None, beta: Any = None,
                                      epsilon: float = 1e-3) -> tuple:
    """Training-mode batch normalisation of ``x (..., C)`` whose statistics count only the entries that
    ``mask`` (x's shape without the channels, booleans) keeps: Keras 3's masked moments::

        w = mask over every channel,   n = sum(w) + eps_k      (eps_k = minidl.config.epsilon(), 1e-7)
        mu = sum(w x) / n,   var = sum(w (x - mu)^2) / n
        y = gamma (x - mu) / sqrt(var + eps) + beta            (at every entry, masked ones too)

    Returns (y, mu, var), the statistics as (C,) arrays; y is differentiable in
    x (through mu and var as well), gamma and beta: it is built of
    differentiable operations.
    """
    x = as_tensor(x)
    gamma, beta = _scale_and_offset(x, gamma, beta)
    xp = backend.get_array_module(x.data)
    keep = xp.asarray(data_of(mask)).astype(bool)
    if keep.shape != tuple(x.shape[:-1]):
        raise ValueError(f"batch_norm: the mask must have the input's shape without its channels, "
                         f"{tuple(x.shape[:-1])}, got {keep.shape}")
    weight = keep[..., None].astype(x.dtype)
    axes = tuple(range(x.ndim - 1))
    count = weight.sum(axis=axes) + config.epsilon()
    mean = reduce_sum(x * weight, axis=axes) / count
    centered = x - mean
    variance = reduce_sum(centered * centered * weight, axis=axes) / count
    y = centered / (variance + epsilon).sqrt() * gamma + beta
    return y, mean.data, variance.data


def batch_norm_relu_with_statistics(x: Any, gamma: Any = None, beta: Any = None, epsilon: float = 1e-3) -> tuple:
    """(max(y, 0), batch mean, batch variance) for y = ``batch_norm_with_statistics(x, gamma, beta, epsilon)[0]``:
    batch normalisation and a ReLU in training as one function (``BatchNormReLUTraining``)."""
    x = as_tensor(x)
    gamma, beta = _scale_and_offset(x, gamma, beta)
    function = BatchNormReLUTraining(epsilon)
    y = function(x, gamma, beta)
    return y, function.batch_mean, function.batch_variance


def batch_norm(
    x: Any, mean: Any, variance: Any, gamma: Any = None, beta: Any = None, training: bool = False,
    epsilon: float = 1e-3,
) -> Tensor:
    """Batch normalisation of ``x (..., C)`` per channel, Keras's epsilon.

    In inference ``mean`` and ``variance`` (shape (C,); a layer's moving
    statistics) normalise: y = gamma (x - mean) / sqrt(variance + eps) + beta.
    In training the batch's own statistics do, and ``mean``/``variance`` are
    only checked for shape (``batch_norm_with_statistics`` returns the batch
    statistics too). ``gamma`` (scale) and ``beta`` (offset) default to 1 and 0.
    """
    x = as_tensor(x)
    gamma, beta = _scale_and_offset(x, gamma, beta, mean=mean, variance=variance)
    if training:
        return batch_norm_with_statistics(x, gamma, beta, epsilon)[0]
    scale = gamma / (Tensor(data_of(variance)) + epsilon).sqrt()
    return (x - Tensor(data_of(mean))) * scale + beta


def folded_into_convolution(kernel: Any, bias: Any, mean: Any, variance: Any, gamma: Any = None, beta: Any = None,
                            epsilon: float = 1e-3) -> tuple:
    """(kernel', bias'): a convolution whose output equals inference-mode batch normalisation of the given one's.

    With s = gamma / sqrt(variance + eps) per output channel (the last axis
    of ``kernel``, (..., C_in, C)): conv(x, W) + b normalised is
    s (conv(x, W) + b - mean) + beta = conv(x, W s) + (b - mean) s + beta,
    so W' = W * s and b' = (b - mean) * s + beta. Arrays in, arrays out
    (numpy or cupy), in the kernel's dtype; ``bias``, ``gamma`` and ``beta``
    may be None (0, 1, 0). Not differentiable: inference only.
    """
    xp = backend.get_array_module(kernel)
    scale = (1 if gamma is None else gamma) / xp.sqrt(variance + epsilon)
    offset = (0 if bias is None else bias) - mean
    folded_bias = offset * scale + (0 if beta is None else beta)
    return (kernel * scale).astype(kernel.dtype, copy=False), xp.asarray(folded_bias, dtype=kernel.dtype)
