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

from minidl.exercises.checks import Report, case_sizes, check_function, drawn_shape, forbid, uses_minidl, verdict_on_library_use
from minidl.functional import norm

TITLE = "batch normalisation and its three-term gradient"
NAMES = ("BatchNorm",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(BatchNorm=norm.BatchNormTraining)


def check(solution: object) -> Report:
    report = Report(f"exercise 12: {TITLE}")
    forbid(report, {"batch normalisation": [norm.BatchNormTraining, norm.batch_norm_statistics,
                                            norm.batch_norm_forward, norm.batch_norm_backward, norm.batch_norm,
                                            norm.batch_norm_with_statistics]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    for case, ranks in enumerate(((2, 2), (3, 4))):
        shape = drawn_shape(report, ranks=ranks, sizes=case_sizes(case))
        epsilon = float(rng.choice([1e-5, 0.1] if case == 0 else [1e-3, 0.01]))
        x, gamma, beta = rng.normal(2, 3, size=shape), rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
        check_function(report, f"BatchNorm({epsilon})", lambda e=epsilon: solution.BatchNorm(e),
                       lambda e=epsilon: norm.BatchNormTraining(e), [x, gamma, beta], rtol=1e-7, atol=1e-9)
    verdict_on_library_use(report)
    return report
