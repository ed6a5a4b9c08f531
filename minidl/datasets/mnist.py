"""``keras.datasets.mnist.load_data()``, from files already on this machine (minidl never downloads).

Where it looks, in order:

1. Keras's cache: ``mnist.npz`` (or ``path``) in ``$KERAS_HOME/datasets/`` (default
   ``~/.keras/datasets/``), the file Keras downloads once; read with ``allow_pickle=False``.
   It holds Keras's split: 60,000 training and 10,000 test digits.
2. A folder of MNIST's IDX files: ``$MINIDL_MNIST_DIR``, then ``/work/shared/data/mnist``. With the
   four files the split is Keras's; with the test files (``t10k-*``) alone, the first 8,000 test
   digits stand in for the training set and the last 2,000 are the test set (minidl's only
   difference from Keras here: the digits are real, but fewer).

Neither found: one ``DatasetNotFoundError`` sentence naming the places looked at.
"""

from __future__ import annotations

import os

import numpy

from minidl.datasets import load_mnist

#: Folders of IDX files, looked at in order after Keras's cache (an unset variable is skipped).
IDX_FOLDERS = ("$MINIDL_MNIST_DIR", "/work/shared/data/mnist")
#: With the test split alone, its first TEST_ONLY_TRAIN digits stand in for the training set.
TEST_ONLY_TRAIN = 8000


class DatasetNotFoundError(FileNotFoundError):
    """A dataset that is on none of the places looked at (minidl never downloads)."""


def keras_cache_file(path: str) -> str:
    """Where Keras keeps ``path`` once downloaded: ``$KERAS_HOME/datasets/path`` or ``~/.keras/datasets/path``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets", path)


def idx_folders() -> list[str]:
    return [folder for folder in (os.path.expandvars(f) for f in IDX_FOLDERS) if folder and not folder.startswith("$")]


def load_data(path: str = "mnist.npz") -> tuple:
    """((x_train, y_train), (x_test, y_test)): uint8 images (n, 28, 28) and uint8 labels (n,), as Keras's."""
    cached = keras_cache_file(path)
    if os.path.isfile(cached):
        with numpy.load(cached, allow_pickle=False) as arrays:
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    for folder in idx_folders():
        if not os.path.isdir(folder):
            continue
        x_test, y_test = load_mnist(folder, "test")
        try:
            x_train, y_train = load_mnist(folder, "train")
        except FileNotFoundError:
            n = TEST_ONLY_TRAIN
            return (x_test[:n], y_test[:n]), (x_test[n:], y_test[n:])
        return (x_train, y_train), (x_test, y_test)
    places = [cached] + [os.path.join(folder, "t10k-images-idx3-ubyte[.gz]") for folder in idx_folders()]
    raise DatasetNotFoundError(f"mnist.load_data: no MNIST on this machine (looked for {', '.join(places)}); "
                               "minidl never downloads: put Keras's mnist.npz there or set MINIDL_MNIST_DIR "
                               "to a folder of the IDX files")
