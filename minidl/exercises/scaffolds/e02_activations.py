"""Exercise 2: sigmoid, tanh and ReLU. Write each forward and backward, then run:

    python -m minidl.exercises check 2 this_file.py

backward(gy) gets dL/dy and returns dL/dx = gy * dy/dx.
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y)."""

    def forward(self, x):
        raise NotImplementedError("compute y, keep it in self for backward, return it")

    def backward(self, gy):
        raise NotImplementedError("return gy * y * (1 - y)")


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y^2."""

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0."""

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError
