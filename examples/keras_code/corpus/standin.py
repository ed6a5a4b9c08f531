"""Local stand-in data for the corpus programs, so that none of them downloads anything.

Each function returns arrays of the same shapes, dtypes and value ranges as the
dataset it stands in for (``keras.datasets.mnist.load_data()``, ``cifar10``, the
UCR FordA time series, the NAB CPU series, the Kaggle credit-card table, msprime
genotype matrices), drawn from a fixed seed so that the Keras run and the minidl
run of one program train on identical numbers. The classes are made learnable
(class prototypes plus noise) so that a final accuracy means something.

``QUICK`` is true when the corpus runner asks for its quick mode
(``KERAS_CORPUS_QUICK=1``); ``pick(full, quick)`` is how a program chooses its
sample counts and epochs. numpy only: nothing here imports Keras or minidl.
"""

from __future__ import annotations

import os

import numpy as np

QUICK = os.environ.get("KERAS_CORPUS_QUICK", "0") == "1"


def pick(full, quick):
    """``quick`` in the runner's quick mode, ``full`` otherwise."""
    return quick if QUICK else full


def _prototype_images(classes: int, height: int, width: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """(classes, height, width, channels) smooth random blobs in [0, 1], one per class."""
    coarse = rng.uniform(0.0, 1.0, size=(classes, 7, 7, channels))
    fine = coarse.repeat(-(-height // 7), axis=1).repeat(-(-width // 7), axis=2)[:, :height, :width]
    return (fine > 0.55).astype(np.float64)


def _images(samples: int, shape: tuple, classes: int, seed: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prototypes = _prototype_images(classes, *shape, np.random.default_rng(1234))
    labels = rng.integers(0, classes, size=samples)
    pixels = prototypes[labels] * rng.uniform(0.6, 1.0, size=(samples, 1, 1, 1)) + rng.normal(0.0, noise, size=(samples, *shape))
    return (np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8), labels.astype(np.uint8)


def mnist_load_data(train: int | None = None, test: int | None = None):
    """Stands in for ``keras.datasets.mnist.load_data()``: ((x_train, y_train), (x_test, y_test)), uint8 (n, 28, 28)."""
    train = train or pick(6000, 1200)
    test = test or pick(1000, 300)
    x_train, y_train = _images(train, (28, 28, 1), 10, seed=1, noise=1.0)
    x_test, y_test = _images(test, (28, 28, 1), 10, seed=2, noise=1.0)
    return (x_train[..., 0], y_train), (x_test[..., 0], y_test)


def cifar10_load_data(train: int | None = None, test: int | None = None):
    """Stands in for ``keras.datasets.cifar10.load_data()``: uint8 (n, 32, 32, 3) images, uint8 (n, 1) labels."""
    train = train or pick(2000, 500)
    test = test or pick(500, 200)
    x_train, y_train = _images(train, (32, 32, 3), 10, seed=3, noise=0.45)
    x_test, y_test = _images(test, (32, 32, 3), 10, seed=4, noise=0.45)
    return (x_train, y_train[:, None]), (x_test, y_test[:, None])


def forda(samples: int, length: int = 500, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Stands in for the UCR FordA files: (x (samples, length) float, y in {-1, 1}); class 1 carries a faster wave."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=samples)
    t = np.linspace(0.0, 1.0, length)
    frequency = np.where(y == 1, 9.0, 5.0)[:, None] * rng.uniform(0.85, 1.15, size=(samples, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(samples, 1))
    x = np.sin(2 * np.pi * frequency * t + phase) + rng.normal(0.0, 0.6, size=(samples, length))
    return x, y


def nab_cpu_series(points: int, anomaly: bool, seed: int = 6) -> np.ndarray:
    """Stands in for NAB's art_daily_small_noise / art_daily_jumpsup CSVs: one value every 5 minutes, daily period."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    values = 40.0 + 20.0 * (np.sin(2 * np.pi * t / 288) > 0) + rng.normal(0.0, 2.0, size=points)
    if anomaly:
        values[points // 2 : points // 2 + 20] += 60.0
    return values


def creditcard(samples: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Stands in for Kaggle's creditcard.csv: (features (samples, 30) float, labels (samples,) with ~2% frauds)."""
    rng = np.random.default_rng(seed)
    labels = (rng.uniform(size=samples) < 0.02).astype(np.int64)
    features = rng.normal(size=(samples, 30))
    features[:, 1:6] += labels[:, None] * rng.normal(2.5, 0.5, size=(1, 5))
    features[:, 29] = np.abs(features[:, 29]) * 100.0  # "Amount"
    return features, labels


def higgs(samples: int, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Stands in for the UCI HIGGS table: (features (samples, 28) float32, labels (samples,) float32, ~half 1).

    The label is a noisy threshold of a non-linear function of a few features, so that small
    networks learn part of it and large ones can overfit a small training set, as on HIGGS.
    """
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(samples, 28)).astype(np.float32)
    signal = features[:, 0] * features[:, 1] + np.sin(2 * features[:, 2]) + 0.5 * features[:, 3] ** 2 - 0.5
    labels = (signal + rng.normal(0.0, 1.0, size=samples) > 0).astype(np.float32)
    return features, labels


def genotype_matrices(samples: int, snps: int, haplotypes: int, classes: int, seed: int = 8):
    """Stands in for msprime/ms genotype matrices: (x (samples, snps, haplotypes) in {0, 1}, y (samples,)).

    Class k draws derived-allele frequencies from a Beta(1, 1 + 2k) spectrum: a skew
    of the site frequency spectrum, which is what the published networks learn from.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=samples)
    frequencies = rng.beta(1.0, 1.0 + 2.0 * y[:, None], size=(samples, snps))
    x = (rng.uniform(size=(samples, snps, haplotypes)) < frequencies[:, :, None]).astype(np.float32)
    return x, y


def write_creditcard_csv(path: str, samples: int, seed: int = 7) -> str:
    """Writes a creditcard.csv stand-in (header, quoted fields, last column the "Class" label) and returns its path."""
    features, labels = creditcard(samples, seed)
    names = ["Time"] + [f"V{k}" for k in range(1, 29)] + ["Amount", "Class"]
    with open(path, "w") as handle:
        handle.write(",".join(f'"{name}"' for name in names) + "\n")
        for row, label in zip(features, labels):
            handle.write(",".join(f"{value:.6f}" for value in row) + f',"{label}"\n')
    return path


def pet_images(samples: int, image_size: tuple, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Stands in for the Kaggle Cats vs Dogs folders as ``image_dataset_from_directory`` yields them:
    float32 (samples, height, width, 3) pixels in [0, 255] and labels 0 (cat) or 1 (dog)."""
    images, labels = _images(samples, tuple(image_size) + (3,), 2, seed=seed, noise=0.45)
    return images.astype(np.float32), labels.astype(np.int32)
