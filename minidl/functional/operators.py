"""Tensor's operators and array-like methods, installed on the class from this one place.

``tensor.py`` sits at the bottom of the autodiff layer and knows nothing of
the differentiable functions; the functions are built on Tensor. This module
closes the loop in the downward direction: it imports both and gives Tensor
its Python operators, so ``a + b`` on Tensors calls ``functional.add(a, b)``
and records that step in the graph. ``minidl.functional`` runs ``install()``
when it is imported, which ``import minidl`` always does.

Comparisons (< <= > >= == !=) are not differentiable: they return plain
boolean arrays.
"""

from __future__ import annotations

from typing import Any

from minidl.functional import math, reduce, shape
from minidl.autodiff.tensor import Tensor, data_of


def _reflected(function: Any) -> Any:
    """``other OP tensor``: the same function with the operands in their written order."""
    return lambda self, other: function(other, self)


def _shape_arguments(arguments: tuple) -> Any:
    """``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` mean the same, as in numpy."""
    if len(arguments) == 1 and isinstance(arguments[0], (tuple, list)):
        return tuple(arguments[0])
    return arguments


def _compare(name: str) -> Any:
    def comparison(self: Tensor, other: Any) -> Any:
        return getattr(self.data, name)(data_of(other))

    return comparison


OPERATORS = {
    "__add__": math.add, "__radd__": _reflected(math.add),
    "__sub__": math.subtract, "__rsub__": _reflected(math.subtract),
    "__mul__": math.multiply, "__rmul__": _reflected(math.multiply),
    "__truediv__": math.divide, "__rtruediv__": _reflected(math.divide),
    "__pow__": math.power, "__rpow__": _reflected(math.power),
    "__matmul__": math.matmul, "__rmatmul__": _reflected(math.matmul),
    "__neg__": math.negative, "__pos__": lambda self: self,
    "__getitem__": shape.getitem,
    **{name: _compare(name) for name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__")},
}

METHODS = {
    "reshape": lambda self, *new_shape: shape.reshape(self, _shape_arguments(new_shape)),
    "transpose": lambda self, *axes: shape.transpose(self, _shape_arguments(axes) or None),
    "T": property(lambda self: shape.transpose(self)),
    "flatten": lambda self: shape.reshape(self, (-1,)),
    "sum": reduce.sum, "mean": reduce.mean, "max": reduce.max, "min": reduce.min,
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": math.abs, "clip": math.clip,
}


def install() -> None:
    """Give Tensor its operators and methods (idempotent)."""
    for name, implementation in {**OPERATORS, **METHODS}.items():
        setattr(Tensor, name, implementation)
