"""Exercise 7: stochastic gradient descent with momentum, and Nesterov's variant.

Plain SGD steps against the gradient: w <- w - lr g. Momentum keeps a
velocity v (starting at 0) that accumulates past steps, so consistent
directions speed up and oscillating ones cancel (Polyak 1964):

    v <- momentum v - lr g
    w <- w + v

Nesterov's accelerated gradient looks ahead along the velocity; in the
form Keras and minidl use (Sutskever et al. 2013), with the same v update:

    w <- w + momentum v - lr g

Write ``sgd_step(w, g, velocity, lr, momentum, nesterov)`` returning the
new ``(w, velocity)``. The checker runs 30 steps beside ``minidl.optimizers.SGD``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import optimizers
from minidl.exercises import _optimizer_checks as run
from minidl.exercises.checks import Report, drawn_shape, uses_minidl

TITLE = "SGD with momentum and Nesterov momentum"
NAMES = ("sgd_step",)


def _sgd_step(w, g, velocity, lr, momentum, nesterov):
    velocity = momentum * velocity - lr * g
    return (w + momentum * velocity - lr * g if nesterov else w + velocity), velocity


def reference() -> SimpleNamespace:
    """The rule as minidl's SGD applies it (``momentum_update`` in minidl/optimizers.py), without state in place."""
    return SimpleNamespace(sgd_step=_sgd_step)


def check(solution: object) -> Report:
    report = Report(f"exercise 7: {TITLE}")
    run.forbid_optimizer(report, "the momentum update", [optimizers.SGD], optimizers.momentum_update)
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    shape = drawn_shape(report, ranks=(1, 2), sizes=(2, 5))
    gradients = run.gradient_sequence(shape=shape, seed=int(rng.integers(2**31)))
    start = rng.normal(size=shape)
    settings = [(float(rng.choice([0.05, 0.1, 0.2])), 0.0, False),
                (float(rng.choice([0.01, 0.05])), float(rng.choice([0.5, 0.8, 0.9, 0.95])), False),
                (float(rng.choice([0.01, 0.05])), float(rng.choice([0.5, 0.8, 0.9, 0.95])), True)]
    for lr, momentum, nesterov in settings:
        state = {"w": start.copy(), "v": numpy.zeros_like(start)}

        def step(g, t, state=state, lr=lr, momentum=momentum, nesterov=nesterov):
            state["w"], state["v"] = solution.sgd_step(state["w"], g, state["v"], lr, momentum, nesterov)
            return state["w"]

        what = f"lr={lr}, momentum={momentum}, nesterov={nesterov}"
        library = optimizers.SGD(lr, momentum=momentum, nesterov=nesterov)
        run.compare(report, f"{what}: 30 steps on {shape} as minidl's SGD",
                    run.student_trajectory(report, what, step, gradients),
                    run.library_trajectory(library, start, gradients))
    lr, momentum = settings[2][:2]
    for nesterov in (False, True):
        run.probe_state_and_dtype(report, f"sgd_step (nesterov={nesterov})",
                                  lambda w, g, v, n=nesterov: solution.sgd_step(w, g, v, lr, momentum, n),
                                  [start.copy(), gradients[0].copy(), rng.normal(size=shape)])
    run.verdict_on_library_use(report)
    return report
