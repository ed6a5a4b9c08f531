"""What every exercise's checker uses: a report of findings, value comparisons, gradchecks, trajectories.

A check never stops at the first problem it could explain better later:
it collects ``Finding``s (what was checked, passed or not, and the numbers
that say by how much), and the report prints them in order. A student's
exception is a finding too, with the line of their file it came from.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from minidl.gradcheck import gradcheck
from minidl.tensor import Tensor


@dataclass
class Finding:
    what: str
    passed: bool
    detail: str = ""

    def __str__(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        return f"  {mark} {self.what}" + (f"\n       {self.detail}" if self.detail else "")


@dataclass
class Report:
    """The findings of one check of one solution; true when every finding passed."""

    exercise: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, what: str, passed: bool, detail: str = "") -> bool:
        self.findings.append(Finding(what, bool(passed), detail))
        return bool(passed)

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(finding.passed for finding in self.findings)

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.passed]

    def __str__(self) -> str:
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures())} of {len(self.findings)} checks)"
        return "\n".join([f"{self.exercise}: {verdict}", *map(str, self.findings)])


def attempt(report: Report, what: str, function: Callable, *arguments: Any) -> Any:
    """``function(*arguments)``, or None with a finding that quotes the student's error and its line."""
    try:
        return function(*arguments)
    except NotImplementedError as error:
        report.add(what, False, f"not written yet: {error}" if str(error) else
                   "not written yet (it raises NotImplementedError)")
    except Exception as error:  # the student's code: any error is a finding, not a crash of the checker
        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if "minidl" not in frame.filename
                  or "solution" in frame.filename]
        where = f" (at {frames[-1].filename}:{frames[-1].lineno}: {frames[-1].line})" if frames else ""
        report.add(what, False, f"{type(error).__name__}: {error}{where}")
    return None


def same_values(report: Report, what: str, got: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """A finding: ``got`` equals ``expected`` within tolerance; on failure the worst element and both values."""
    got_array = numpy.asarray(got.data if isinstance(got, Tensor) else got, dtype=float)
    expected_array = numpy.asarray(expected.data if isinstance(expected, Tensor) else expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return report.add(what, False, f"shape {got_array.shape}, expected {expected_array.shape}")
    error = numpy.abs(got_array - expected_array)
    allowed = atol + rtol * numpy.abs(expected_array)
    if numpy.all(error <= allowed) and numpy.all(numpy.isfinite(got_array) == numpy.isfinite(expected_array)):
        return report.add(what, True)
    worst = numpy.unravel_index(numpy.nanargmax(error - allowed), error.shape) if error.size else ()
    return report.add(what, False, f"element {[int(i) for i in worst]}: yours {got_array[worst]:.8g}, expected "
                                   f"{expected_array[worst]:.8g} ({int((error > allowed).sum())} of {error.size} "
                                   "elements off)")


def checked_gradients(report: Report, what: str, function: Callable, *inputs: Any) -> bool:
    """A finding from ``gradcheck``: its report (which input, which element, by how much) on failure."""
    tensors = [Tensor(numpy.asarray(x, dtype=numpy.float64), requires_grad=True) for x in inputs]
    result = attempt(report, what, lambda: gradcheck(function, *tensors, raise_exception=False))
    if result is None:
        return False
    return report.add(what, bool(result), "" if result else str(result).replace("\n", "\n       "))


def trajectories_agree(report: Report, what: str, yours: list, reference: list, rtol: float = 1e-5,
                       atol: float = 1e-9) -> bool:
    """A finding: two sequences of weight arrays agree step by step; on failure the first step that differs."""
    for step, (got, expected) in enumerate(zip(yours, reference), start=1):
        got, expected = numpy.asarray(got, dtype=float), numpy.asarray(expected, dtype=float)
        if got.shape != expected.shape or not numpy.allclose(got, expected, rtol=rtol, atol=atol):
            if got.shape != expected.shape:
                return report.add(what, False, f"step {step}: shape {got.shape}, expected {expected.shape}")
            excess = numpy.abs(got - expected) - (atol + rtol * numpy.abs(expected))
            index = numpy.unravel_index(numpy.argmax(excess), got.shape)
            return report.add(what, False, f"step {step} is the first to differ: element {[int(i) for i in index]} is "
                                           f"{got[index]:.8g}, the reference says {expected[index]:.8g}")
    return report.add(what, len(yours) == len(reference), "" if len(yours) == len(reference) else
                      f"{len(yours)} steps, expected {len(reference)}")


def drawn(shape: tuple, seed: int, low: float = -3.0, high: float = 3.0, away_from: tuple = ()) -> numpy.ndarray:
    """float64 values in [low, high), kept 0.01 away from ``away_from`` (kinks, where derivatives jump)."""
    values = numpy.random.default_rng(seed).uniform(low, high, shape)
    for point in away_from:
        near = numpy.abs(values - point) < 0.01
        values[near] = point + 0.02
    return values
