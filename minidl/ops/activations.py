"""Keras's activation ops (``ops.gelu``, ``ops.silu``, ``ops.leaky_relu``, ...) and ``rsqrt``.

Each calls the activation of ``minidl.functional`` (its forward and backward
are there): on a Tensor in the graph, on an array through a constant Tensor.
Defaults are ``keras.ops``'s, which differ from the layers' in places:
``gelu`` is the tanh approximation unless ``approximate=False``, and
``leaky_relu``'s slope is 0.2.
"""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.ops.math import _activation, divide, sqrt


def gelu(x: Any, approximate: bool = True) -> Any:
    return _activation(F.gelu, x, approximate)


def silu(x: Any) -> Any:
    return _activation(F.silu, x)


swish = silu


def elu(x: Any, alpha: float = 1.0) -> Any:
    return _activation(F.elu, x, alpha)


def selu(x: Any) -> Any:
    return _activation(F.selu, x)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    return _activation(F.leaky_relu, x, negative_slope)


def relu6(x: Any) -> Any:
    return _activation(F.relu6, x)


def softsign(x: Any) -> Any:
    return _activation(F.softsign, x)


def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6, Keras 3's."""
    return _activation(F.hard_sigmoid, x)


def hard_silu(x: Any) -> Any:
    """x * hard_sigmoid(x)."""
    return _activation(F.hard_swish, x)


hard_swish = hard_silu


def log_sigmoid(x: Any) -> Any:
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    return _activation(lambda t: -F.softplus(-t), x)


def rsqrt(x: Any) -> Any:
    """1 / sqrt(x)."""
    return divide(1.0, sqrt(x))
