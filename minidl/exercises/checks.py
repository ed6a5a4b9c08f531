"""What every exercise's checker uses: a report of findings, value comparisons, gradchecks, trajectories.

A check never stops at the first problem it could explain better later:
it collects ``Finding``s (what was checked, passed or not, and the numbers
that say by how much), and the report prints them in order. A student's
exception is a finding too, with the line of their file it came from.

Checks grade the idea, not one case:

- the shapes and settings of each check are drawn afresh at every run
  (``Report.rng``; the seed is printed, and ``MINIDL_EXERCISE_SEED=N``
  draws the same cases again), so a solution that hard-codes the shape,
  batch size or rate of one case fails the next;
- edge probes: exactly 0 where a derivative has a kink, float32 in gives
  float32 out, the caller's arrays are left unchanged;
- a solution may not use minidl's own implementation of what the exercise
  asks for: ``uses_minidl`` looks at where the solution's objects were
  defined (and what they subclass), and ``attempt`` watches, while the
  student's code runs, for calls into the code objects listed as
  forbidden (``sys.setprofile``), however they were reached.
"""

from __future__ import annotations

import inspect
import os
import secrets
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy

from minidl.autodiff.function import Function
from minidl.kernels import accelerated
from minidl.teaching.gradcheck import gradcheck
from minidl.autodiff.tensor import Tensor


