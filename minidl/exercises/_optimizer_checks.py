"""Shared by exercises 7 to 9: run a student's update rule and minidl's optimizer on the same gradients."""

from __future__ import annotations

from typing import Any, Callable

import numpy

from minidl import Tensor
from minidl.exercises.checks import Report, attempt, trajectories_agree


def gradient_sequence(steps: int = 30, shape: tuple = (3, 4), seed: int = 7) -> list:
    """Gradients that change with the step (so a wrong state shows) but keep their sign often (so momentum matters)."""
    rng = numpy.random.default_rng(seed)
    drift = rng.normal(size=shape)
    return [drift + 0.5 * rng.normal(size=shape) for _ in range(steps)]


def library_trajectory(optimizer: Any, start: numpy.ndarray, gradients: list) -> list:
    weight = Tensor(start.copy(), requires_grad=True)
    path = []
    for g in gradients:
        optimizer.apply_gradients([(g, weight)])
        path.append(weight.data.copy())
    return path


def student_trajectory(report: Report, what: str, step: Callable[[numpy.ndarray, numpy.ndarray, int], numpy.ndarray],
                       gradients: list) -> list | None:
    """``step(w, g, t)`` -> new w, for t = 1, 2, ...; None (with a finding) if the student's code fails."""
    path = []
    for t, g in enumerate(gradients, start=1):
        result = attempt(report, f"{what}: step {t} runs", step, g, t)
        if result is None:
            return None
        path.append(numpy.array(result, dtype=float))
    return path


def compare(report: Report, what: str, yours: list | None, reference: list, rtol: float = 1e-6,
            atol: float = 1e-9) -> None:
    if yours is not None:
        trajectories_agree(report, what, yours, reference, rtol=rtol, atol=atol)
