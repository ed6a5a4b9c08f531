"""Exercise 15: softmax and cross-entropy as one numerically stable Function of the logits.

For logits z (n, k) and targets y (n, k) whose rows sum to 1 (one-hot or
soft), the loss is

    L = -(1/n) sum_i sum_c y_ic log softmax(z_i)_c,   softmax(z_i)_c = e^{z_ic} / sum_j e^{z_ij}

Computed as written, e^{1000} overflows to inf and the loss is NaN. The
log-sum-exp trick subtracts each row's maximum m_i first, which changes
nothing mathematically:

    log softmax(z_i)_c = (z_ic - m_i) - log sum_j e^{z_ij - m_i}

and the gradient is the famous short one (for rows of y summing to 1):

    dL/dz = (softmax(z) - y) / n

The library's version is ``CategoricalCrossentropyFromLogits`` in
``minidl/functional/loss.py``.

Write the class ``SoftmaxCrossentropy(y)`` with ``forward(z)`` (a scalar) and ``backward(gy)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor
from minidl import functional as F
from minidl.exercises.checks import (Report, attempt, check_function, forbid, same_values, uses_minidl,
                                     verdict_on_library_use)
from minidl.functional import activation, loss

TITLE = "softmax cross-entropy from logits, stable for any logits"
NAMES = ("SoftmaxCrossentropy",)


def reference() -> SimpleNamespace:
    class SoftmaxCrossentropy:
        def __init__(self, y: numpy.ndarray) -> None:
            self.y = y

        def __call__(self, z: Tensor) -> Tensor:
            return F.categorical_crossentropy(self.y, z, from_logits=True)

    return SimpleNamespace(SoftmaxCrossentropy=SoftmaxCrossentropy)


def check(solution: object) -> Report:
    report = Report(f"exercise 15: {TITLE}")
    forbid(report, {"the softmax cross-entropy": [loss.CategoricalCrossentropyFromLogits, loss.CategoricalCrossentropy,
                                                  activation.stable_log_softmax, activation.Softmax,
                                                  activation.LogSoftmax]})
    uses_minidl(report, solution, NAMES)
    library, rng = reference(), report.rng
    for case in range(2):
        n, k = (int(rng.integers(2, 5)), int(rng.integers(2, 4))) if case == 0 else \
            (int(rng.integers(6, 10)), int(rng.integers(4, 7)))
        z = rng.normal(scale=3.0, size=(n, k))
        y = numpy.eye(k)[rng.integers(0, k, n)] if case == 0 else rng.dirichlet(numpy.ones(k), n)  # soft targets too
        check_function(report, f"SoftmaxCrossentropy on {n} x {k} logits ({'one-hot' if case == 0 else 'soft'} targets)",
                       lambda y=y: solution.SoftmaxCrossentropy(y), lambda y=y: library.SoftmaxCrossentropy(y), [z])
    # e^1000 overflows, and rows 2000 apart underflow against one maximum: only each row's own maximum works
    z = rng.normal(scale=5.0, size=(4, 3)) + numpy.array([[1000.0], [-1000.0], [0.0], [500.0]])
    y = numpy.eye(3)[rng.integers(0, 3, 4)]
    got = attempt(report, "SoftmaxCrossentropy runs on logits of about +-1000",
                  lambda: solution.SoftmaxCrossentropy(y)(Tensor(z)))
    if got is not None:
        same_values(report, "the loss for logits of about +-1000 is finite and right (the max is subtracted first)",
                    got, library.SoftmaxCrossentropy(y)(Tensor(z)), rtol=1e-9)
        tensor = Tensor(z, requires_grad=True)
        gradient = attempt(report, "its backward runs on logits of about +-1000",
                           lambda: (solution.SoftmaxCrossentropy(y)(tensor).backward(), tensor.grad)[1])
        if gradient is not None:
            expected = Tensor(z, requires_grad=True)
            library.SoftmaxCrossentropy(y)(expected).backward()
            same_values(report, "dL/dz for logits of about +-1000 is (softmax(z) - y) / n", gradient, expected.grad,
                        atol=1e-12)
    verdict_on_library_use(report)
    return report
