"""Exercise 18: weight initialisation, Glorot's and He's, and what goes wrong without them.

A layer y = x W with x's elements of variance v and W's of variance s has
outputs of variance fan_in * s * v: unless s = 1 / fan_in (roughly), the
signal grows or shrinks by the same factor at every layer, and after 20
layers it has exploded or vanished (and so have the gradients).

- Glorot and Bengio (2010) keep the variance of both the forward signal and
  the backward gradient: s = 2 / (fan_in + fan_out). As a uniform draw on
  [-limit, limit] (whose variance is limit^2 / 3): limit = sqrt(6 / (fan_in + fan_out)).
- He et al. (2015): a ReLU zeroes half its inputs, halving the variance, so
  s = 2 / fan_in. As a normal draw: standard deviation sqrt(2 / fan_in).

(Keras's ``he_normal`` draws from a truncated normal rescaled to the same
variance; here the plain normal is asked.) The library's versions are in
``minidl/initializers.py``.

Write ``glorot_uniform(fan_in, fan_out, generator)`` and
``he_normal(fan_in, fan_out, generator)``: each returns a float64 array
(fan_in, fan_out) drawn from ``generator`` (a numpy Generator) only.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy

from minidl import initializers
from minidl.exercises.checks import Report, attempt, forbid, uses_minidl, verdict_on_library_use

TITLE = "Glorot and He initialisation, and a deep stack that keeps its scale"
NAMES = ("glorot_uniform", "he_normal")


def reference() -> SimpleNamespace:
    def glorot_uniform(fan_in: int, fan_out: int, generator: numpy.random.Generator) -> numpy.ndarray:
        return initializers.GlorotUniform(seed=int(generator.integers(2**31)))((fan_in, fan_out), "float64")

    def he_normal(fan_in: int, fan_out: int, generator: numpy.random.Generator) -> numpy.ndarray:
        return initializers.HeNormal(seed=int(generator.integers(2**31)))((fan_in, fan_out), "float64")

    return SimpleNamespace(glorot_uniform=glorot_uniform, he_normal=he_normal)


def _relu_stack_scale(initializer: object, generator: numpy.random.Generator, depth: int = 20,
                      width: int = 200) -> float:
    """The standard deviation of the last of ``depth`` ReLU layers over that of the input."""
    x = generator.normal(size=(256, width))
    h = x
    for _ in range(depth):
        h = numpy.maximum(h @ initializer(width, width, generator), 0)
    return float(h.std() / x.std())


def check(solution: object) -> Report:
    report = Report(f"exercise 18: {TITLE}")
    forbid(report, {"the initialisers": [initializers.VarianceScaling, initializers.truncated_normal,
                                         initializers.RandomNormal, initializers.RandomUniform]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    for name, variance_of, bound_of in (
            ("glorot_uniform", lambda i, o: 2 / (i + o), lambda i, o: math.sqrt(6 / (i + o))),
            ("he_normal", lambda i, o: 2 / i, None)):
        function = getattr(solution, name)
        for fan_in, fan_out in ((int(rng.integers(200, 400)), int(rng.integers(401, 700))),
                                (int(rng.integers(500, 800)), int(rng.integers(100, 300)))):
            seed = int(rng.integers(2**31))
            w = attempt(report, f"{name}({fan_in}, {fan_out}, generator) runs", function, fan_in, fan_out,
                        numpy.random.default_rng(seed))
            if w is None:
                break
            w = numpy.asarray(w)
            if not report.add(f"{name}: shape ({fan_in}, {fan_out})", w.shape == (fan_in, fan_out), f"got {w.shape}"):
                break
            wanted = variance_of(fan_in, fan_out)
            report.add(f"{name}({fan_in}, {fan_out}): variance {wanted:.3g}", abs(w.var() / wanted - 1) < 0.05,
                       f"yours {w.var():.4g}")
            report.add(f"{name}({fan_in}, {fan_out}): mean 0", abs(w.mean()) < 4 * math.sqrt(wanted / w.size),
                       f"yours {w.mean():.3g}")
            if bound_of is not None:
                limit = bound_of(fan_in, fan_out)
                report.add(f"{name}({fan_in}, {fan_out}): uniform on [-{limit:.4g}, {limit:.4g}]",
                           abs(w).max() <= limit and abs(w).max() > 0.99 * limit, f"largest |w| {abs(w).max():.4g}")
            else:
                tail = float((abs(w) > 2 * math.sqrt(wanted)).mean())  # a normal has 4.55% beyond 2 sd
                report.add(f"{name}({fan_in}, {fan_out}): normal (4.6% beyond two standard deviations)",
                           0.035 < tail < 0.057, f"yours {100 * tail:.2f}%")
            again = attempt(report, f"{name} draws again", function, fan_in, fan_out, numpy.random.default_rng(seed))
            if again is not None:
                report.add(f"{name}: the same generator state gives the same weights (it draws from the generator "
                           "it is given, nothing else)", numpy.array_equal(numpy.asarray(again), w))
    if report.passed:
        scale = _relu_stack_scale(solution.he_normal, rng)
        report.add("with he_normal, 20 ReLU layers keep the signal's scale (within 0.2-5x)", 0.2 < scale < 5,
                   f"last / first standard deviation {scale:.3g}")
        naive = _relu_stack_scale(lambda i, o, g: g.normal(size=(i, o)), rng)
        print(f"for comparison: with N(0, 1) weights, 20 ReLU layers scale the signal by {naive:.3g}")
    verdict_on_library_use(report)
    return report
