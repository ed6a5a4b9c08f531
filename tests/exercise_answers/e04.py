import numpy as np

from minidl import Function


class MeanSquaredError(Function):
    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        self.difference = p - self.y
        return np.mean(self.difference ** 2).astype(p.dtype)

    def backward(self, gy):
        return (gy * 2 * self.difference / self.difference.size).astype(self.difference.dtype)


class MeanAbsoluteError(Function):
    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        self.difference = p - self.y
        return np.mean(np.abs(self.difference)).astype(p.dtype)

    def backward(self, gy):
        return (gy * np.sign(self.difference) / self.difference.size).astype(self.difference.dtype)


class BinaryCrossentropy(Function):
    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        self.p = p
        y = self.y
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))).astype(p.dtype)

    def backward(self, gy):
        p, y = self.p, self.y
        return (gy * (p - y) / (p * (1 - p)) / p.size).astype(p.dtype)


class CategoricalCrossentropy(Function):
    def __init__(self, y):
        self.y = np.asarray(y)

    def forward(self, p):
        self.p = p
        return np.mean(-np.sum(self.y * np.log(p), axis=-1)).astype(p.dtype)

    def backward(self, gy):
        rows = self.p.size // self.p.shape[-1]
        return (-gy * self.y / self.p / rows).astype(self.p.dtype)