@dataclass
class Finding:
    what: str
    passed: bool
    detail: str = ""

    def __str__(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        return f"  {mark} {self.what}" + (f"\n       {self.detail}" if self.detail and not self.passed else "")


def _fresh_seed() -> int:
    """The seed of this run's cases: ``MINIDL_EXERCISE_SEED`` if set, else drawn from the operating system."""
    chosen = os.environ.get("MINIDL_EXERCISE_SEED", "").strip()
    return int(chosen) if chosen.isdigit() else secrets.randbits(32)


@dataclass
class Report:
    """The findings of one check of one solution; true when every finding passed.

    ``rng`` draws the cases of this check (from ``seed``, new at every run).
    """

    exercise: str
    findings: list[Finding] = field(default_factory=list)
    seed: int = field(default_factory=_fresh_seed)

    def __post_init__(self) -> None:
        self.rng = numpy.random.default_rng(self.seed)

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
        redraw = f"  (cases drawn with seed {self.seed}: MINIDL_EXERCISE_SEED={self.seed} draws them again)"
        return "\n".join([f"{self.exercise}: {verdict}", *map(str, self.findings), redraw])


class _Watch:
    """The code objects a solution may not run (minidl's own answer), and which of them it ran."""

    def __init__(self) -> None:
        self.forbidden: dict = {}  # code object -> (what it implements, its name)
        self.kernels: dict = {}    # name of an accelerated kernel -> (what it implements, its name)
        self.used: dict = {}       # what -> the name of the first forbidden code reached

    def hook(self, frame: Any, event: str, _argument: Any) -> None:
        if event != "call":
            return
        found = self.forbidden.get(frame.f_code)
        if found is None and self.kernels and frame.f_code is _DISPATCHER_CODE:
            found = self.kernels.get(frame.f_locals.get("name"))
        if found is not None:
            self.used.setdefault(*found)


_watch = _Watch()


def _dispatcher_code() -> Any:
    """The body every accelerated kernel's dispatcher shares (see ``minidl.kernels.accelerated``)."""
    def probe() -> None:
        """A function to wrap, never registered as a kernel."""

    probe.__name__ = "_exercise_checks_probe"
    from minidl import kernels  # noqa: PLC0415

    dispatcher = accelerated(probe)
    kernels.REFERENCES.pop(probe.__name__, None)
    return dispatcher.__code__


_DISPATCHER_CODE = _dispatcher_code()




def _functions(thing: Any) -> list:
    """Every function of ``thing``: itself, or each method a class defines."""
    if inspect.isclass(thing):
        return [getattr(value, "__func__", value) for value in vars(thing).values()
                if inspect.isfunction(getattr(value, "__func__", value))]
    thing = getattr(thing, "__func__", thing)
    return [thing] if inspect.isfunction(thing) else []


def forbid(report: Report, implementations: dict) -> None:
    """Declare minidl's own implementations of this exercise: {what it is: [classes or functions]}.

    Until ``verdict_on_library_use`` is called, any of their code run from
    inside ``attempt`` (the student's code) is recorded. An accelerated
    kernel's dispatcher shares one body with every other kernel: it is
    told apart by the kernel name it dispatches.
    """
    _watch.forbidden, _watch.kernels, _watch.used = {}, {}, {}
    for what, things in implementations.items():
        for thing in things:
            for function in _functions(thing):
                label = (what, function.__qualname__)
                if hasattr(function, "reference") and function.__code__ is _DISPATCHER_CODE:
                    _watch.kernels[function.__name__] = label
                    function = function.reference  # the array code, run where no kernel takes the arrays
                    label = (what, function.__qualname__)
                _watch.forbidden[function.__code__] = label


def verdict_on_library_use(report: Report) -> None:
    """A finding per forbidden implementation the student's code ran; then stop watching."""
    for what, place in _watch.used.items():
        report.add(f"your code computes {what} itself", False,
                   f"it calls minidl's own {place}: write it with numpy instead")
    stop_watching()


def uses_minidl(report: Report, solution: object, names: Iterable[str], allowed_bases: tuple = ()) -> bool:
    """A finding per name whose object is minidl's own (defined in minidl, or a subclass of a minidl class).

    ``allowed_bases``: the classes the exercise asks to build on (``Function``, ``Layer``).
    """
    allowed = {base for chosen in (Function, *allowed_bases) for base in chosen.__mro__}
    clean = True
    for name in names:
        thing = getattr(solution, name, None)
        if thing is None:
            continue
        if inspect.isclass(thing):
            borrowed = [base for base in thing.__mro__ if base not in allowed
                        and (getattr(base, "__module__", "") or "").split(".")[0] == "minidl"]
        else:
            module = getattr(getattr(thing, "__func__", thing), "__module__", "") or ""
            borrowed = [thing] if module.split(".")[0] == "minidl" else []
        if borrowed:
            clean = False
            origin = borrowed[0]
            report.add(f"{name} is your own code", False,
                       f"it is (or builds on) minidl's {origin.__module__}.{origin.__qualname__}: "
                       "write it yourself")
    return clean


def attempt(report: Report, what: str, function: Callable, *arguments: Any) -> Any:
    """``function(*arguments)``, or None with a finding that quotes the student's error and its line.

    While it runs, calls into the forbidden implementations (``forbid``) are recorded.
    """
    watching = bool(_watch.forbidden) and sys.getprofile() is None
    if watching:
        sys.setprofile(_watch.hook)
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
    finally:
        if watching:
            sys.setprofile(None)
    return None


def as_array(report: Report, what: str, value: Any) -> numpy.ndarray | None:
    """``value``'s numbers as an array (a Tensor's data too), or None with a finding saying what came back."""
    data = value.data if isinstance(value, Tensor) else value
    try:
        array = numpy.asarray(data)
        if array.dtype == object or not (numpy.issubdtype(array.dtype, numpy.number)
                                         or array.dtype == bool):
            raise TypeError
    except (TypeError, ValueError):
        report.add(what, False, f"expected numbers, got {type(value).__name__}: {str(value)[:60]}")
        return None
    return array


def unchanged(report: Report, what: str, before: list, after: list) -> bool:
    """A finding: the caller's arrays hold the values they held before the student's call."""
    for position, (old, new) in enumerate(zip(before, after)):
        if old.shape != new.shape or not numpy.array_equal(old, new, equal_nan=True):
            return report.add(what, False, f"argument #{position} was changed in place: a function must leave "
                                           "its caller's arrays as they were (work on a copy)")
    return report.add(what, True)


def keeps_dtype(report: Report, what: str, got: Any, dtype: Any) -> bool:
    """A finding: the result has ``dtype`` (float32 in gives float32 out, as in minidl and Keras)."""
    data = got.data if isinstance(got, Tensor) else got
    found = getattr(data, "dtype", type(data))
    return report.add(what, found == numpy.dtype(dtype), "" if found == numpy.dtype(dtype) else
                      f"the result is {found}; float32 inputs must give float32 results (cast with .astype or "
                      "build arrays with dtype=x.dtype)")


def same_values(report: Report, what: str, got: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """A finding: ``got`` equals ``expected`` within tolerance; on failure the worst element and both values."""
    got_array = as_array(report, what, got)
    if got_array is None:
        return False
    got_array = got_array.astype(float)
    expected_array = numpy.asarray(expected.data if isinstance(expected, Tensor) else expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return report.add(what, False, f"shape {got_array.shape}, expected {expected_array.shape}")
    error = numpy.array(numpy.abs(got_array - expected_array), dtype=float)
    error[numpy.isnan(error) & ~numpy.isnan(expected_array)] = numpy.inf  # a NaN where a number belongs is off
    error[numpy.isnan(error)] = 0.0  # NaN where NaN is expected
    allowed = atol + rtol * numpy.abs(expected_array)
    if numpy.all(error <= allowed) and numpy.all(numpy.isfinite(got_array) == numpy.isfinite(expected_array)):
        return report.add(what, True)
    worst = numpy.unravel_index(numpy.argmax(error - allowed), error.shape) if error.size else ()
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
        got = as_array(report, f"{what}: step {step} gives numbers", got)
        if got is None:
            return False
        got, expected = got.astype(float), numpy.asarray(expected, dtype=float)
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


def stop_watching() -> None:
    """Forget the forbidden implementations (after a check, whatever happened in it)."""
    _watch.forbidden, _watch.kernels, _watch.used = {}, {}, {}


def gradients_of(make: Callable, arrays: list, gy: numpy.ndarray) -> list:
    """dL/d(each array) of ``make()(*arrays)`` for the upstream gradient ``gy``, by one backward pass."""
    tensors = [Tensor(array, requires_grad=True) for array in arrays]
    make()(*tensors).backward(gy)
    return [tensor.grad for tensor in tensors]


def shapes_of(arrays: list) -> str:
    return ", ".join(str(tuple(array.shape)) for array in arrays)


def check_function(report: Report, name: str, yours: Callable, theirs: Callable, arrays: list,
                   rtol: float = 1e-7, atol: float = 1e-9, kinks: list | None = None,
                   gradient_check: bool = True) -> None:
    """The probes every Function exercise shares, on float64 ``arrays`` drawn by the caller.

    ``yours`` and ``theirs`` make a fresh Function (the student's, minidl's).
    Checks: forward values; the inputs left unchanged; backward by gradcheck;
    float32 in gives float32 out; and, with ``kinks`` (the same inputs, with
    exact zeros where the derivative jumps), the backward there equals minidl's.
    """
    where = shapes_of(arrays)
    before = [array.copy() for array in arrays]
    got = attempt(report, f"{name} forward runs on {where}", lambda: yours()(*[Tensor(a) for a in arrays]))
    if got is None:
        return
    same_values(report, f"{name} forward values on {where}", got, theirs()(*[Tensor(a) for a in before]),
                rtol=rtol, atol=atol)
    unchanged(report, f"{name} leaves its inputs as they were", before, arrays)
    if gradient_check:
        checked_gradients(report, f"{name} backward on {where} (gradcheck)", lambda *t: yours()(*t), *before)
    single = [array.astype(numpy.float32) for array in before]
    got = attempt(report, f"{name} forward runs on float32 inputs", lambda: yours()(*[Tensor(a) for a in single]))
    if got is not None:
        keeps_dtype(report, f"{name}: float32 in, float32 out", got, numpy.float32)
    if kinks is not None:
        output = theirs()(*[Tensor(a) for a in kinks])
        gy = report.rng.uniform(0.5, 1.5, numpy.shape(output.data))
        got = attempt(report, f"{name} backward runs at exactly 0", gradients_of, yours, kinks, gy)
        if got is not None:
            for position, (mine, library) in enumerate(zip(got, gradients_of(theirs, kinks, gy))):
                same_values(report, f"{name} backward where the input is exactly 0 (input #{position})", mine,
                            library)


def with_zeros(report: Report, array: numpy.ndarray, share: float = 0.3) -> numpy.ndarray:
    """A copy of ``array`` with about ``share`` of its elements set to exactly 0 (and at least one)."""
    probe = array.copy()
    zero = report.rng.random(probe.shape) < share
    zero.flat[0] = True
    probe[zero] = 0.0
    return probe


def drawn_shape(report: Report, ranks: tuple = (1, 3), sizes: tuple = (2, 6)) -> tuple:
    """A shape of ``ranks[0]`` to ``ranks[1]`` axes, each of ``sizes[0]`` to ``sizes[1]`` elements, new every run.

    Checks draw their two cases from ``case_sizes``: no single hard-coded size passes both.
    """
    rank = int(report.rng.integers(ranks[0], ranks[1] + 1))
    return tuple(int(size) for size in report.rng.integers(sizes[0], sizes[1] + 1, rank))


def draw(report: Report, shape: tuple, low: float = -3.0, high: float = 3.0, away_from: tuple = ()) -> numpy.ndarray:
    """``drawn`` with this run's generator: float64 in [low, high), 0.01 away from the kinks ``away_from``."""
    return drawn(shape, int(report.rng.integers(2**31)), low, high, away_from)


def case_sizes(case: int) -> tuple:
    """The range of sizes of case 0 (2 to 4) and of case 1 (5 to 7): disjoint, so a hard-coded size fails one."""
    return (2, 4) if case == 0 else (5, 7)


def held_out_accuracy(report: Report, train: Callable, training: tuple, held_out: tuple, classes: int,
                      threshold: float, trained_on: str, held_out_name: str) -> None:
    """The capstones' measure: ``train(x, y)`` on ``training``, then its model's accuracy on ``held_out``.

    Findings: training runs, predict runs and gives (n, ``classes``) scores, and
    at least ``threshold`` of the ``held_out_name`` are right (with the seconds
    training took).
    """
    (x, y), (x_held, y_held) = training, held_out
    start = time.perf_counter()
    model = attempt(report, f"train(x, y) runs on {trained_on}", train, x.copy(), y.copy())
    seconds = time.perf_counter() - start
    if model is None:
        return
    scores = attempt(report, f"model.predict runs on the {held_out_name}", lambda: model.predict(x_held))
    scores = None if scores is None else as_array(report, "predict gives class scores", scores)
    if scores is None:
        return
    wanted = (len(y_held), classes)
    if not report.add(f"predict gives {wanted} scores", scores.shape == wanted,
                      f"got {scores.shape}"):
        return
    accuracy = float((scores.argmax(axis=1) == y_held).mean())
    report.add(f"at least {threshold:.0%} of the {held_out_name} right", accuracy >= threshold,
               f"{accuracy:.2%} right after {seconds:.0f} s of training")
    print(f"held-out accuracy {accuracy:.2%}, training took {seconds:.1f} s")
