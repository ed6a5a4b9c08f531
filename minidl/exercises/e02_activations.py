"""Exercise 2: sigmoid, tanh and ReLU as differentiable Functions.

A ``Function`` computes ``forward`` on arrays and, given gy = dL/dy, returns
dL/dx from ``backward``; keep in ``self`` what backward needs.

    sigmoid:  y = 1 / (1 + e^-x)        dy/dx = y (1 - y)
    tanh:     y = tanh x                dy/dx = 1 - y^2
    ReLU:     y = max(x, 0)             dy/dx = 1 if x > 0 else 0

so backward returns gy * dy/dx, element by element (the chain rule). Both
sigmoid and tanh have derivatives that are functions of their output:
save y, not x. The library's own versions are in
``minidl/functional/activation.py`` (with a form of the sigmoid that never
overflows).

Write the classes ``Sigmoid``, ``Tanh`` and ``ReLU``.
"""

from __future__ import annotations

from types import SimpleNamespace

from minidl import Tensor
from minidl.exercises.checks import Report, attempt, checked_gradients, drawn, same_values
from minidl.functional import activation

TITLE = "sigmoid, tanh and ReLU as Functions"
NAMES = ("Sigmoid", "Tanh", "ReLU")


def reference() -> SimpleNamespace:
    return SimpleNamespace(Sigmoid=activation.Sigmoid, Tanh=activation.Tanh, ReLU=activation.ReLU)


def check(solution: object) -> Report:
    report = Report(f"exercise 2: {TITLE}")
    library = reference()
    x = drawn((4, 5), seed=2, low=-6, high=6, away_from=(0.0,))
    for name in NAMES:
        yours, theirs = getattr(solution, name), getattr(library, name)
        got = attempt(report, f"{name} forward runs", lambda: yours()(Tensor(x)))
        if got is not None:
            same_values(report, f"{name} forward values", got, theirs()(Tensor(x)), rtol=1e-7)
            checked_gradients(report, f"{name} backward (gradcheck)", lambda t, cls=yours: cls()(t), x)
    return report
