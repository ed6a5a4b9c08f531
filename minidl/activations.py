"""Activation functions by Keras name, for layers' ``activation=`` argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minidl import functional as F
from minidl.core.registry import Registry, registered_name
from minidl.autodiff.tensor import Tensor


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's "linear" activation, the default of Dense and Conv)."""
    return x


def leaky_relu(x: Tensor) -> Tensor:
    """Keras's "leaky_relu" activation: slope 0.2 below zero (keras.activations' default; the LeakyReLU layer's is 0.3)."""
    return F.leaky_relu(x, 0.2)


ALL: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear,
    "relu": F.relu,
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


def get(identifier: Any) -> Callable[[Tensor], Tensor]:
    """The activation function for a name, None (linear) or a callable."""
    return REGISTRY.get(identifier)


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
