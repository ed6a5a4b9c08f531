"""Exercise 19: gradient clipping, by each gradient's norm and by the global norm.

A step whose gradient is huge (an exploding recurrence, a cliff of the loss)
throws the weights far away. Clipping rescales the gradient, keeping its
direction, so that its L2 norm is at most ``max_norm``:

    clip_by_norm(g) = g * max_norm / max(||g||, max_norm)

(unchanged when ||g|| <= max_norm; never a division by zero, even for g = 0).
Clipping by the global norm rescales every gradient of a step by the same
factor, computed from their joint norm, so that the update keeps its
direction across weights:

    ||G|| = sqrt(sum over gradients of ||g_i||^2),  g_i <- g_i * max_norm / max(||G||, max_norm)

These are Keras's ``clipnorm`` and ``global_clipnorm`` (``_clip`` in
``minidl/optimizers.py``).

Write ``clip_by_norm(g, max_norm)`` and ``clip_by_global_norm(gradients, max_norm)``
(a list in, a new list out); both return new arrays of their inputs' dtypes.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import optimizers
from minidl.exercises.checks import (Report, attempt, forbid, keeps_dtype, same_values, unchanged, uses_minidl,
                                     verdict_on_library_use)

TITLE = "gradient clipping by norm and by global norm"
NAMES = ("clip_by_norm", "clip_by_global_norm")


def _by_norm(g: numpy.ndarray, max_norm: float) -> numpy.ndarray:
    return g * (max_norm / max(float(numpy.sqrt((g.astype(float) ** 2).sum())), max_norm))


def _by_global_norm(gradients: list, max_norm: float) -> list:
    norm = float(numpy.sqrt(sum((g.astype(float) ** 2).sum() for g in gradients)))
    return [g * (max_norm / max(norm, max_norm)) for g in gradients]


def reference() -> SimpleNamespace:
    return SimpleNamespace(clip_by_norm=lambda g, m: optimizers.SGD(clipnorm=m)._clip([g])[0],
                           clip_by_global_norm=lambda gs, m: optimizers.SGD(global_clipnorm=m)._clip(gs))


def check(solution: object) -> Report:
    report = Report(f"exercise 19: {TITLE}")
    forbid(report, {"the clipping": [optimizers._clip_by_norm, optimizers.Optimizer._clip]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    for case in range(2):
        shape = tuple(int(size) for size in rng.integers(*((2, 4) if case == 0 else (5, 8)), int(rng.integers(1, 3))))
        g = rng.normal(size=shape)
        norm = float(numpy.linalg.norm(g))
        for max_norm in (round(norm * float(rng.uniform(0.1, 0.6)), 4), round(norm * float(rng.uniform(1.5, 3)), 4)):
            before = g.copy()
            got = attempt(report, f"clip_by_norm on {shape}, max_norm {max_norm} runs", solution.clip_by_norm, g,
                          max_norm)
            if got is not None:
                kind = "above" if norm > max_norm else "within"
                same_values(report, f"clip_by_norm of a gradient of norm {norm:.3g} ({kind} max_norm {max_norm})",
                            got, _by_norm(before, max_norm))
                unchanged(report, "clip_by_norm leaves the caller's gradient as it was", [before], [g])
        gradients = [rng.normal(scale=float(rng.uniform(0.5, 3)), size=tuple(int(s) for s in rng.integers(1, 6, 2)))
                     for _ in range(int(rng.integers(2, 5)))]
        total = float(numpy.sqrt(sum((gradient ** 2).sum() for gradient in gradients)))
        for max_norm in (round(total * float(rng.uniform(0.1, 0.6)), 4), round(total * 2, 4)):
            before = [gradient.copy() for gradient in gradients]
            got = attempt(report, f"clip_by_global_norm of {len(gradients)} gradients runs",
                          solution.clip_by_global_norm, gradients, max_norm)
            if got is not None:
                expected = _by_global_norm(before, max_norm)
                if report.add(f"clip_by_global_norm returns {len(gradients)} gradients", len(got) == len(expected),
                              f"got {len(got)}"):
                    for position, (mine, theirs) in enumerate(zip(got, expected)):
                        same_values(report, f"clip_by_global_norm (joint norm {total:.3g}, max_norm {max_norm}): "
                                    f"gradient #{position}", mine, theirs)
                unchanged(report, "clip_by_global_norm leaves the caller's gradients as they were", before, gradients)
    zero = numpy.zeros((3, 2))
    got = attempt(report, "clip_by_norm of a zero gradient runs", solution.clip_by_norm, zero, 1.0)
    if got is not None:
        same_values(report, "clip_by_norm of a zero gradient is zero (no division by zero)", got, zero)
    got = attempt(report, "clip_by_global_norm of zero gradients runs", solution.clip_by_global_norm, [zero, zero], 1.0)
    if got is not None and len(got) == 2:
        same_values(report, "clip_by_global_norm of zero gradients is zero (no division by zero)", got[0], zero)
    single = rng.normal(size=(4, 3)).astype(numpy.float32) * 10
    got = attempt(report, "clip_by_norm runs on float32", solution.clip_by_norm, single, 1.0)
    if got is not None:
        keeps_dtype(report, "clip_by_norm: float32 in, float32 out", got, numpy.float32)
    verdict_on_library_use(report)
    return report
