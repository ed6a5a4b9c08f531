"""Exercise 12: batch normalisation in training (Ioffe and Szegedy 2015).

Per channel (the last axis), over the m values of the batch (and any
other axes):

    mu = mean(x)             var = mean((x - mu)^2)
    x_hat = (x - mu) / sqrt(var + eps)
    y = gamma x_hat + beta

mu and var depend on every x of the channel, so the backward is not just
gamma / sqrt(var + eps) * gy: the chain rule through mu and var adds two
terms,

    dL/dbeta  = sum(gy)
    dL/dgamma = sum(gy * x_hat)
    dL/dx     = gamma / sqrt(var + eps) * (gy - mean(gy) - x_hat * mean(gy * x_hat))

(sums and means over every axis but the channels). The library's version
is ``minidl/functional/norm.py``. Write the Function ``BatchNorm(epsilon)``
with forward(x, gamma, beta) and backward(gy) -> (dL/dx, dL/dgamma, dL/dbeta).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor
from minidl.exercises.checks import Report, attempt, checked_gradients, same_values
from minidl.functional import norm

TITLE = "batch normalisation and its three-term gradient"
NAMES = ("BatchNorm",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(BatchNorm=norm.BatchNormTraining)


def check(solution: object) -> Report:
    report = Report(f"exercise 12: {TITLE}")
    rng = numpy.random.default_rng(12)
    for shape in ((6, 3), (4, 5, 2)):
        x, gamma, beta = rng.normal(2, 3, size=shape), rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
        got = attempt(report, f"BatchNorm forward on {shape} runs",
                      lambda: solution.BatchNorm(1e-3)(Tensor(x), Tensor(gamma), Tensor(beta)))
        if got is None:
            continue
        expected = norm.BatchNormTraining(1e-3)(Tensor(x), Tensor(gamma), Tensor(beta))
        same_values(report, f"BatchNorm forward values on {shape}", got, expected, rtol=1e-7, atol=1e-9)
        checked_gradients(report, f"BatchNorm backward on {shape}: dL/dx, dL/dgamma, dL/dbeta (gradcheck)",
                          lambda *tensors: solution.BatchNorm(1e-3)(*tensors), x, gamma, beta)
    return report
