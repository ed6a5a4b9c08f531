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
from minidl.exercises.checks import Report, attempt, checked_gradients, same_values

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


def _cases() -> dict:
    rng = numpy.random.default_rng(4)
    logits = rng.normal(size=(5, 3))
    softmax = numpy.exp(logits) / numpy.exp(logits).sum(axis=1, keepdims=True)
    targets = rng.normal(size=(5, 3))
    far = targets + rng.choice([-1, 1], size=(5, 3)) * rng.uniform(0.1, 1.0, size=(5, 3))  # no p == y (|.| kink)
    return {"MeanSquaredError": (targets, rng.normal(size=(5, 3))),
            "MeanAbsoluteError": (targets, far),
            "BinaryCrossentropy": (rng.integers(0, 2, (5, 3)).astype(float), rng.uniform(0.05, 0.95, (5, 3))),
            "CategoricalCrossentropy": (numpy.eye(3)[rng.integers(0, 3, 5)], softmax)}


def check(solution: object) -> Report:
    report = Report(f"exercise 4: {TITLE}")
    library = reference()
    for name, (y, p) in _cases().items():
        yours = getattr(solution, name)
        got = attempt(report, f"{name} forward runs", lambda: yours(y)(Tensor(p)))
        if got is not None:
            same_values(report, f"{name} value", got, getattr(library, name)(y)(Tensor(p)), rtol=1e-7)
            checked_gradients(report, f"{name} backward (gradcheck)", lambda t, cls=yours, y=y: cls(y)(t), p)
    return report
