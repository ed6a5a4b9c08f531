"""Exercise 13: vanishing gradients, and three cures (an experiment).

In a deep network of sigmoids the gradient reaching the first layers is a
product of many factors sigma'(a) W, and sigma' <= 1/4: it shrinks layer
after layer, so the first layers barely learn (Hochreiter 1991; Glorot and
Bengio 2010). Three cures, each changing one factor of that product:

- ReLU: its derivative is 1 where it is active;
- batch normalisation: keeps each layer's inputs in the sigmoid's steep range;
- skip connections, x <- x + f(x) (He et al. 2016): dL/dx gets an identity
  term, so the gradient has a path that multiplies by nothing.

Write ``gradient_norms(model, x, y)``: the L2 norm of dL/dW for the kernel
of every Dense layer of ``model`` (in ``model.layers`` order), for the
categorical cross-entropy of the batch (x, y) with the model in training
mode. Reset the weights' ``.grad`` first (backward accumulates). The
checker compares it with the reference, then runs the experiment with
your function: 20-layer networks, sigmoid, ReLU, sigmoid with batch
normalisation, and sigmoid with skip connections.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl.exercises import experiments
from minidl.exercises.checks import Report, attempt, forbid, same_values, uses_minidl, verdict_on_library_use

TITLE = "vanishing gradients, and ReLU, batch norm and skip connections against them"
NAMES = ("gradient_norms",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(gradient_norms=experiments.gradient_norms)


def check(solution: object) -> Report:
    report = Report(f"exercise 13: {TITLE}")
    forbid(report, {"the gradient norms": [experiments.gradient_norms]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    n, inputs, classes = int(rng.integers(8, 20)), int(rng.integers(4, 12)), int(rng.integers(2, 5))
    x = rng.normal(size=(n, inputs)).astype(numpy.float32)
    y = numpy.eye(classes, dtype=numpy.float32)[rng.integers(0, classes, n)]
    for kind in ("sigmoid", str(rng.choice(["relu", "batchnorm", "residual"]))):
        depth = int(rng.integers(4, 8))
        model = experiments.deep_network(kind, depth=depth, inputs=inputs, classes=classes)
        expected = experiments.gradient_norms(model, x, y)
        got = attempt(report, f"gradient_norms on a {depth}-layer {kind} network runs", solution.gradient_norms,
                      model, x, y)
        if got is not None:
            same_values(report, f"gradient_norms on a {depth}-layer {kind} network", got, expected, rtol=1e-5)
    verdict_on_library_use(report)
    if report.passed:
        table = experiments.vanishing(solution.gradient_norms)
        ratio = {kind: values[0] / values[-1] for kind, values in table.items()}
        report.add("in the 20-layer sigmoid network the first layer's gradient is far smaller than the last's",
                   ratio["sigmoid"] < 1e-3, f"first / last = {ratio['sigmoid']:.2e}")
        for cure in ("relu", "batchnorm", "residual"):
            report.add(f"with {cure}, the first layer gets at least 100 times sigmoid's share of the gradient",
                       ratio[cure] > 100 * ratio["sigmoid"], f"first / last = {ratio[cure]:.2e} against "
                       f"{ratio['sigmoid']:.2e} for sigmoid")
    return report
