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
from minidl.exercises.checks import Report, check_function, forbid, uses_minidl, verdict_on_library_use
from minidl.functional import conv, pool

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
    forbid(report, {"the convolution": [conv.Conv2D, conv.im2col, conv.col2im, conv.conv1d, conv.conv2d,
                                        conv.kernel_gradient],
                    "max pooling": [pool.MaxPool2D, pool.max_pool2d_forward, pool.max_pool2d_backward, pool.max_pool1d,
                                    pool.max_pool2d]})
    uses_minidl(report, solution, NAMES)
    library = reference()
    rng = report.rng
    for case in range(2):
        n, channels_in, channels_out = (int(value) for value in rng.integers(*((1, 3) if case == 0 else (3, 5)), 3))
        k = int(rng.integers(1, 3) if case == 0 else rng.integers(3, 5))
        length = k + int(rng.integers(1, 6))
        x, w, b = rng.normal(size=(n, length, channels_in)), rng.normal(size=(k, channels_in, channels_out)), \
            rng.normal(size=channels_out)
        check_function(report, f"Conv1D with a kernel of {k}", solution.Conv1D, library.Conv1D, [x, w, b])
        length = int(rng.choice([2, 4, 6, 8] if case == 0 else [3, 5, 7, 9]))  # odd: the last step is left out
        shape = (int(rng.integers(1, 3) if case == 0 else rng.integers(3, 5)), length, int(rng.integers(1, 4)))
        distinct = rng.permutation(int(numpy.prod(shape))).reshape(shape) * 0.37  # no ties within a window
        check_function(report, "MaxPool1D", solution.MaxPool1D, library.MaxPool1D, [distinct.astype(float)])
    verdict_on_library_use(report)
    return report
