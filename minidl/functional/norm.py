"""Batch normalisation over every axis but the last (channels-last).

Training, with mean mu and biased variance var of the batch per channel
(m elements each):

    x_hat = (x - mu) / sqrt(var + eps),   y = gamma * x_hat + beta

    dL/dbeta  = sum(gy)
    dL/dgamma = sum(gy * x_hat)
    dL/dx     = gamma / sqrt(var + eps) * (gy - mean(gy) - x_hat * mean(gy * x_hat))

(the last line is the chain rule through mu and var, which depend on every x).
The statistics, the normalisation and these sums are kernels
(``minidl.kernels.batch_norm_*``); ``kernels/reference.py`` writes each one
as the array expression above.
Inference uses the moving statistics instead of the batch's, so y is an
affine function of x, built from ordinary differentiable operations.
"""

from __future__ import annotations

from typing import Any

from minidl import backend, kernels
from minidl.function import Function, as_tensor
from minidl.tensor import Tensor


class BatchNormTraining(Function):
    """Normalise with the batch's own statistics; see the module docstring for the gradients."""

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon

    def forward(self, x: Any, gamma: Any, beta: Any) -> Any:
        xp = backend.get_array_module(x)
        self.batch_mean, self.batch_variance = kernels.batch_norm_statistics(x)
        self.inverse_std = 1 / xp.sqrt(self.batch_variance + self.epsilon)
        self.x_hat, y = kernels.batch_norm_forward(x, self.batch_mean, self.inverse_std, gamma, beta)
        self.gamma = gamma
        return y

    def backward(self, gy: Any) -> tuple:
        return kernels.batch_norm_backward(gy, self.x_hat, self.gamma, self.inverse_std, self.needs_input_grad[0])


def batch_norm(
    x: Any,
    moving_mean: Any,
    moving_variance: Any,
    gamma: Any = None,
    beta: Any = None,
    training: bool = False,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
) -> Tensor:
    """Batch normalisation of ``x (..., C)`` per channel, Keras's defaults.

    In training the batch statistics normalise ``x`` and the moving
    statistics (arrays or Tensors of shape (C,)) are updated in place as
    Keras does: ``moving = moving * momentum + batch * (1 - momentum)``, with
    the biased batch variance. In inference the moving statistics normalise.
    ``gamma`` (scale) and ``beta`` (offset) default to 1 and 0.
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input needs a batch axis and a channel axis, got shape {x.shape}")
    xp = backend.get_array_module(x.data)
    channels = x.shape[-1]
    gamma = as_tensor(xp.ones(channels, dtype=x.dtype) if gamma is None else gamma)
    beta = as_tensor(xp.zeros(channels, dtype=x.dtype) if beta is None else beta)
    for name, value in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                        ("moving_variance", moving_variance)):
        if tuple(value.shape) != (channels,):
            raise ValueError(
                f"batch_norm: {name} must have shape ({channels},) for an input of shape "
                f"{x.shape}, got {tuple(value.shape)}"
            )
    moving_mean_data = moving_mean.data if isinstance(moving_mean, Tensor) else moving_mean
    moving_variance_data = moving_variance.data if isinstance(moving_variance, Tensor) else moving_variance
    if not training:
        scale = gamma / (Tensor(moving_variance_data) + epsilon).sqrt()
        return (x - Tensor(moving_mean_data)) * scale + beta
    function = BatchNormTraining(epsilon)
    y = function(x, gamma, beta)
    moving_mean_data *= momentum
    moving_mean_data += (1 - momentum) * function.batch_mean
    moving_variance_data *= momentum
    moving_variance_data += (1 - momentum) * function.batch_variance
    return y
