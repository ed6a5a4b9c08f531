"""Exercise 3: leaky ReLU, ELU and maxout. Then run:

    python -m minidl.exercises check 3 this_file.py
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class LeakyReLU(Function):
    """y = x if x > 0 else alpha x."""

    def __init__(self, alpha=0.3):
        self.alpha = alpha

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class ELU(Function):
    """y = x if x > 0 else alpha (e^x - 1)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class Maxout(Function):
    """(batch, units * pieces) -> (batch, units): the largest of each group of ``pieces`` consecutive entries."""

    def __init__(self, pieces):
        self.pieces = pieces

    def forward(self, x):
        raise NotImplementedError("reshape to (..., units, pieces), remember the argmax, return the max")

    def backward(self, gy):
        raise NotImplementedError("gy goes to the winning entry of each group, 0 elsewhere")
