"""Exercise 10: L1 and L2 penalties, and (inverted) dropout.

Penalties added to the loss pull weights towards 0:

    L2: P = l2 sum(w^2)        dP/dw = 2 l2 w          (weight decay)
    L1: P = l1 sum(|w|)        dP/dw = l1 sign(w)      (drives small weights to exactly 0)

Dropout (Srivastava et al. 2014) zeroes each activation with probability
``rate`` in training; the survivors are scaled by 1 / (1 - rate) so that
the expected activation is unchanged and inference needs no rescaling:

    mask = (u >= rate) / (1 - rate),  u uniform on [0, 1), one per element
    y = x * mask               dL/dx = gy * mask

Draw u with ``generator.random(x.shape)`` (the checker passes a seeded
numpy Generator, so your mask can be compared with minidl's). Write the
Functions ``L2Penalty(l2)``, ``L1Penalty(l1)`` (forward(w) -> scalar) and
``Dropout(rate, generator)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor, regularizers
from minidl import functional as F
from minidl.exercises.checks import Report, attempt, checked_gradients, drawn, same_values
from minidl.functional.dropout import Dropout as LibraryDropout

TITLE = "L1 and L2 penalties, and dropout"
NAMES = ("L2Penalty", "L1Penalty", "Dropout")


def reference() -> SimpleNamespace:
    """minidl's penalties (minidl/regularizers.py) and dropout (minidl/functional/dropout.py)."""

    def penalty(kind: str) -> type:
        class Penalty:
            def __init__(self, strength: float) -> None:
                self.regularizer = regularizers.L2(strength) if kind == "l2" else regularizers.L1(strength)

            def __call__(self, w: Tensor) -> Tensor:
                return self.regularizer(w)

        return Penalty

    return SimpleNamespace(L2Penalty=penalty("l2"), L1Penalty=penalty("l1"), Dropout=LibraryDropout)


def check(solution: object) -> Report:
    report = Report(f"exercise 10: {TITLE}")
    library = reference()
    w = drawn((3, 4), seed=10, away_from=(0.0,))
    for name, strength in (("L2Penalty", 0.01), ("L1Penalty", 0.05)):
        yours = getattr(solution, name)
        got = attempt(report, f"{name}({strength}) runs", lambda: yours(strength)(Tensor(w)))
        if got is not None:
            same_values(report, f"{name}({strength}) value", got, getattr(library, name)(strength)(Tensor(w)))
            checked_gradients(report, f"{name}({strength}) backward (gradcheck)",
                              lambda t, cls=yours: cls(strength)(t), w)
    x = drawn((20, 30), seed=11)
    got = attempt(report, "Dropout(0.4) forward runs",
                  lambda: solution.Dropout(0.4, numpy.random.default_rng(5))(Tensor(x)))
    if got is not None:
        expected = F.dropout(Tensor(x), 0.4, generator=numpy.random.default_rng(5))
        same_values(report, "Dropout(0.4): the same mask and scaling as minidl's from the same generator", got,
                    expected)
        checked_gradients(report, "Dropout(0.4) backward with a fixed mask (gradcheck)",
                          lambda t: solution.Dropout(0.4, numpy.random.default_rng(6))(t), x)
    return report
