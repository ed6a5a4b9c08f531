"""Exercise 3: ELU, leaky ReLU and maxout.

    leaky ReLU:  y = x if x > 0 else alpha x            dy/dx = 1 or alpha
    ELU:         y = x if x > 0 else alpha (e^x - 1)    dy/dx = 1 or alpha e^x  (= y + alpha)
    maxout:      y_j = max_k x_(j, k)                    (Goodfellow et al. 2013)

Maxout groups the last axis of x (size units * pieces) into ``units``
groups of ``pieces`` consecutive entries and keeps each group's largest:
(batch, units * pieces) -> (batch, units). Its gradient flows only to the
entry that won: dL/dx_(j, k) = gy_j if x_(j, k) is the maximum of group j,
else 0 (a max over several "linear pieces", so maxout can learn any convex
activation). The library's leaky ReLU and ELU are in
``minidl/functional/activation.py``; maxout is built from reshape and max
there is no class for it, its reference is in this file.

Write the classes ``LeakyReLU(alpha)``, ``ELU(alpha)`` and ``Maxout(pieces)``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy

from minidl import Function
from minidl.exercises.checks import (Report, case_sizes, check_function, draw, drawn_shape, forbid, uses_minidl,
                                     verdict_on_library_use, with_zeros)
from minidl.functional import activation

TITLE = "ELU, leaky ReLU and maxout"
NAMES = ("LeakyReLU", "ELU", "Maxout")


class Maxout(Function):
    """y_j = max over the ``pieces`` entries of group j of the last axis; the gradient goes to the winner."""

    def __init__(self, pieces: int) -> None:
        self.pieces = pieces

    def forward(self, x: Any) -> Any:
        groups = x.reshape(x.shape[:-1] + (x.shape[-1] // self.pieces, self.pieces))
        self.winner = groups.argmax(axis=-1)
        self.shape = groups.shape
        return groups.max(axis=-1)

    def backward(self, gy: Any) -> Any:
        gx = numpy.zeros(self.shape, dtype=gy.dtype)
        numpy.put_along_axis(gx, self.winner[..., None], gy[..., None], axis=-1)
        return gx.reshape(self.shape[:-2] + (-1,))


def reference() -> SimpleNamespace:
    return SimpleNamespace(LeakyReLU=activation.LeakyReLU, ELU=activation.ELU, Maxout=Maxout)


def check(solution: object) -> Report:
    report = Report(f"exercise 3: {TITLE}")
    forbid(report, {"leaky ReLU": [activation.LeakyReLU], "ELU": [activation.ELU], "maxout": [Maxout]})
    uses_minidl(report, solution, NAMES)
    library = reference()
    rng = report.rng
    for case in range(2):
        x = draw(report, drawn_shape(report, sizes=case_sizes(case)), low=-4, high=4, away_from=(0.0,))
        for name, argument in (("LeakyReLU", round(float(rng.uniform(0.05, 0.5)), 3)),
                               ("ELU", round(float(rng.uniform(0.5, 2.0)), 3))):
            yours, theirs = getattr(solution, name), getattr(library, name)
            check_function(report, f"{name}({argument})", lambda cls=yours, a=argument: cls(a),
                           lambda cls=theirs, a=argument: cls(a), [x], rtol=1e-7,
                           kinks=[with_zeros(report, x)] if case == 0 else None)
        pieces, units = (2 if case == 0 else int(rng.integers(3, 5))), int(rng.integers(1, 4))
        batch = drawn_shape(report, ranks=(1, 2), sizes=(2, 4))
        distinct = rng.permutation(int(numpy.prod(batch)) * units * pieces).reshape(batch + (units * pieces,)) * 0.37
        check_function(report, f"Maxout({pieces})", lambda p=pieces: solution.Maxout(p), lambda p=pieces: Maxout(p),
                       [distinct.astype(float)])
    verdict_on_library_use(report)
    return report
