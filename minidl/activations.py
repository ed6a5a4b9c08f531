"""Activation functions by Keras name, for layers' ``activation=`` argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minidl import functional as F
from minidl.registry import lookup
from minidl.tensor import Tensor


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's "linear" activation, the default of Dense and Conv)."""
    return x


ALL: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear,
    "relu": F.relu,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "softplus": F.softplus,
    "elu": F.elu,
    "leaky_relu": F.leaky_relu,
}


def get(identifier: Any) -> Callable[[Tensor], Tensor]:
    """The activation function for a name, None (linear) or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return lookup("activation", identifier, ALL)
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as an activation; valid names are: {', '.join(sorted(ALL))}")


def serialize(activation: Callable) -> str:
    for name, function in ALL.items():
        if function is activation:
            return name
    raise ValueError(
        f"cannot save the custom activation {activation!r}; use one of: {', '.join(sorted(ALL))}"
    )
