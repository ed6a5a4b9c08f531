"""Exercise 9: Adam, with its bias corrections (Kingma and Ba 2015).

Adam keeps two running means per weight: of the gradient (m, the momentum)
and of its square (v, as RMSProp), both starting at 0. At step t = 1, 2, ...:

    m <- beta_1 m + (1 - beta_1) g
    v <- beta_2 v + (1 - beta_2) g^2
    m_hat = m / (1 - beta_1^t)          v_hat = v / (1 - beta_2^t)
    w <- w - lr m_hat / (sqrt(v_hat) + epsilon)

Without the corrections the first steps are far too small: m and v start
at 0, so early on they underestimate the gradient's moments by the factors
(1 - beta^t). (Keras and minidl fold the corrections into the step size,
lr sqrt(1 - beta_2^t) / (1 - beta_1^t), which moves epsilon slightly; with
epsilon = 1e-7 the two forms agree far within the checker's tolerance.)

Write ``adam_step(w, g, m, v, t, lr, beta_1, beta_2, epsilon)`` returning
the new ``(w, m, v)``; the checker runs 30 steps beside ``minidl.optimizers.Adam``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import optimizers
from minidl.exercises import _optimizer_checks as run
from minidl.exercises.checks import Report

TITLE = "Adam, with the bias corrections"
NAMES = ("adam_step",)


def _adam_step(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - lr * m_hat / (numpy.sqrt(v_hat) + epsilon), m, v


def reference() -> SimpleNamespace:
    """Kingma and Ba's form; minidl's Adam (``adam_update`` in minidl/optimizers.py) is Keras's, see above."""
    return SimpleNamespace(adam_step=_adam_step)


def check(solution: object) -> Report:
    report = Report(f"exercise 9: {TITLE}")
    gradients = run.gradient_sequence()
    start = numpy.random.default_rng(3).normal(size=gradients[0].shape)
    for lr, beta_1, beta_2 in ((0.01, 0.9, 0.999), (0.05, 0.5, 0.9)):
        state = {"w": start.copy(), "m": numpy.zeros_like(start), "v": numpy.zeros_like(start)}

        def step(g, t, state=state, lr=lr, beta_1=beta_1, beta_2=beta_2):
            state["w"], state["m"], state["v"] = solution.adam_step(state["w"], g, state["m"], state["v"], t, lr,
                                                                    beta_1, beta_2, 1e-7)
            return state["w"]

        what = f"lr={lr}, beta_1={beta_1}, beta_2={beta_2}"
        library = optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2, epsilon=1e-7)
        run.compare(report, f"{what}: 30 steps as minidl's Adam", run.student_trajectory(report, what, step, gradients),
                    run.library_trajectory(library, start, gradients), rtol=1e-5, atol=1e-6)
    return report
