"""Exercise 4: the four losses, as Functions of the predictions p with targets y fixed. Then run:

    python -m minidl.exercises check 4 this_file.py

forward(p) returns a scalar (a 0-d array); backward(gy) returns gy * dL/dp, shaped like p.
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class MeanSquaredError(Function):
    """L = mean((p - y)^2) over every element."""

    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class MeanAbsoluteError(Function):
    """L = mean(|p - y|)."""

    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class BinaryCrossentropy(Function):
    """L = -mean(y log p + (1 - y) log(1 - p))."""

    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class CategoricalCrossentropy(Function):
    """L = -mean over samples of sum_k y_k log p_k (y one-hot, rows of p sum to 1)."""

    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError
