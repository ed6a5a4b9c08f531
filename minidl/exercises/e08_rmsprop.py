"""Exercise 8: RMSProp (Hinton's lecture 6e, 2012).

Each weight gets its own step size: divide the gradient by a running root
mean square of its recent values, so steep directions slow down and flat
ones speed up. With a (starting at 0) the running mean of g^2:

    a <- rho a + (1 - rho) g^2
    w <- w - lr g / sqrt(a + epsilon)

(Keras's and minidl's form puts epsilon inside the root.) Write
``rmsprop_step(w, g, mean_square, lr, rho, epsilon)`` returning the new
``(w, mean_square)``; the checker runs 30 steps beside ``minidl.optimizers.RMSprop``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import optimizers
from minidl.exercises import _optimizer_checks as run
from minidl.exercises.checks import Report

TITLE = "RMSProp"
NAMES = ("rmsprop_step",)


def _rmsprop_step(w, g, mean_square, lr, rho, epsilon):
    mean_square = rho * mean_square + (1 - rho) * g * g
    return w - lr * g / numpy.sqrt(mean_square + epsilon), mean_square


def reference() -> SimpleNamespace:
    """The rule of minidl's RMSprop (``rmsprop_update`` in minidl/optimizers.py), without state in place."""
    return SimpleNamespace(rmsprop_step=_rmsprop_step)


def check(solution: object) -> Report:
    report = Report(f"exercise 8: {TITLE}")
    gradients = run.gradient_sequence()
    start = numpy.random.default_rng(2).normal(size=gradients[0].shape)
    for lr, rho in ((0.01, 0.9), (0.05, 0.5)):
        state = {"w": start.copy(), "a": numpy.zeros_like(start)}

        def step(g, t, state=state, lr=lr, rho=rho):
            state["w"], state["a"] = solution.rmsprop_step(state["w"], g, state["a"], lr, rho, 1e-7)
            return state["w"]

        what = f"lr={lr}, rho={rho}"
        run.compare(report, f"{what}: 30 steps as minidl's RMSprop", run.student_trajectory(report, what, step,
                                                                                          gradients),
                    run.library_trajectory(optimizers.RMSprop(lr, rho=rho, epsilon=1e-7), start, gradients))
    return report
