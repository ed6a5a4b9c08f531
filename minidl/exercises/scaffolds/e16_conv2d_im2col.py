"""Exercise 16: a 2-D convolution by im2col, its backward by col2im. Then run:

    python -m minidl.exercises check 16 this_file.py

    y[i, r, s, f] = b[f] + sum_{p, q, c} x[i, r + p, s + q, c] W[p, q, c, f]     ("valid", stride 1)
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class Conv2D(Function):
    def forward(self, x, W, b):  # noqa: N803
        raise NotImplementedError("im2col: (n * oh * ow, kh * kw * c) rows of windows; then X_col @ W_col + b")

    def backward(self, gy):
        raise NotImplementedError("return (dL/dx by col2im, dL/dW = X_col^T G reshaped, dL/db = G summed)")
