"""Exercise 10: penalties and dropout. Then run:

    python -m minidl.exercises check 10 this_file.py
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class L2Penalty(Function):
    """P = l2 sum(w^2)."""

    def __init__(self, l2):
        self.l2 = l2

    def forward(self, w):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class L1Penalty(Function):
    """P = l1 sum(|w|)."""

    def __init__(self, l1):
        self.l1 = l1

    def forward(self, w):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


class Dropout(Function):
    """y = x * mask, mask = (u >= rate) / (1 - rate) with u = generator.random(x.shape)."""

    def __init__(self, rate, generator):
        self.rate, self.generator = rate, generator

    def forward(self, x):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError
