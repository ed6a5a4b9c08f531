"""Activation functions by Keras name, for layers' ``activation=`` argument, and as functions
(``keras.activations.relu(x)``) with Keras's arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minidl import functional as F
from minidl.core.registry import Registry, registered_name
from minidl.autodiff.tensor import Tensor


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's "linear" activation, the default of Dense and Conv)."""
    return x


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """Keras's "leaky_relu" activation: slope 0.2 below zero (keras.activations' default; the LeakyReLU layer's is 0.3)."""
    return F.leaky_relu(x, negative_slope)


def relu(x: Tensor, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Tensor:
    """Keras's ``activations.relu``, by its formula: clip([x > threshold] x, 0, max_value) - negative_slope relu(threshold - x).

    With its defaults it is ``F.relu`` (what ``activation="relu"`` uses, fused into the convolutions).
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    x = x if isinstance(x, Tensor) else Tensor(x)
    y = F.relu(x) if threshold == 0.0 else F.where(x.data > threshold, x, 0.0 * x)
    if max_value is not None:
        y = F.minimum(F.maximum(y, 0.0), max_value)
    return y if negative_slope == 0.0 else y - negative_slope * F.relu(threshold - x)


ALL: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear,
    "relu": F.relu,  # relu() above with its defaults
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "softplus": F.softplus,
    "elu": F.elu,
    "leaky_relu": leaky_relu,
    "selu": F.selu,
    "gelu": F.gelu,
    "swish": F.swish,
    "silu": F.silu,
    "hard_sigmoid": F.hard_sigmoid,
    "hard_swish": F.hard_swish,
    "hard_silu": F.hard_swish,
    "softsign": F.softsign,
    "relu6": F.relu6,
    "exponential": F.exp,
}


REGISTRY = Registry("activation", ALL, instantiate=False, none=linear)

# keras.activations.<name>(x), as functions (relu above, with Keras's arguments)
sigmoid, tanh, softmax, log_softmax, softplus = F.sigmoid, F.tanh, F.softmax, F.log_softmax, F.softplus
elu, selu, gelu, swish, silu, softsign, relu6 = F.elu, F.selu, F.gelu, F.swish, F.silu, F.softsign, F.relu6
hard_sigmoid, hard_swish, hard_silu, exponential = F.hard_sigmoid, F.hard_swish, F.hard_swish, F.exp


def get(identifier: Any) -> Callable[[Tensor], Tensor]:
    """The activation function for a name, None (linear) or a callable (``activations.relu``: "relu"'s)."""
    return F.relu if identifier is relu else REGISTRY.get(identifier)


def serialize(activation: Callable) -> str:
    """The activation's name: built in, or registered with ``register_serializable``."""
    for name, function in ALL.items():
        if function is activation:
            return name
    if registered_name(activation):
        return registered_name(activation)
    raise ValueError(
        f"cannot save the custom activation {activation!r}; register it with "
        f"minidl.saving.register_serializable, or use one of: {', '.join(sorted(ALL))}"
    )
