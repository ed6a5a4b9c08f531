"""The affine map of a dense layer.

y = x @ W + b,  x (..., in), W (in, out), b (out,)

    dL/dx = gy @ W^T,   dL/dW = x^T @ gy,   dL/db = gy summed over all leading axes
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend
from minidl.autodiff.function import Function, as_tensor
from minidl.functional.reduce import channel_sums
from minidl.autodiff.tensor import Tensor


class Linear(Function):
    """y = x @ W + b (b optional); see the module docstring for the gradients."""

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        _check_linear_shapes(x.shape, weight.shape, None if bias is None else bias.shape)
        self.x, self.weight = x, weight
        self.has_bias = bias is not None
        xp = backend.get_array_module(x)
        y = backend.empty(x.shape[:-1] + weight.shape[1:], xp.result_type(x, weight), x)
        xp.matmul(x, weight, out=y)
        if self.has_bias:
            y += bias
        return y

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        g_x = g_weight = None
        if self.needs_input_grad[0]:
            g_x = xp.matmul(gy, self.weight.T, out=backend.empty(self.x.shape, xp.result_type(gy, self.weight), gy))
        if self.needs_input_grad[1]:
            in_features, out_features = self.weight.shape
            g_weight = xp.matmul(self.x.reshape(-1, in_features).T, gy.reshape(-1, out_features),
                                 out=backend.empty(self.weight.shape, xp.result_type(self.x, gy), gy))
        if not self.has_bias:
            return g_x, g_weight
        g_bias = channel_sums(gy) if self.needs_input_grad[2] else None
        return g_x, g_weight, g_bias


def _check_linear_shapes(x_shape: tuple, weight_shape: tuple, bias_shape: tuple | None) -> None:
    if len(weight_shape) != 2:
        raise ValueError(f"linear: weight must be (in, out), got shape {weight_shape}")
    if len(x_shape) < 1 or x_shape[-1] != weight_shape[0]:
        raise ValueError(
            f"linear: input of shape {x_shape} does not match weight of shape {weight_shape}: "
            f"the input's last axis must be {weight_shape[0]}"
        )
    if bias_shape is not None and tuple(bias_shape) != (weight_shape[1],):
        raise ValueError(
            f"linear: bias must have shape ({weight_shape[1]},) for a weight of shape "
            f"{weight_shape}, got {tuple(bias_shape)}"
        )


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight + bias, with ``weight (in, out)`` in Keras's Dense layout."""
    inputs = (as_tensor(x), as_tensor(weight)) + (() if bias is None else (as_tensor(bias),))
    return Linear()(*inputs)
