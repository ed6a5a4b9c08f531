"""Check a backward against finite differences, with a report a student can act on.

For a function ``f`` returning a Tensor ``y``, gradcheck draws a fixed random
projection ``v`` of y's shape and checks the gradient of the scalar
``L = sum(v * y)`` (every output element takes part). For every element
``x_k`` of every input that requires grad it compares

    analytic:  dL/dx_k from y.backward(v)
    numeric:   (L(x_k + eps) - L(x_k - eps)) / (2 eps)      (central difference)

and passes where ``|analytic - numeric| <= atol + rtol * |numeric|``.
Everything is done in float64: float32 inputs are copied to float64 first
(the report says so), since float32 differences are too coarse to check.

>>> report = gradcheck(lambda x: F.tanh(x), Tensor(xs, requires_grad=True, dtype="float64"))
>>> print(report)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy

from minidl.core import backend
from minidl.autodiff.function import no_grad
from minidl.autodiff.tensor import Tensor


@dataclass
class InputCheck:
    """The outcome for one input: its worst element and how far off it was."""

    position: int
    name: str | None
    shape: tuple
    passed: bool
    worst_index: tuple
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    failing_elements: int

    def describe(self) -> str:
        label = f"input #{self.position}" + (f" ({self.name!r})" if self.name else "")
        verdict = "ok" if self.passed else f"FAIL ({self.failing_elements} elements off)"
        return (
            f"{label}, shape {self.shape}: worst element {list(self.worst_index)}: "
            f"analytic {self.analytic:.8g}, numeric {self.numeric:.8g}, "
            f"abs error {self.abs_error:.3g}, rel error {self.rel_error:.3g}  {verdict}"
        )


@dataclass
class GradcheckReport:
    """All inputs' checks; true when every one passed."""

    checks: list[InputCheck]
    eps: float
    atol: float
    rtol: float
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = "gradcheck passed" if self.passed else "gradcheck FAILED"
        lines = [f"{head} (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"]
        lines += ["  " + check.describe() for check in self.checks]
        lines += ["note: " + note for note in self.notes]
        return "\n".join(lines)


class GradcheckError(AssertionError):
    """Raised by gradcheck when an analytic gradient disagrees with the numeric one."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> GradcheckReport:
    """Compare the analytic gradients of ``fn(*inputs)`` with central differences.

    Parameters
    ----------
    fn : callable
        Takes ``inputs`` and returns a Tensor (any shape).
    *inputs :
        Tensors with ``requires_grad=True`` are checked; anything else is
        passed to ``fn`` unchanged, as a constant.
    eps, atol, rtol : float
        Step of the central difference and the tolerance
        ``|analytic - numeric| <= atol + rtol * |numeric|``.
    raise_exception : bool
        Raise ``GradcheckError`` (carrying the report) on failure; otherwise
        return the failed report.
    seed : int
        Seed of the random projection of the output.

    Returns
    -------
    GradcheckReport, true when every checked input passed.
    """
    notes: list[str] = []
    checked_inputs = []
    prepared = []
    for position, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != numpy.float64:
                notes.append(f"input #{position} is {x.dtype}; it was checked as a float64 copy")
            # A copy, so that the perturbations never touch the caller's data.
            x = Tensor(x.data.astype("float64"), requires_grad=True, name=x.name)
            checked_inputs.append(position)
        prepared.append(x)
    inputs = tuple(prepared)
    if not checked_inputs:
        raise ValueError("gradcheck: no input is a Tensor with requires_grad=True, so there is nothing to check")

    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    if output.dtype != numpy.float64:
        notes.append(f"fn returned {output.dtype} from float64 inputs; differences are that coarse")
    xp = backend.get_array_module(output.data)
    projection = xp.asarray(numpy.random.default_rng(seed).standard_normal(output.shape))

    def projected_output() -> float:
        with no_grad():
            return float((fn(*inputs).data * projection).sum())

    if output.requires_grad:
        output.backward(projection.astype(output.dtype))
    checks = []
    for position in checked_inputs:
        x = inputs[position]
        analytic = x.grad if x.grad is not None else xp.zeros_like(x.data)
        if x.grad is None:
            notes.append(f"no gradient reached input #{position}: its analytic gradient counts as zero")
        numeric = xp.zeros_like(x.data)
        for index in numpy.ndindex(*x.shape):
            original = x.data[index].copy()
            x.data[index] = original + eps
            above = projected_output()
            x.data[index] = original - eps
            below = projected_output()
            x.data[index] = original
            numeric[index] = (above - below) / (2 * eps)
        checks.append(_compare(position, x, analytic, numeric, atol, rtol))
    report = GradcheckReport(checks, eps, atol, rtol, notes)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def _compare(position: int, x: Tensor, analytic: Any, numeric: Any, atol: float, rtol: float) -> InputCheck:
    analytic, numeric = backend.to_numpy(analytic), backend.to_numpy(numeric)
    error = numpy.abs(analytic - numeric)
    allowed = atol + rtol * numpy.abs(numeric)
    # NaN counts as failing everywhere: compare with "not <=" rather than ">".
    failing = ~(error <= allowed)
    if x.size == 0:
        return InputCheck(position, x.name, x.shape, True, (), 0.0, 0.0, 0.0, 0.0, 0)
    badness = numpy.where(numpy.isnan(error), numpy.inf, error / allowed)
    worst = numpy.unravel_index(int(numpy.argmax(badness)), x.shape)
    scale = max(abs(float(numeric[worst])), abs(float(analytic[worst])), numpy.finfo(float).tiny)
    return InputCheck(
        position=position,
        name=x.name,
        shape=x.shape,
        passed=not failing.any(),
        worst_index=tuple(int(i) for i in worst),
        analytic=float(analytic[worst]),
        numeric=float(numeric[worst]),
        abs_error=float(error[worst]),
        rel_error=float(error[worst]) / scale,
        failing_elements=int(failing.sum()),
    )
