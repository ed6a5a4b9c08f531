import numpy as np

from minidl import Function


class BatchNorm(Function):
    def __init__(self, epsilon=1e-3):
        self.epsilon = epsilon

    def forward(self, x, gamma, beta):
        axes = tuple(range(x.ndim - 1))
        mean = x.mean(axis=axes)
        self.inverse_std = 1 / np.sqrt(x.var(axis=axes) + self.epsilon)
        self.x_hat = (x - mean) * self.inverse_std
        self.gamma, self.axes = gamma, axes
        return gamma * self.x_hat + beta

    def backward(self, gy):
        axes, x_hat = self.axes, self.x_hat
        m = gy.size // gy.shape[-1]
        g_beta = gy.sum(axis=axes)
        g_gamma = (gy * x_hat).sum(axis=axes)
        g_x_hat = gy * self.gamma
        gx = self.inverse_std / m * (m * g_x_hat - g_x_hat.sum(axis=axes) - x_hat * (g_x_hat * x_hat).sum(axis=axes))
        return gx, g_gamma, g_beta
