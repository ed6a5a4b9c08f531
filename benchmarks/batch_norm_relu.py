"""BatchNormalization + ReLU in training, fused against apart: ``python -m benchmarks.batch_norm_relu``.

Forward and backward of ``functional.batch_norm_relu_with_statistics`` against ``batch_norm_with_statistics``
then ``relu``, alternated 15 times in one process on three float32 shapes; prints the median and quartiles of
the ratios fused / apart (below 1: the fused function is faster).
"""

import statistics
import time

import minidl  # noqa: F401 - before numpy: it sets up the BLAS threads
import numpy as np

from minidl import Tensor
from minidl import functional as F

SHAPES = [(64, 256, 64), (64, 32, 32, 32), (100, 256)]


def ratios(shape: tuple, pairs: int = 15) -> list:
    """Seconds fused / seconds apart for ``pairs`` alternated forward-and-backward steps on ``shape``."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=shape).astype(np.float32), requires_grad=True)
    gamma = Tensor(np.ones(shape[-1], np.float32), requires_grad=True)
    beta = Tensor(np.zeros(shape[-1], np.float32), requires_grad=True)
    gy = rng.normal(size=shape).astype(np.float32)

    def fused():
        x.grad = gamma.grad = beta.grad = None
        F.batch_norm_relu_with_statistics(x, gamma, beta)[0].backward(gy)

    def apart():
        x.grad = gamma.grad = beta.grad = None
        F.relu(F.batch_norm_with_statistics(x, gamma, beta)[0]).backward(gy)

    fused(), apart()  # warm-up: compiled kernels, buffers
    measured = []
    for _ in range(pairs):
        start = time.perf_counter()
        fused()
        middle = time.perf_counter()
        apart()
        measured.append((middle - start) / (time.perf_counter() - middle))
    return measured


if __name__ == "__main__":
    for shape in SHAPES:
        measured = ratios(shape)
        print(shape, "fused / apart: median", round(statistics.median(measured), 2), "quartiles",
              [round(q, 2) for q in statistics.quantiles(measured, n=4)])
