"""The activations a recurrent cell may use, each with its derivative, for the cells' hand-written backward.

A cell's backward through time needs ``f'(a)`` at every step's
pre-activation ``a``; each entry gives ``f(a)`` and ``f'(a)`` from ``a`` and
``y = f(a)`` (whichever is cheaper)::

    tanh          y = tanh(a)                 f'(a) = 1 - y^2
    sigmoid       y = 1 / (1 + e^-a)          f'(a) = y (1 - y)
    hard_sigmoid  y = relu6(a + 3) / 6        f'(a) = 1/6 where -3 < a < 3, else 0   (Keras 3's)
    relu          y = max(a, 0)               f'(a) = 1 where a > 0, else 0
    linear        y = a                       f'(a) = 1
    softsign      y = a / (1 + |a|)           f'(a) = 1 / (1 + |a|)^2
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend


def _sigmoid(a: Any) -> Any:
    xp = backend.get_array_module(a)
    return 0.5 * (xp.tanh(0.5 * a) + 1)  # = 1 / (1 + e^-a), without overflow


def _tanh(a: Any) -> Any:
    return backend.get_array_module(a).tanh(a)


#: name -> (f(a), f'(a) from a and y)
RECURRENT_ACTIVATIONS = {
    "tanh": (_tanh, lambda a, y: 1 - y * y),
    "sigmoid": (_sigmoid, lambda a, y: y * (1 - y)),
    "hard_sigmoid": (lambda a: backend.get_array_module(a).clip(a + 3, 0, 6) / 6,
                     lambda a, y: ((a > -3) & (a < 3)).astype(a.dtype) / 6),
    "relu": (lambda a: backend.get_array_module(a).maximum(a, 0), lambda a, y: (a > 0).astype(a.dtype)),
    "linear": (lambda a: a, lambda a, y: backend.get_array_module(a).ones_like(a)),
    "softsign": (lambda a: a / (1 + abs(a)), lambda a, y: 1 / (1 + abs(a)) ** 2),
}


def check_recurrent_activation(what: str, name: str) -> str:
    """``name`` if a cell can use it; else one sentence naming the ones it can."""
    if name not in RECURRENT_ACTIVATIONS:
        raise ValueError(f"{what} must be one of {', '.join(sorted(RECURRENT_ACTIVATIONS))} (the activations "
                         f"whose derivatives the recurrent cells know), got {name!r}")
    return name


def activate(name: str, a: Any) -> Any:
    """f(a) for the activation called ``name``."""
    return RECURRENT_ACTIVATIONS[name][0](a)


def derivative(name: str, a: Any, y: Any) -> Any:
    """f'(a), given a and y = f(a)."""
    return RECURRENT_ACTIVATIONS[name][1](a, y)
