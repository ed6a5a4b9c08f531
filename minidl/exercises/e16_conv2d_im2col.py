"""Exercise 16: a 2-D convolution by im2col, and its backward by col2im.

For images x (n, h, w, c), kernels W (kh, kw, c, f) (Keras's layout) and a
bias b (f,), the "valid" convolution with stride 1 (a cross-correlation, as
in Keras) is

    y[i, r, s, f] = b[f] + sum_{p, q, c} x[i, r + p, s + q, c] W[p, q, c, f]

of shape (n, h - kh + 1, w - kw + 1, f). im2col copies every window into a
row of a matrix X_col (n * oh * ow, kh * kw * c), so that the convolution is
one matrix product, y = X_col W_col + b with W_col = W reshaped to
(kh * kw * c, f). Then, with gy reshaped to G (n * oh * ow, f):

    dL/dW = (X_col^T G) reshaped to (kh, kw, c, f)
    dL/db = sum of G over its rows
    dL/dX_col = G W_col^T, and col2im adds each row back into the window it came from:
    dL/dx[i, r + p, s + q, c] += dL/dX_col[(i, r, s), (p, q, c)]

(windows overlap: an input element gets a gradient from every window it lies in).
The library's version is ``Conv2D`` in ``minidl/functional/conv.py``.

Write the class ``Conv2D`` with ``forward(x, W, b)`` and ``backward(gy)`` returning (dL/dx, dL/dW, dL/db).
"""

from __future__ import annotations

from types import SimpleNamespace

from minidl import Tensor
from minidl import functional as F
from minidl.exercises.checks import Report, check_function, forbid, uses_minidl, verdict_on_library_use
from minidl.functional import conv, conv_pool

TITLE = "a 2-D convolution by im2col, and its backward by col2im"
NAMES = ("Conv2D",)


def reference() -> SimpleNamespace:
    class Conv2D:
        def __call__(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
            return F.conv2d(x, w, b)

    return SimpleNamespace(Conv2D=Conv2D)


def check(solution: object) -> Report:
    report = Report(f"exercise 16: {TITLE}")
    forbid(report, {"the convolution": [conv.Conv2D, conv.im2col, conv.col2im, conv.conv2d, conv.conv1d,
                                        conv.kernel_gradient, conv_pool.conv2d_relu_max_pool2d]})
    uses_minidl(report, solution, NAMES)
    library, rng = reference(), report.rng
    for case in range(2):
        low, high = (1, 3) if case == 0 else (3, 5)
        n, c, f = (int(value) for value in rng.integers(low, high, 3))
        kh = int(rng.integers(1, 3) if case == 0 else rng.integers(2, 4))
        kw = int(rng.integers(1, 4)) if case == 0 else kh + 1  # case 1's kernel is never square
        h, w = kh + int(rng.integers(0, 3)), kw + int(rng.integers(1, 4))  # never square: rows and columns differ
        x, weights, b = rng.normal(size=(n, h, w, c)), rng.normal(size=(kh, kw, c, f)), rng.normal(size=f)
        check_function(report, f"Conv2D of {(n, h, w, c)} with a {kh} x {kw} kernel", solution.Conv2D,
                       library.Conv2D, [x, weights, b])
    verdict_on_library_use(report)
    return report
