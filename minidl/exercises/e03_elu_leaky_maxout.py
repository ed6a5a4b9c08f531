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

from minidl import Function, Tensor
from minidl.exercises.checks import Report, attempt, checked_gradients, drawn, same_values
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
    library = reference()
    x = drawn((3, 6), seed=3, low=-4, high=4, away_from=(0.0,))
    for name, argument in (("LeakyReLU", 0.2), ("ELU", 1.5)):
        yours, theirs = getattr(solution, name), getattr(library, name)
        got = attempt(report, f"{name}({argument}) forward runs", lambda: yours(argument)(Tensor(x)))
        if got is not None:
            same_values(report, f"{name}({argument}) forward values", got, theirs(argument)(Tensor(x)))
            checked_gradients(report, f"{name}({argument}) backward (gradcheck)",
                              lambda t, cls=yours: cls(argument)(t), x)
    distinct = numpy.random.default_rng(4).permutation(24).reshape(4, 6) * 0.37  # no ties between pieces
    got = attempt(report, "Maxout(3) forward runs", lambda: solution.Maxout(3)(Tensor(distinct)))
    if got is not None:
        same_values(report, "Maxout(3) forward values, (4, 6) -> (4, 2)", got, Maxout(3)(Tensor(distinct)))
        checked_gradients(report, "Maxout(3) backward (gradcheck)", lambda t: solution.Maxout(3)(t), distinct)
    return report
