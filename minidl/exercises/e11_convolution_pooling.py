"""Exercise 11: a 1-D convolution and max pooling, forward and backward, with loops.

Convolution (Keras's, a cross-correlation), channels last, "valid" padding, stride 1:
x (n, length, c_in), kernel W (k, c_in, c_out), bias b (c_out,):

    y[i, t, f] = b[f] + sum_{j < k} sum_c x[i, t + j, c] W[j, c, f]      t = 0 .. length - k

Each weight meets every position, and each input element every kernel tap
that covers it, so the backward sums:

    dL/dW[j, c, f] = sum_i sum_t gy[i, t, f] x[i, t + j, c]
    dL/db[f]       = sum_i sum_t gy[i, t, f]
    dL/dx[i, t + j, c] += sum_f gy[i, t, f] W[j, c, f]        (for every t and j)

Max pooling with windows of 2 and stride 2: y[i, t, c] = max(x[i, 2t, c],
x[i, 2t + 1, c]); the gradient of each window goes to its maximum only.

Write the Functions ``Conv1D`` (forward(x, W, b) -> y; backward(gy) ->
(dL/dx, dL/dW, dL/db)) and ``MaxPool1D`` (forward(x); backward(gy)). Loops
are fine: clarity first. The library's fast versions (im2col and a matrix
product; a gather of the argmax) are in ``minidl/functional/conv.py`` and
``minidl/functional/pool.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor
from minidl import functional as F
from minidl.exercises.checks import Report, attempt, checked_gradients, same_values

TITLE = "a 1-D convolution and max pooling"
NAMES = ("Conv1D", "MaxPool1D")


def reference() -> SimpleNamespace:
    class Conv1D:
        def __call__(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
            return F.conv1d(x, w, b)

    class MaxPool1D:
        def __call__(self, x: Tensor) -> Tensor:
            return F.max_pool1d(x, 2)

    return SimpleNamespace(Conv1D=Conv1D, MaxPool1D=MaxPool1D)


def check(solution: object) -> Report:
    report = Report(f"exercise 11: {TITLE}")
    rng = numpy.random.default_rng(11)
    x, w, b = rng.normal(size=(2, 7, 3)), rng.normal(size=(3, 3, 4)), rng.normal(size=4)
    got = attempt(report, "Conv1D forward runs", lambda: solution.Conv1D()(Tensor(x), Tensor(w), Tensor(b)))
    if got is not None:
        same_values(report, "Conv1D forward values (2, 7, 3) * (3, 3, 4) -> (2, 5, 4)", got,
                    F.conv1d(Tensor(x), Tensor(w), Tensor(b)))
        checked_gradients(report, "Conv1D backward: dL/dx, dL/dW, dL/db (gradcheck)",
                          lambda *tensors: solution.Conv1D()(*tensors), x, w, b)
    distinct = (rng.permutation(2 * 8 * 3).reshape(2, 8, 3) * 0.37)  # no ties within a window
    got = attempt(report, "MaxPool1D forward runs", lambda: solution.MaxPool1D()(Tensor(distinct)))
    if got is not None:
        same_values(report, "MaxPool1D forward values (2, 8, 3) -> (2, 4, 3)", got,
                    F.max_pool1d(Tensor(distinct), 2))
        checked_gradients(report, "MaxPool1D backward (gradcheck)", lambda t: solution.MaxPool1D()(t), distinct)
    return report
