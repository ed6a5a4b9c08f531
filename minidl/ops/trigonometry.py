"""Trigonometric, hyperbolic and base-2/base-10 logarithm ops (``keras.ops``), each differentiable.

Every one is y = f(x) element by element, with dL/dx = gy f'(x):

=========  ===========================  =========  ==============================
f          f'(x)                        f          f'(x)
=========  ===========================  =========  ==============================
sin        cos x                        sinh       cosh x
cos        -sin x                       cosh       sinh x
tan        1 + tan^2 x                  arcsinh    1 / sqrt(x^2 + 1)
arcsin     1 / sqrt(1 - x^2)            arccosh    1 / sqrt(x^2 - 1)
arccos     -1 / sqrt(1 - x^2)           arctanh    1 / (1 - x^2)
arctan     1 / (1 + x^2)                log2       1 / (x ln 2)
                                        log10      1 / (x ln 10)
=========  ===========================  =========  ==============================

``arctan2(x1, x2)``, the angle of the point (x2, x1): dL/dx1 = gy x2 / r^2,
dL/dx2 = -gy x1 / r^2 with r^2 = x1^2 + x2^2 (summed back over broadcast axes).
"""

from __future__ import annotations

import math
from typing import Any

from minidl.core import backend
from minidl.autodiff.function import Function, unbroadcast
from minidl.ops.dispatch import array_module, float_array, tensor_in

# name -> (forward on the array module xp, derivative f'(x) given xp, x and y = f(x))
RULES = {
    "sin": (lambda xp, x: xp.sin(x), lambda xp, x, y: xp.cos(x)),
    "cos": (lambda xp, x: xp.cos(x), lambda xp, x, y: -xp.sin(x)),
    "tan": (lambda xp, x: xp.tan(x), lambda xp, x, y: 1 + y * y),
    "arcsin": (lambda xp, x: xp.arcsin(x), lambda xp, x, y: 1 / xp.sqrt(1 - x * x)),
    "arccos": (lambda xp, x: xp.arccos(x), lambda xp, x, y: -1 / xp.sqrt(1 - x * x)),
    "arctan": (lambda xp, x: xp.arctan(x), lambda xp, x, y: 1 / (1 + x * x)),
    "sinh": (lambda xp, x: xp.sinh(x), lambda xp, x, y: xp.cosh(x)),
    "cosh": (lambda xp, x: xp.cosh(x), lambda xp, x, y: xp.sinh(x)),
    "arcsinh": (lambda xp, x: xp.arcsinh(x), lambda xp, x, y: 1 / xp.sqrt(x * x + 1)),
    "arccosh": (lambda xp, x: xp.arccosh(x), lambda xp, x, y: 1 / xp.sqrt(x * x - 1)),
    "arctanh": (lambda xp, x: xp.arctanh(x), lambda xp, x, y: 1 / (1 - x * x)),
    "log2": (lambda xp, x: xp.log2(x), lambda xp, x, y: 1 / (x * math.log(2))),
    "log10": (lambda xp, x: xp.log10(x), lambda xp, x, y: 1 / (x * math.log(10))),
}


class Elementwise(Function):
    """y = f(x) for one of ``RULES``;  dL/dx = gy f'(x) (the table of the module docstring)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def forward(self, x: Any) -> Any:
        self.x = x
        self.y = RULES[self.name][0](backend.get_array_module(x), x)
        return self.y

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        return gy * RULES[self.name][1](xp, self.x, self.y).astype(gy.dtype, copy=False)


class ArcTan2(Function):
    """y = atan2(x1, x2);  dL/dx1 = gy x2 / (x1^2 + x2^2), dL/dx2 = -gy x1 / (x1^2 + x2^2)."""

    def forward(self, x1: Any, x2: Any) -> Any:
        self.x1, self.x2 = x1, x2
        return backend.get_array_module(x1, x2).arctan2(x1, x2)

    def backward(self, gy: Any) -> tuple:
        squared = self.x1 * self.x1 + self.x2 * self.x2
        return (unbroadcast(gy * self.x2 / squared, self.x1.shape), unbroadcast(-gy * self.x1 / squared, self.x2.shape))


def _elementwise(name: str, x: Any) -> Any:
    if tensor_in(x):
        return Elementwise(name)(x)
    return RULES[name][0](array_module(x), float_array(x))


def sin(x: Any) -> Any:
    return _elementwise("sin", x)


def cos(x: Any) -> Any:
    return _elementwise("cos", x)


def tan(x: Any) -> Any:
    return _elementwise("tan", x)


def arcsin(x: Any) -> Any:
    return _elementwise("arcsin", x)


def arccos(x: Any) -> Any:
    return _elementwise("arccos", x)


def arctan(x: Any) -> Any:
    return _elementwise("arctan", x)


def sinh(x: Any) -> Any:
    return _elementwise("sinh", x)


def cosh(x: Any) -> Any:
    return _elementwise("cosh", x)


def arcsinh(x: Any) -> Any:
    return _elementwise("arcsinh", x)


def arccosh(x: Any) -> Any:
    return _elementwise("arccosh", x)


def arctanh(x: Any) -> Any:
    return _elementwise("arctanh", x)


def log2(x: Any) -> Any:
    return _elementwise("log2", x)


def log10(x: Any) -> Any:
    return _elementwise("log10", x)


def arctan2(x1: Any, x2: Any) -> Any:
    """The angle of the point (x2, x1) in radians, in (-pi, pi] (numpy's and Keras's argument order)."""
    if tensor_in(x1, x2):
        return ArcTan2()(x1, x2)
    return array_module(x1, x2).arctan2(float_array(x1), float_array(x2))
