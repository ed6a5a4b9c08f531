import numpy as np

from minidl import Function


class LeakyReLU(Function):
    def __init__(self, alpha=0.3):
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, self.alpha * x).astype(x.dtype)

    def backward(self, gy):
        return gy * np.where(self.positive, 1.0, self.alpha).astype(gy.dtype)


class ELU(Function):
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        self.exp = np.exp(np.minimum(x, 0))
        return np.where(self.positive, x, self.alpha * (self.exp - 1)).astype(x.dtype)

    def backward(self, gy):
        return gy * np.where(self.positive, 1.0, self.alpha * self.exp).astype(gy.dtype)


class Maxout(Function):
    def __init__(self, pieces):
        self.pieces = pieces

    def forward(self, x):
        groups = x.reshape(x.shape[:-1] + (x.shape[-1] // self.pieces, self.pieces))
        self.winner = groups.argmax(axis=-1)
        self.shape = groups.shape
        return groups.max(axis=-1)

    def backward(self, gy):
        gx = np.zeros(self.shape, dtype=gy.dtype)
        np.put_along_axis(gx, self.winner[..., None], gy[..., None], axis=-1)
        return gx.reshape(self.shape[:-2] + (-1,))
