"""Exercise 17: 2 x 2 max pooling, forward and backward.

For x (n, h, w, c), pooling with 2 x 2 windows and stride 2 ("valid", as
Keras's MaxPooling2D(2)) keeps the largest element of each window:

    y[i, r, s, c] = max over p, q in {0, 1} of x[i, 2r + p, 2s + q, c]

of shape (n, h // 2, w // 2, c): an odd last row or column belongs to no
window and is left out. The maximum passes its gradient to the element that
won and to no other (the derivative of max is 1 for the winner, 0 elsewhere):

    dL/dx[i, 2r + p, 2s + q, c] = gy[i, r, s, c] if (p, q) won the window, else 0

and the elements left out get 0. The library's version is ``MaxPool2D`` in
``minidl/functional/pool.py``.

Write the class ``MaxPool2D`` with ``forward(x)`` and ``backward(gy)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Tensor
from minidl import functional as F
from minidl.exercises.checks import Report, check_function, forbid, uses_minidl, verdict_on_library_use
from minidl.functional import conv_pool, pool

TITLE = "2 x 2 max pooling and its backward"
NAMES = ("MaxPool2D",)


def reference() -> SimpleNamespace:
    class MaxPool2D:
        def __call__(self, x: Tensor) -> Tensor:
            return F.max_pool2d(x, 2)

    return SimpleNamespace(MaxPool2D=MaxPool2D)


def check(solution: object) -> Report:
    report = Report(f"exercise 17: {TITLE}")
    forbid(report, {"max pooling": [pool.MaxPool2D, pool.max_pool2d_forward, pool.max_pool2d_backward,
                                    pool.max_pool2d, pool.max_pool1d, conv_pool.conv2d_relu_max_pool2d]})
    uses_minidl(report, solution, NAMES)
    library, rng = reference(), report.rng
    for case in range(2):
        h, w = (int(rng.choice([2, 4])), int(rng.choice([4, 6]))) if case == 0 else \
            (int(rng.choice([3, 5, 7])), int(rng.choice([5, 7])))  # odd sizes: the last row and column are left out
        shape = (int(rng.integers(1, 3) if case == 0 else rng.integers(3, 5)), h, w, int(rng.integers(1, 4)))
        distinct = rng.permutation(int(numpy.prod(shape))).reshape(shape) * 0.37  # no ties within a window
        check_function(report, f"MaxPool2D on {shape}", solution.MaxPool2D, library.MaxPool2D,
                       [distinct.astype(float)])
    verdict_on_library_use(report)
    return report
