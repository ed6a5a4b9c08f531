"""Exercise 6: a dense (fully connected) layer's Function.

For a batch x (n, in), weights W (in, out) (Keras's layout) and bias b (out,):

    y = x W + b

Every output y_ij = sum_k x_ik W_kj + b_j, so with gy = dL/dy (n, out):

    dL/dx = gy W^T          (n, in)
    dL/dW = x^T gy          (in, out)
    dL/db = sum over the batch of gy      (out,)

(the bias is added to every row, so its gradient sums over the rows).
backward returns the three, in the order forward took its inputs. The
library's version is ``minidl/functional/linear.py``.

Write the class ``Linear`` with ``forward(x, W, b)`` and ``backward(gy)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor
from minidl.exercises.checks import Report, attempt, checked_gradients, same_values
from minidl.functional.linear import Linear as LibraryLinear

TITLE = "a dense layer: y = x W + b and its three gradients"
NAMES = ("Linear",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(Linear=LibraryLinear)


def check(solution: object) -> Report:
    report = Report(f"exercise 6: {TITLE}")
    rng = numpy.random.default_rng(6)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    got = attempt(report, "Linear forward runs", lambda: solution.Linear()(Tensor(x), Tensor(w), Tensor(b)))
    if got is not None:
        same_values(report, "Linear forward values", got, x @ w + b)
        checked_gradients(report, "Linear backward: dL/dx, dL/dW, dL/db (gradcheck)",
                          lambda *tensors: solution.Linear()(*tensors), x, w, b)
    return report
