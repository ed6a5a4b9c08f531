"""Exercise 11: Conv1D and MaxPool1D with loops. Then run:

    python -m minidl.exercises check 11 this_file.py

    y[i, t, f] = b[f] + sum_j sum_c x[i, t + j, c] W[j, c, f]
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class Conv1D(Function):
    def forward(self, x, W, b):  # noqa: N803
        raise NotImplementedError("x (n, length, c_in), W (k, c_in, c_out), b (c_out,) -> (n, length - k + 1, c_out)")

    def backward(self, gy):
        raise NotImplementedError("return (dL/dx, dL/dW, dL/db)")


class MaxPool1D(Function):
    """Windows of 2, stride 2, along axis 1."""

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError
