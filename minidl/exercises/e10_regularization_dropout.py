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
from minidl.exercises.checks import (Report, attempt, case_sizes, check_function, checked_gradients, draw, drawn_shape, forbid,
                                     keeps_dtype, same_values, uses_minidl, verdict_on_library_use, with_zeros)
from minidl.functional.dropout import Dropout as LibraryDropout
from minidl.functional.dropout import dropout, dropout_backward, dropout_forward, mask_values

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
    forbid(report, {"the penalties": [regularizers.L1L2, regularizers.L1, regularizers.L2],
                    "dropout": [LibraryDropout, dropout, dropout_forward, dropout_backward, mask_values]})
    uses_minidl(report, solution, NAMES)
    library = reference()
    rng = report.rng
    for case in range(2):
        w = draw(report, drawn_shape(report, ranks=(1, 3), sizes=case_sizes(case)), away_from=(0.0,))
        for name in ("L2Penalty", "L1Penalty"):
            strength = float(rng.choice([0.001, 0.01] if case == 0 else [0.05, 0.3]))
            check_function(report, f"{name}({strength})", lambda cls=getattr(solution, name), s=strength: cls(s),
                           lambda cls=getattr(library, name), s=strength: cls(s), [w],
                           kinks=[with_zeros(report, w)] if name == "L1Penalty" and case == 0 else None)
        x = draw(report, drawn_shape(report, ranks=(2, 3), sizes=(4, 7) if case == 0 else (8, 12)))
        rate, seed = float(rng.choice([0.1, 0.25] if case == 0 else [0.5, 0.7])), int(rng.integers(2**31))
        got = attempt(report, f"Dropout({rate}) forward runs on {x.shape}",
                      lambda: solution.Dropout(rate, numpy.random.default_rng(seed))(Tensor(x)))
        if got is not None:
            expected = F.dropout(Tensor(x), rate, generator=numpy.random.default_rng(seed))
            same_values(report, f"Dropout({rate}) on {x.shape}: the same mask and scaling as minidl's from the "
                        "same generator", got, expected)
            checked_gradients(report, f"Dropout({rate}) backward with a fixed mask (gradcheck)",
                              lambda t: solution.Dropout(rate, numpy.random.default_rng(seed + 1))(t), x)
            single = attempt(report, f"Dropout({rate}) runs on float32 inputs",
                             lambda: solution.Dropout(rate, numpy.random.default_rng(seed))(Tensor(x.astype("float32"))))
            if single is not None:
                keeps_dtype(report, f"Dropout({rate}): float32 in, float32 out", single, numpy.float32)
    verdict_on_library_use(report)
    return report
