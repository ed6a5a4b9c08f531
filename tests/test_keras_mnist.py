"""keras.datasets.mnist.load_data() from files on this machine: Keras's cache, then IDX folders; never a download."""

import gzip
import struct

import numpy as np
import pytest

from minidl.datasets import mnist


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def digits(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n, dtype=np.uint8)


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No Keras cache, no IDX folder: only what a test puts in place."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(mnist, "IDX_FOLDERS", ("$MINIDL_MNIST_DIR",))
    monkeypatch.delenv("MINIDL_MNIST_DIR", raising=False)
    return tmp_path


def test_keras_s_cached_npz_is_read_first_with_its_split(nowhere, monkeypatch):
    (x_train, y_train), (x_test, y_test) = digits(6, 0), digits(3, 1)
    (nowhere / "keras_home" / "datasets").mkdir(parents=True)
    np.savez(nowhere / "keras_home" / "datasets" / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=y_test)
    (a, b), (c, d) = mnist.load_data()
    for got, expected in zip((a, b, c, d), (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(got, expected)


def test_an_idx_folder_with_all_four_files_gives_keras_s_split(nowhere, monkeypatch):
    (x_train, y_train), (x_test, y_test) = digits(5, 2), digits(4, 3)
    for stem, array in (("train-images-idx3-ubyte", x_train), ("train-labels-idx1-ubyte", y_train),
                        ("t10k-images-idx3-ubyte", x_test), ("t10k-labels-idx1-ubyte", y_test)):
        write_idx(nowhere / f"{stem}.gz", array)
    monkeypatch.setenv("MINIDL_MNIST_DIR", str(nowhere))
    (a, b), (c, d) = mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(d, y_test)


def test_the_test_split_alone_stands_in_for_both_first_8000_then_2000(nowhere, monkeypatch):
    x, y = digits(8010, 4)
    write_idx(nowhere / "t10k-images-idx3-ubyte.gz", x)
    write_idx(nowhere / "t10k-labels-idx1-ubyte.gz", y)
    monkeypatch.setenv("MINIDL_MNIST_DIR", str(nowhere))
    (a, b), (c, d) = mnist.load_data()
    assert a.shape == (8000, 28, 28) and c.shape == (10, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(c, x[8000:])
    np.testing.assert_array_equal(b, y[:8000])


def test_no_mnist_anywhere_is_one_sentence_naming_where_it_looked(nowhere):
    with pytest.raises(mnist.DatasetNotFoundError) as caught:
        mnist.load_data()
    message = str(caught.value)
    assert "\n" not in message and "never downloads" in message
    assert str(nowhere / "keras_home" / "datasets" / "mnist.npz") in message


def test_the_shared_test_split_reads_as_real_digits_where_it_is_present():
    try:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()  # wherever this machine keeps MNIST
    except mnist.DatasetNotFoundError:
        pytest.skip("no MNIST on this machine")
    assert x_train.shape[1:] == (28, 28) and x_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10)) and len(x_train) >= 8000
