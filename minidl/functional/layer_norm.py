"""Layer normalisation: each sample normalised over its own features (Ba, Kiros and Hinton 2016).

Over the normalised axes of one sample (m elements; the others, the batch
axis always among them, index independent groups):

    mu = mean(x),   var = mean((x - mu)^2)
    x_hat = (x - mu) / sqrt(var + eps),   y = gamma * x_hat + beta

with gamma and beta shaped like the normalised axes. Unlike batch
normalisation nothing depends on the other samples, so training and
inference compute the same thing. The backward, by the chain rule through
mu and var (which depend on every x of the group), with g = gy * gamma:

    dL/dx     = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
    dL/dgamma = sum over the groups of gy * x_hat
    dL/dbeta  = sum over the groups of gy
"""

from __future__ import annotations

from typing import Any, Sequence

from minidl.core import backend
from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor


class LayerNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta over ``axes`` (see the module docstring)."""

    def __init__(self, axes: tuple, epsilon: float) -> None:
        self.axes, self.epsilon = axes, epsilon

    def forward(self, x: Any, gamma: Any, beta: Any) -> Any:
        xp = backend.get_array_module(x)
        self.parameter_shape = gamma.shape
        self.broadcast_shape = tuple(size if axis in self.axes else 1 for axis, size in enumerate(x.shape))
        self.others = tuple(axis for axis in range(x.ndim) if axis not in self.axes)
        mean = x.mean(axis=self.axes, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(axis=self.axes, keepdims=True)
        self.inverse_std = 1 / xp.sqrt(variance + x.dtype.type(self.epsilon))
        self.x_hat = centred * self.inverse_std
        self.gamma = gamma.reshape(self.broadcast_shape)
        return self.x_hat * self.gamma + beta.reshape(self.broadcast_shape)

    def backward(self, gy: Any) -> tuple:
        g = gy * self.gamma
        mean_g = g.mean(axis=self.axes, keepdims=True)
        mean_g_x_hat = (g * self.x_hat).mean(axis=self.axes, keepdims=True)
        gx = (g - mean_g - self.x_hat * mean_g_x_hat) * self.inverse_std
        g_gamma = (gy * self.x_hat).sum(axis=self.others).reshape(self.parameter_shape)
        g_beta = gy.sum(axis=self.others).reshape(self.parameter_shape)
        return gx, g_gamma, g_beta


def layer_norm(x: Any, gamma: Any = None, beta: Any = None, axes: Sequence[int] | int = -1,
               epsilon: float = 1e-3) -> Tensor:
    """Layer normalisation of ``x`` over ``axes`` (never the batch axis 0), Keras's epsilon (1e-3).

    ``gamma`` (scale) and ``beta`` (offset) have the shape of those axes
    (in increasing axis order) and default to 1 and 0.
    """
    x = as_tensor(x)
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    if any(not -x.ndim <= axis < x.ndim for axis in axes):
        raise ValueError(f"layer_norm: axes {axes} are out of range for a tensor of shape {x.shape}")
    axes = tuple(sorted({axis % x.ndim for axis in axes}))
    if not axes or 0 in axes:
        raise ValueError(f"layer_norm: normalise over feature axes (not the batch axis 0), got axes {axes}")
    xp = backend.get_array_module(x.data)
    shape = tuple(x.shape[axis] for axis in axes)
    gamma = as_tensor(xp.ones(shape, dtype=x.dtype) if gamma is None else gamma)
    beta = as_tensor(xp.zeros(shape, dtype=x.dtype) if beta is None else beta)
    for name, value in (("gamma", gamma), ("beta", beta)):
        if tuple(value.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape} (the normalised axes of an input of "
                             f"shape {x.shape}), got {tuple(value.shape)}")
    return LayerNorm(axes, epsilon)(x, gamma, beta)
