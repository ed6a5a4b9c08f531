import numpy as np

from minidl import Function


class L2Penalty(Function):
    def __init__(self, l2):
        self.l2 = l2

    def forward(self, w):
        self.w = w
        return np.asarray(self.l2 * np.sum(w * w), dtype=w.dtype)

    def backward(self, gy):
        return (gy * 2 * self.l2 * self.w).astype(self.w.dtype)


class L1Penalty(Function):
    def __init__(self, l1):
        self.l1 = l1

    def forward(self, w):
        self.w = w
        return np.asarray(self.l1 * np.sum(np.abs(w)), dtype=w.dtype)

    def backward(self, gy):
        return (gy * self.l1 * np.sign(self.w)).astype(self.w.dtype)


class Dropout(Function):
    def __init__(self, rate, generator):
        self.rate, self.generator = rate, generator

    def forward(self, x):
        keep = self.generator.random(x.shape) >= self.rate
        self.mask = (keep / (1 - self.rate)).astype(x.dtype)
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask
