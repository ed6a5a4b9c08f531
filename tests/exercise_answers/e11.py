import numpy as np

from minidl import Function


class Conv1D(Function):
    def forward(self, x, W, b):  # noqa: N803
        self.x, self.W = x, W
        k = W.shape[0]
        steps = x.shape[1] - k + 1
        y = np.zeros((x.shape[0], steps, W.shape[2]), dtype=x.dtype)
        for j in range(k):
            y += x[:, j:j + steps, :] @ W[j]
        return y + b

    def backward(self, gy):
        x, W = self.x, self.W
        k, steps = W.shape[0], gy.shape[1]
        gx = np.zeros_like(x)
        gW = np.zeros_like(W)
        for j in range(k):
            gx[:, j:j + steps, :] += gy @ W[j].T
            gW[j] = np.einsum("ntc,ntf->cf", x[:, j:j + steps, :], gy)
        return gx, gW, gy.sum(axis=(0, 1))


class MaxPool1D(Function):
    def forward(self, x):
        n, length, channels = x.shape
        windows = x[:, : length // 2 * 2, :].reshape(n, length // 2, 2, channels)
        self.winner = windows.argmax(axis=2)
        self.x_shape = x.shape
        return windows.max(axis=2)

    def backward(self, gy):
        n, length, channels = self.x_shape
        gx = np.zeros((n, length // 2, 2, channels), dtype=gy.dtype)
        np.put_along_axis(gx, self.winner[:, :, None, :], gy[:, :, None, :], axis=2)
        full = np.zeros(self.x_shape, dtype=gy.dtype)
        full[:, : length // 2 * 2, :] = gx.reshape(n, length // 2 * 2, channels)
        return full
