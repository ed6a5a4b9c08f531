"""Exercise 5: backpropagation through a two-layer network, by hand.

The network and its loss, for a batch x (n, d) with one-hot targets y (n, k):

    a = x W1 + b1          h = tanh(a)            (hidden layer)
    z = h W2 + b2          p = softmax(z)         (output layer)
    L = -(1/n) sum_i sum_k y_ik log p_ik          (categorical cross-entropy)

Backward, from the loss to the first layer (the chain rule, one step at a time):

    dL/dz  = (p - y) / n                         (softmax and cross-entropy together)
    dL/dW2 = h^T dL/dz          dL/db2 = sum over samples of dL/dz
    dL/dh  = dL/dz W2^T
    dL/da  = dL/dh * (1 - h^2)                   (tanh' from its output)
    dL/dW1 = x^T dL/da          dL/db1 = sum over samples of dL/da

Write ``gradients(x, y, W1, b1, W2, b2)`` with numpy only (no minidl), returning
a dict with the keys "W1", "b1", "W2", "b2". The checker compares it with
minidl's automatic differentiation of the same network.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor
from minidl import functional as F
from minidl.exercises.checks import (Report, attempt, forbid, same_values, unchanged, uses_minidl,
                                     verdict_on_library_use)

TITLE = "backpropagation through an MLP, by hand"
NAMES = ("gradients",)


def autodiff_gradients(x: numpy.ndarray, y: numpy.ndarray, W1, b1, W2, b2) -> dict:  # noqa: N803 - the equations' names
    """The reference: the same network in minidl, differentiated by backward()."""
    weights = {name: Tensor(value, requires_grad=True) for name, value in
               (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
    hidden = F.tanh(F.linear(Tensor(x), weights["W1"], weights["b1"]))
    loss = F.categorical_crossentropy(y, F.linear(hidden, weights["W2"], weights["b2"]), from_logits=True)
    loss.backward()
    return {name: tensor.grad for name, tensor in weights.items()}


def reference() -> SimpleNamespace:
    return SimpleNamespace(gradients=autodiff_gradients)


def check(solution: object) -> Report:
    report = Report(f"exercise 5: {TITLE}")
    forbid(report, {"the gradients by automatic differentiation": [Tensor.backward, autodiff_gradients]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    for case in range(1, 3):
        n, d, hidden, k = (int(value) for value in rng.integers(*((2, 5) if case == 1 else (5, 8)), 4))
        x, y = rng.normal(size=(n, d)), numpy.eye(k)[rng.integers(0, k, n)]
        arrays = (rng.normal(size=(d, hidden)), rng.normal(size=hidden), rng.normal(size=(hidden, k)),
                  rng.normal(size=k))
        before = [array.copy() for array in (x, y, *arrays)]
        got = attempt(report, f"case {case}: gradients runs", solution.gradients, x, y, *arrays)
        if got is None:
            continue
        unchanged(report, f"case {case}: gradients leaves x, y and the weights as they were", before,
                  [x, y, *arrays])
        if not isinstance(got, dict):
            report.add(f"case {case}: gradients returns a dict", False, f"it returned {type(got).__name__}")
            continue
        expected = autodiff_gradients(*before)
        for name in ("W2", "b2", "W1", "b1"):  # the order backpropagation finds them
            if name not in got:
                report.add(f"case {case}: dL/d{name}", False, f"the dict has no key {name!r}")
                continue
            same_values(report, f"case {case} ({n} samples, {d} inputs, {hidden} hidden, {k} classes): "
                        f"dL/d{name}", got[name], expected[name], rtol=1e-6, atol=1e-9)
    verdict_on_library_use(report)
    return report
