"""The benchmark workloads: data, architectures and the timing protocol, shared by every framework."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy

SIZES = {
    # name: (mlp samples, cnn samples, cnn height, cnn width, predict samples)
    "full": {"mlp_samples": 60_000, "cnn_samples": 10_000, "cnn_shape": (40, 128, 1), "predict_samples": 10_000,
             "perez_samples": 14_000, "perez_shape": (195, 64), "perez_small_samples": 15_000,
             "perez_small_shape": (108, 6)},
    "quick": {"mlp_samples": 2_000, "cnn_samples": 256, "cnn_shape": (16, 32, 1), "predict_samples": 1_000,
              "perez_samples": 500, "perez_shape": (40, 16), "perez_small_samples": 500, "perez_small_shape": (20, 6)},
}
#: the genomics presets (``genomics.learning.networks``) on the images ``genomics train`` makes of the demo's design
#: (3 populations of 20 haplotypes): its default encoding, 128 SNPs x 60 haplotypes x 2 channels (alleles and
#: distances), and the demo's joint frequency spectrum, 21 x 21 x 21; 10,000 replicates, batch 32, 3 scenarios
PRESETS = {"preset_cnn1d": ("cnn1d", (60, 128, 2)), "preset_cnn2d": ("cnn2d", (60, 128, 2)),
           "preset_spectrum": ("cnn2d", (21, 21, 21))}
PRESET = {"batch_size": 32, "classes": 3}
for _name, (_, _shape) in PRESETS.items():
    SIZES["full"][f"{_name}_samples"], SIZES["full"][f"{_name}_shape"] = 10_000, _shape
    SIZES["quick"][f"{_name}_samples"], SIZES["quick"][f"{_name}_shape"] = 256, _shape
MLP = {"batch_size": 100, "classes": 10, "features": 784}
CNN = {"batch_size": 64, "classes": 3}
#: Perez et al. 2022's Conv1D network (SNPs along the sequence, haplotypes as channels), batch 250, 7 models
PEREZ = {"batch_size": 250, "classes": 7}
#: Networks users build beyond the project's own: convolution + BatchNormalization + ReLU stacks, a residual block,
#: a Conv1D network with batch norm, pg-gan's permutation-invariant discriminator (Wang et al. 2021: Conv2D (1, 5)
#: over each haplotype, a mean over the haplotypes) and an MLP with batch norm. name: input shape per sample, batch
#: size, classes, samples (full, quick), data kind.
FAMILY = {
    "cifar_bn": {"shape": (32, 32, 3), "batch_size": 64, "classes": 10, "samples": (5_000, 256), "data": "normal"},
    "resnet_block": {"shape": (32, 32, 3), "batch_size": 64, "classes": 10, "samples": (5_000, 256),
                     "data": "normal"},
    "conv1d_bn": {"shape": (256, 16), "batch_size": 64, "classes": 5, "samples": (10_000, 256), "data": "normal"},
    "pggan": {"shape": (198, 36, 2), "batch_size": 50, "classes": 2, "samples": (5_000, 200), "data": "alleles"},
    "mlp_bn": {"shape": (784,), "batch_size": 100, "classes": 10, "samples": (30_000, 1_000), "data": "uniform"},
}
for _name, _spec in FAMILY.items():
    SIZES["full"][f"{_name}_samples"], SIZES["quick"][f"{_name}_samples"] = _spec["samples"]
    SIZES["full"][f"{_name}_shape"] = SIZES["quick"][f"{_name}_shape"] = _spec["shape"]
TRAINING_TASKS = ("mlp", "cnn", "perez", "perez_small", *PRESETS, *FAMILY)


def family_data(task: str, size: dict, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """A family workload's inputs (float32) and labels: standard normal images or sequences, -1/+1 alleles for
    pg-gan's haplotype images, uniform [0, 1) features for the MLP."""
    spec, generator = FAMILY[task], numpy.random.default_rng(seed)
    shape = (size[f"{task}_samples"], *spec["shape"])
    if spec["data"] == "alleles":
        x = numpy.where(generator.random(shape) < 0.3, 1.0, -1.0).astype(numpy.float32)
    elif spec["data"] == "uniform":
        x = generator.random(shape, dtype=numpy.float32)
    else:
        x = generator.standard_normal(shape, dtype=numpy.float32)
    return x, generator.integers(0, spec["classes"], shape[0])


