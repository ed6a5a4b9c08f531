"""Shared by exercises 7 to 9: run a student's update rule and minidl's optimizer on the same gradients."""

from __future__ import annotations

from typing import Any, Callable

import numpy

from minidl import Tensor
from minidl.exercises.checks import (Report, attempt, forbid, keeps_dtype, trajectories_agree, unchanged,
                                     verdict_on_library_use)


def gradient_sequence(steps: int = 30, shape: tuple = (3, 4), seed: int = 7, scale: float = 1.0) -> list:
    """Gradients that change with the step (so a wrong state shows) but keep their sign often (so momentum matters).

    ``scale`` 1e-6 makes them tiny: then where epsilon is added (inside or outside a square root) shows.
    """
    rng = numpy.random.default_rng(seed)
    drift = rng.normal(size=shape)
    return [scale * (drift + 0.5 * rng.normal(size=shape)) for _ in range(steps)]


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
        path.append(result)
    return path


def compare(report: Report, what: str, yours: list | None, reference: list, rtol: float = 1e-6,
            atol: float = 1e-9) -> None:
    if yours is not None:
        trajectories_agree(report, what, yours, reference, rtol=rtol, atol=atol)


def probe_state_and_dtype(report: Report, what: str, step: Callable, arrays: list, t_argument: bool = False) -> None:
    """One call of the student's rule on copies: it leaves the caller's arrays alone and keeps float32.

    ``step(*arrays)`` returns the new weights first (then the new state).
    """
    before = [array.copy() for array in arrays]
    got = attempt(report, f"{what}: one step runs", step, *arrays)
    if got is None:
        return
    unchanged(report, f"{what}: the caller's w, g and state are left as they were (return new arrays)", before,
              arrays)
    single = [array.astype(numpy.float32) for array in before]
    got = attempt(report, f"{what}: one step runs on float32 arrays", step, *single)
    if got is not None:
        keeps_dtype(report, f"{what}: float32 weights stay float32", got[0] if isinstance(got, tuple) else got,
                    numpy.float32)


def forbid_optimizer(report: Report, what: str, classes: list, update: Callable) -> None:
    """The library's optimizer classes (and the base class's update loop) and its update rule are off limits."""
    from minidl import optimizers  # noqa: PLC0415

    forbid(report, {what: [*classes, optimizers.Optimizer, update]})
