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

from minidl.exercises.checks import (Report, case_sizes, check_function, draw, drawn_shape, forbid, uses_minidl,
                                     verdict_on_library_use, with_zeros)
from minidl.functional import activation

TITLE = "sigmoid, tanh and ReLU as Functions"
NAMES = ("Sigmoid", "Tanh", "ReLU")


def reference() -> SimpleNamespace:
    return SimpleNamespace(Sigmoid=activation.Sigmoid, Tanh=activation.Tanh, ReLU=activation.ReLU)


def check(solution: object) -> Report:
    report = Report(f"exercise 2: {TITLE}")
    forbid(report, {"sigmoid": [activation.Sigmoid, activation.stable_sigmoid, activation.sigmoid_backward],
                    "tanh": [activation.Tanh, activation.tanh_backward],
                    "ReLU": [activation.ReLU, activation.relu_forward, activation.relu_backward]})
    uses_minidl(report, solution, NAMES)
    library = reference()
    for case in range(2):
        x = draw(report, drawn_shape(report, sizes=case_sizes(case)), low=-6, high=6, away_from=(0.0,))
        for name in NAMES:
            yours, theirs = getattr(solution, name), getattr(library, name)
            check_function(report, f"{name}", yours, theirs, [x],
                           kinks=[with_zeros(report, x)] if name == "ReLU" and case == 0 else None)
    verdict_on_library_use(report)
    return report
