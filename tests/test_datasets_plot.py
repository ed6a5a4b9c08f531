"""The IDX reader (on files the test writes, and on the real MNIST split when present) and PNG plots."""

import gzip
import os
import struct

import numpy as np
import pytest

from minidl import datasets, metrics
from minidl.teaching import plot
from minidl.callbacks import History
from tests.conftest import MNIST_DIR


def write_idx(path, array, compress=False):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as handle:
        handle.write(data)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_idx_files_gzipped_or_not(tmp_path, compress):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    labels = np.array([7, 3])
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, compress)
    x, y = datasets.load_mnist(str(tmp_path), split="train")
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_corrupt_idx_files_are_named_in_the_error(tmp_path):
    bad = tmp_path / "t10k-images-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3I", 5, 28, 28) + b"\x00" * 100)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"not idx")
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.*announces"):
        datasets.load_mnist(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="train-images"):
        datasets.load_mnist(str(tmp_path), split="train")


@pytest.mark.skipif(not os.path.isdir(MNIST_DIR), reason="the real MNIST split is not beside the repository")
def test_the_real_mnist_test_split_loads():
    x, y = datasets.load_mnist(MNIST_DIR)
    assert x.shape == (10_000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (10_000,) and set(np.unique(y)) == set(range(10))


def test_plots_are_written_as_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = History()
    for epoch, (loss, accuracy) in enumerate([(1.0, 0.5), (0.5, 0.8)]):
        history.on_epoch_end(epoch, {"loss": loss, "accuracy": accuracy, "val_loss": loss + 0.1})
    paths = [
        plot.training_curves(history, str(tmp_path / "curves.png")),
        plot.confusion_matrix(metrics.confusion_matrix([0, 1, 1], [0, 1, 0]), str(tmp_path / "cm.png"), ["a", "b"]),
        plot.roc_curve(*metrics.roc_curve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.5])[:2], str(tmp_path / "roc.png")),
    ]
    for path in paths:
        assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
