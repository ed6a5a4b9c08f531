import numpy as np

from minidl import Function


class MaxPool2D(Function):
    def forward(self, x):
        n, h, w, c = x.shape
        oh, ow = h // 2, w // 2
        windows = x[:, : 2 * oh, : 2 * ow, :].reshape(n, oh, 2, ow, 2, c).transpose(0, 1, 3, 5, 2, 4)
        windows = windows.reshape(n, oh, ow, c, 4)
        self.winner = windows.argmax(axis=-1)
        self.x_shape = x.shape
        return windows.max(axis=-1)

    def backward(self, gy):
        n, h, w, c = self.x_shape
        oh, ow = h // 2, w // 2
        g = np.zeros((n, oh, ow, c, 4), dtype=gy.dtype)
        np.put_along_axis(g, self.winner[..., None], gy[..., None], axis=-1)
        g = g.reshape(n, oh, ow, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, 2 * oh, 2 * ow, c)
        full = np.zeros(self.x_shape, dtype=gy.dtype)
        full[:, : 2 * oh, : 2 * ow, :] = g
        return full
