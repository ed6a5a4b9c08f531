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
from minidl.exercises.checks import Report, drawn_shape, uses_minidl

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
    run.forbid_optimizer(report, "the RMSprop update", [optimizers.RMSprop], optimizers.rmsprop_update)
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    shape = drawn_shape(report, ranks=(1, 2), sizes=(2, 5))
    start = rng.normal(size=shape)
    for scale in (1.0, 1e-6):  # tiny gradients: where epsilon goes shows
        gradients = run.gradient_sequence(shape=shape, seed=int(rng.integers(2**31)), scale=scale)
        lr, rho = float(rng.choice([0.001, 0.01, 0.05])), float(rng.choice([0.5, 0.8, 0.9, 0.99]))
        state = {"w": start.copy(), "a": numpy.zeros_like(start)}

        def step(g, t, state=state, lr=lr, rho=rho):
            state["w"], state["a"] = solution.rmsprop_step(state["w"], g, state["a"], lr, rho, 1e-7)
            return state["w"]

        what = f"lr={lr}, rho={rho}" + (", gradients of 1e-6" if scale < 1 else "")
        run.compare(report, f"{what}: 30 steps on {shape} as minidl's RMSprop",
                    run.student_trajectory(report, what, step, gradients),
                    run.library_trajectory(optimizers.RMSprop(lr, rho=rho, epsilon=1e-7), start, gradients))
    run.probe_state_and_dtype(report, "rmsprop_step", lambda w, g, a: solution.rmsprop_step(w, g, a, 0.01, 0.9, 1e-7),
                              [start.copy(), rng.normal(size=shape), rng.uniform(0.1, 1, size=shape)])
    run.verdict_on_library_use(report)
    return report
