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

from minidl.exercises.checks import Report, check_function, forbid, uses_minidl, verdict_on_library_use
from minidl.functional.linear import Linear as LibraryLinear
from minidl.functional.linear import linear

TITLE = "a dense layer: y = x W + b and its three gradients"
NAMES = ("Linear",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(Linear=LibraryLinear)


def check(solution: object) -> Report:
    report = Report(f"exercise 6: {TITLE}")
    forbid(report, {"the dense product": [LibraryLinear, linear]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    for case in range(2):
        n, d, units = (int(value) for value in rng.integers(*((1, 4) if case == 0 else (4, 8)), 3))
        x, w, b = rng.normal(size=(n, d)), rng.normal(size=(d, units)), rng.normal(size=units)
        check_function(report, "Linear", solution.Linear, LibraryLinear, [x, w, b])
    verdict_on_library_use(report)
    return report
