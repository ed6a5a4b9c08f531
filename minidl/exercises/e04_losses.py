"""Exercise 4: the losses: mean squared and absolute error, binary and categorical cross-entropy.

Each is a Function of the predictions p (batch, k) with the targets y fixed
when it is made; forward returns the mean over every element (for the
cross-entropies: over samples), backward returns dL/dp = gy * dloss/dp:

    MSE:  L = mean((p - y)^2)                        dL/dp = 2 (p - y) / N
    MAE:  L = mean(|p - y|)                          dL/dp = sign(p - y) / N
    BCE:  L = -mean(y log p + (1 - y) log(1 - p))    dL/dp = (p - y) / (p (1 - p)) / N
    CCE:  L = -mean over samples of sum_k y_k log p_k      dL/dp = -y / p / batch

with N the number of elements (and gy the scalar gradient arriving from
above, 1 for the loss itself). The library's versions, in
``minidl/functional/loss.py``, also clip p away from 0 and 1 and
renormalise the rows of p for CCE, as Keras does; the checks here use
predictions where that changes no value.

Write ``MeanSquaredError(y)``, ``MeanAbsoluteError(y)``,
``BinaryCrossentropy(y)`` and ``CategoricalCrossentropy(y)``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy

from minidl import Tensor
from minidl import functional as F
from minidl.exercises.checks import Report, check_function, forbid, uses_minidl, verdict_on_library_use
from minidl.functional import loss

TITLE = "MSE, MAE, binary and categorical cross-entropy"
NAMES = ("MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy", "CategoricalCrossentropy")


def _wrapped(function: Any) -> type:
    """The library's loss as a Function-like class of the targets, for the checker's comparison."""

    class Library:
        def __init__(self, y: Any) -> None:
            self.y = y

        def __call__(self, p: Any) -> Tensor:
            return function(self.y, p)

    Library.__name__ = function.__name__
    return Library


def reference() -> SimpleNamespace:
    return SimpleNamespace(MeanSquaredError=_wrapped(F.mean_squared_error),
                           MeanAbsoluteError=_wrapped(F.mean_absolute_error),
                           BinaryCrossentropy=_wrapped(F.binary_crossentropy),
                           CategoricalCrossentropy=_wrapped(F.categorical_crossentropy))


def _cases(rng: numpy.random.Generator, case: int) -> dict:
    n, k = (int(rng.integers(3, 5)), int(rng.integers(2, 4))) if case == 0 else (int(rng.integers(6, 9)),
                                                                                 int(rng.integers(4, 6)))
    logits = rng.normal(size=(n, k))
    softmax = numpy.exp(logits) / numpy.exp(logits).sum(axis=1, keepdims=True)
    targets = rng.normal(size=(n, k))
    far = targets + rng.choice([-1, 1], size=(n, k)) * rng.uniform(0.1, 1.0, size=(n, k))  # no p == y (|.| kink)
    return {"MeanSquaredError": (targets, rng.normal(size=(n, k))),
            "MeanAbsoluteError": (targets, far),
            "BinaryCrossentropy": (rng.integers(0, 2, (n, k)).astype(float), rng.uniform(0.05, 0.95, (n, k))),
            "CategoricalCrossentropy": (numpy.eye(k)[rng.integers(0, k, n)], softmax)}


def check(solution: object) -> Report:
    report = Report(f"exercise 4: {TITLE}")
    forbid(report, {"the mean squared error": [loss.MeanSquaredError],
                    "the mean absolute error": [loss.MeanAbsoluteError],
                    "the binary cross-entropy": [loss.BinaryCrossentropy, loss.BinaryCrossentropyFromLogits],
                    "the categorical cross-entropy": [loss.CategoricalCrossentropy,
                                                      loss.CategoricalCrossentropyFromLogits]})
    uses_minidl(report, solution, NAMES)
    library = reference()
    for case in range(2):
        for name, (y, p) in _cases(report.rng, case).items():
            kinks = None
            if name == "MeanAbsoluteError" and case == 0:  # where p == y, |p - y| has a kink: its slope there is 0
                kinks, equal = p.copy(), report.rng.random(p.shape) < 0.3
                equal.flat[0] = True
                kinks[equal] = y[equal]
            check_function(report, name, lambda cls=getattr(solution, name), y=y: cls(y),
                           lambda cls=getattr(library, name), y=y: cls(y), [p],
                           kinks=[kinks] if kinks is not None else None)
    verdict_on_library_use(report)
    return report
