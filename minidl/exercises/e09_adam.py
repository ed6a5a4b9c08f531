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
from minidl.exercises.checks import Report, drawn_shape, uses_minidl

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


def _kingma_ba_trajectory(start: numpy.ndarray, gradients: list, lr: float, beta_1: float, beta_2: float) -> list:
    w, m, v, path = start.copy(), numpy.zeros_like(start), numpy.zeros_like(start), []
    for t, g in enumerate(gradients, start=1):
        w, m, v = _adam_step(w, g, m, v, t, lr, beta_1, beta_2, 1e-7)
        path.append(w)
    return path


def check(solution: object) -> Report:
    report = Report(f"exercise 9: {TITLE}")
    run.forbid_optimizer(report, "the Adam update", [optimizers.Adam], optimizers.adam_update)
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    shape = drawn_shape(report, ranks=(1, 2), sizes=(2, 5))
    start = rng.normal(size=shape)
    for scale in (1.0, 1e-6):  # tiny gradients: sqrt(v_hat) + epsilon and sqrt(v_hat + epsilon) part
        gradients = run.gradient_sequence(shape=shape, seed=int(rng.integers(2**31)), scale=scale)
        lr = float(rng.choice([0.001, 0.01, 0.05]))
        beta_1, beta_2 = float(rng.choice([0.5, 0.8, 0.9])), float(rng.choice([0.9, 0.99, 0.999]))
        state = {"w": start.copy(), "m": numpy.zeros_like(start), "v": numpy.zeros_like(start)}

        def step(g, t, state=state, lr=lr, beta_1=beta_1, beta_2=beta_2):
            state["w"], state["m"], state["v"] = solution.adam_step(state["w"], g, state["m"], state["v"], t, lr,
                                                                    beta_1, beta_2, 1e-7)
            return state["w"]

        what = f"lr={lr}, beta_1={beta_1}, beta_2={beta_2}" + (", gradients of 1e-6" if scale < 1 else "")
        # Kingma and Ba's rule: minidl's Adam is Keras's, whose epsilon comes after its own bias correction,
        # so the two part where a gradient is small (always with gradients of 1e-6)
        run.compare(report, f"{what}: 30 steps on {shape} as Kingma and Ba's rule",
                    run.student_trajectory(report, what, step, gradients),
                    _kingma_ba_trajectory(start, gradients, lr, beta_1, beta_2), rtol=1e-5, atol=1e-6)
    run.probe_state_and_dtype(report, "adam_step",
                              lambda w, g, m, v: solution.adam_step(w, g, m, v, 3, 0.01, 0.9, 0.999, 1e-7),
                              [start.copy(), rng.normal(size=shape), rng.normal(size=shape),
                               rng.uniform(0.1, 1, size=shape)])
    run.verdict_on_library_use(report)
    return report
