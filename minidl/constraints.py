"""Weight constraints, applied to a weight after every optimizer update, as in Keras.

With n = ||w|| taken along ``axis`` (kept as a size-1 axis) and eps = 1e-7:

    MaxNorm(m):           w <- w * clip(n, 0, m) / (eps + n)
    MinMaxNorm(a, b, r):  w <- w * (r clip(n, a, b) + (1 - r) n) / (eps + n)
    UnitNorm():           w <- w / (eps + n)
    NonNeg():             w <- w * [w >= 0]

``axis=0`` (the default) constrains each unit's incoming weights of a Dense
kernel (in, out); for a Conv2D kernel (kh, kw, in, out) use ``axis=[0, 1, 2]``.
Constraints act on arrays (numpy or cupy), outside the graph: they are not
differentiated. A layer's ``kernel_constraint`` / ``bias_constraint`` sets
``weight.constraint``; ``Optimizer.apply_gradients`` applies it.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend, config
from minidl.core.registry import Registry
from minidl.core.registry import serialize as serialize_object


class Constraint:
    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        return {}


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, (list, tuple)) else int(axis)


def _norms(w: Any, axis: Any) -> Any:
    xp = backend.get_array_module(w)
    return xp.sqrt((w * w).sum(axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Each norm along ``axis`` at most ``max_value``."""

    def __init__(self, max_value: float = 2.0, axis: Any = 0) -> None:
        self.max_value, self.axis = float(max_value), _axis(axis)

    def __call__(self, w: Any) -> Any:
        xp = backend.get_array_module(w)
        norms = _norms(w, self.axis)
        return (w * (xp.clip(norms, 0, self.max_value) / (config.epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis}


class MinMaxNorm(Constraint):
    """Each norm along ``axis`` moved (at ``rate``) into [min_value, max_value]."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = float(min_value), float(max_value), float(rate), \
            _axis(axis)

    def __call__(self, w: Any) -> Any:
        xp = backend.get_array_module(w)
        norms = _norms(w, self.axis)
        desired = self.rate * xp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return (w * (desired / (config.epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis}


class UnitNorm(Constraint):
    """Each norm along ``axis`` equal to 1."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = _axis(axis)

    def __call__(self, w: Any) -> Any:
        return (w / (config.epsilon() + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis}


class NonNeg(Constraint):
    """Every weight >= 0 (negative ones set to 0)."""

    def __call__(self, w: Any) -> Any:
        return w * (w >= 0).astype(w.dtype)


ALL = {"max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "unit_norm": UnitNorm, "non_neg": NonNeg}
REGISTRY = Registry("constraint", ALL, base=Constraint, none=None)

# Keras's function-style aliases: constraints.max_norm(2.0)
max_norm, min_max_norm, unit_norm, non_neg = MaxNorm, MinMaxNorm, UnitNorm, NonNeg


def get(identifier: Any) -> Constraint | None:
    """A constraint from None, a name ("max_norm"), a config dict, an instance or a callable."""
    return REGISTRY.get(identifier)


def serialize(constraint: Any) -> dict | None:
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise ValueError(f"cannot save the custom constraint {constraint!r}; use one of {', '.join(ALL)}")
    return serialize_object(constraint)
