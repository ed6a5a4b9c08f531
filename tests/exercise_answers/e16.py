import numpy as np

from minidl import Function


class Conv2D(Function):
    def forward(self, x, W, b):  # noqa: N803
        n, h, w, c = x.shape
        kh, kw, _, f = W.shape
        oh, ow = h - kh + 1, w - kw + 1
        cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
        for p in range(kh):
            for q in range(kw):
                cols[:, :, :, p, q, :] = x[:, p:p + oh, q:q + ow, :]
        self.cols = cols.reshape(n * oh * ow, kh * kw * c)
        self.W, self.x_shape = W, x.shape
        return (self.cols @ W.reshape(-1, f)).reshape(n, oh, ow, f) + b

    def backward(self, gy):
        n, h, w, c = self.x_shape
        kh, kw, _, f = self.W.shape
        oh, ow = gy.shape[1], gy.shape[2]
        g = gy.reshape(-1, f)
        g_w = (self.cols.T @ g).reshape(self.W.shape)
        g_cols = (g @ self.W.reshape(-1, f).T).reshape(n, oh, ow, kh, kw, c)
        g_x = np.zeros(self.x_shape, dtype=gy.dtype)
        for p in range(kh):
            for q in range(kw):
                g_x[:, p:p + oh, q:q + ow, :] += g_cols[:, :, :, p, q, :]
        return g_x, g_w, g.sum(axis=0)