def family_forward_flops(task: str) -> int:
    """Multiply-adds x 2 of one forward pass of a family workload, convolutions and dense layers only (the layer
    lists are in ``benchmarks.frameworks``' builders)."""
    if task in ("cifar_bn", "resnet_block"):
        first = _conv(32 * 32, 9, 3, 32)
        if task == "resnet_block":
            return first + 2 * _conv(32 * 32, 9, 32, 32) + 2 * 32 * 10
        return first + _conv(32 * 32, 9, 32, 32) + _conv(16 * 16, 9, 32, 64) + _conv(16 * 16, 9, 64, 64) + 2 * 64 * 10
    if task == "conv1d_bn":
        return _conv(256, 5, 16, 64) + _conv(128, 5, 64, 64) + _conv(64, 5, 64, 64) + 2 * 64 * 5
    if task == "pggan":
        w1 = 36 - 4
        w2 = w1 // 2 - 4
        return 198 * (_conv(w1, 5, 2, 32) + _conv(w2, 5, 32, 64)) + 2 * ((w2 // 2) * 64 * 128 + 128 * 128 + 128 * 2)
    return 2 * (784 * 256 + 256 * 256 + 256 * 10)


def perez_data(samples: int, shape: tuple, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Genotype-matrix-shaped data: binary (samples, snps, haplotypes) float32, labels 0-6."""
    generator = numpy.random.default_rng(seed)
    x = (generator.random((samples, *shape)) < 0.3).astype(numpy.float32)
    return x, generator.integers(0, PEREZ["classes"], samples)


def _conv(positions: int, kernel: int, channels_in: int, channels_out: int) -> int:
    """Multiply-adds x 2 of a convolution: every kernel weight once per output position."""
    return 2 * positions * kernel * channels_in * channels_out


def _two_conv2d_forward(shape: tuple, filters: tuple[int, int], dense: int, classes: int) -> int:
    """Multiply-adds x 2 of Conv2D(f1, 3 x 3), max pooling 2, Conv2D(f2, 3 x 3), max pooling 2, Dense(dense),
    Dense(classes) on images of ``shape`` (height, width, channels): the benchmark's CNN and the cnn2d preset."""
    height, width, channels = shape
    h1, w1 = height - 2, width - 2
    h2, w2 = h1 // 2 - 2, w1 // 2 - 2
    first, second = filters
    return (_conv(h1 * w1, 9, channels, first) + _conv(h2 * w2, 9, first, second)
            + 2 * ((h2 // 2) * (w2 // 2) * second * dense + dense * classes))


def training_flops(task: str, size: dict) -> float:
    """Floating-point operations of one training epoch: 3 x the forward pass's multiply-adds x 2 (the backward
    computes two products per forward product), counting convolutions and dense layers only."""
    if task in FAMILY:
        return 3.0 * family_forward_flops(task) * size[f"{task}_samples"]
    if task in PRESETS:
        return 3.0 * preset_forward_flops(PRESETS[task][0], size[f"{task}_shape"]) * size[f"{task}_samples"]
    if task == "mlp":
        forward, samples = 2 * (784 * 100 + 100 * 10), size["mlp_samples"]
    elif task == "cnn":
        forward, samples = _two_conv2d_forward(size["cnn_shape"], (32, 64), 64, CNN["classes"]), size["cnn_samples"]
    else:
        snps, haplotypes = size[f"{task}_shape"]
        l1, l2 = snps - 1, snps - 2
        l3 = l2 // 2 - 1
        forward = _conv(l1, 2, haplotypes, 250) + _conv(l2, 2, 250, 125) + _conv(l3, 2, 125, 125) \
            + 2 * ((l3 // 2) * 125 * 125 + 125 * 125 + 125 * 7)
        samples = size[f"{task}_samples"]
    return 3.0 * forward * samples


def preset_forward_flops(kind: str, image_shape: tuple) -> int:
    """Multiply-adds x 2 of one forward pass of a genomics preset (``genomics.learning.networks._layers``: cnn1d's two
    Conv1D 64 of width 5 with average pooling, cnn2d's Conv2D 16 and 32 of 3 x 3 with max pooling, then
    Dense 64 and the logits)."""
    if kind != "cnn1d":
        return _two_conv2d_forward(image_shape, (16, 32), 64, PRESET["classes"])
    rows, columns, channels = image_shape  # the haplotypes are channels of a sequence along the SNPs
    l1 = columns - 4
    l2 = l1 // 2 - 4
    return (_conv(l1, 5, rows * channels, 64) + _conv(l2, 5, 64, 64)
            + 2 * ((l2 // 2) * 64 * 64 + 64 * PRESET["classes"]))


def preset_data(task: str, size: dict, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """A preset's images, labels 0-2: -1/+1 alleles for haplotype images, Poisson counts for a spectrum."""
    generator = numpy.random.default_rng(seed)
    samples, shape = size[f"{task}_samples"], size[f"{task}_shape"]
    if task == "preset_spectrum":
        x = generator.poisson(0.3, (samples, *shape)).astype(numpy.float32)
    else:
        x = numpy.where(generator.random((samples, *shape)) < 0.3, 1.0, -1.0).astype(numpy.float32)
    return x, generator.integers(0, PRESET["classes"], samples)


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
