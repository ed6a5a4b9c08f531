"""The benchmark workloads: data, architectures and the timing protocol, shared by every framework."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy

SIZES = {
    # name: (mlp samples, cnn samples, cnn height, cnn width, predict samples)
    "full": {"mlp_samples": 60_000, "cnn_samples": 10_000, "cnn_shape": (40, 128, 1), "predict_samples": 10_000},
    "quick": {"mlp_samples": 2_000, "cnn_samples": 256, "cnn_shape": (16, 32, 1), "predict_samples": 1_000},
}
MLP = {"batch_size": 100, "classes": 10, "features": 784}
CNN = {"batch_size": 64, "classes": 3}


def mlp_data(samples: int, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """MNIST-shaped data: (samples, 784) float32 in [0, 1), labels 0-9."""
    generator = numpy.random.default_rng(seed)
    x = generator.random((samples, MLP["features"]), dtype=numpy.float32)
    return x, generator.integers(0, MLP["classes"], samples)


def cnn_data(samples: int, shape: tuple, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """SNP-image-shaped data: binary (samples, height, width, 1) float32, labels 0-2."""
    generator = numpy.random.default_rng(seed)
    x = (generator.random((samples, *shape)) < 0.3).astype(numpy.float32)
    return x, generator.integers(0, CNN["classes"], samples)


def median_seconds(run: Callable[[], object], repeats: int = 3, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall-clock seconds of ``run`` over ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def matmul_ceiling(repeats: int = 5) -> dict:
    """numpy's float32 matrix-product rate at n = 1024 and 2048 (the ceiling dense layers are held to)."""
    result = {}
    for n in (1024, 2048):
        generator = numpy.random.default_rng(n)
        a, b = generator.random((n, n), dtype=numpy.float32), generator.random((n, n), dtype=numpy.float32)
        seconds, _ = median_seconds(lambda: a @ b, repeats)
        result[str(n)] = 2 * n**3 / seconds / 1e9
    result["best"] = max(result.values())
    return result
