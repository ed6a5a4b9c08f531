"""Exercise 21 (capstone, step 2 of 3): an MLP that reads handwritten digits, 95% right on digits it never saw.

Step 1 of the ladder was the perceptron (exercise 1): one linear boundary.
Now a network of layers on MNIST, with minidl's Keras-style API: choose
the layers, the loss, the optimizer, the batch size and the epochs, and
train. The checker shuffles the MNIST test split (10,000 digits) with a new
seed, gives you 8,000 for training and keeps 2,000 you never see; your
network must classify at least 95% of those.

Every digit is also turned at each check, the same way for all of them
(transposed, mirrored or upside down): the images keep their structure, so
shifts and other augmentations still help, but a solution that reads the
digits from disk itself, held-out ones included, learns the wrong pictures.

A multi-layer perceptron gets about 95.5% here (two hidden layers, shifted
copies of the digits as extra data): right at the bar. A small convolutional
network (two Conv2D + MaxPooling2D blocks) clears it with room, about 98%.

Write ``train(x, y)``: x (8000, 784) float32 in [0, 1], y (8000,) the digits;
return a model whose ``predict(x)`` gives (n, 10) class scores (a minidl
model does). Keep it under about a minute on two cores.

Where the data are: the folder in ``MINIDL_MNIST``, else ``../shared/data/mnist``
beside the repository (files ``t10k-images-idx3-ubyte[.gz]`` and ``t10k-labels-idx1-ubyte[.gz]``).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy

from minidl.exercises.checks import Report, held_out_accuracy

TITLE = "capstone 2: a network at 95% on held-out MNIST digits"
NAMES = ("train",)
THRESHOLD = 0.95


def data_folder() -> str | None:
    """The MNIST folder: ``MINIDL_MNIST``, else ``shared/data/mnist`` two folders above the package."""
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.environ.get("MINIDL_MNIST"), os.path.join(here, "..", "..", "..", "shared", "data", "mnist")):
        if folder and os.path.isdir(folder):
            return os.path.normpath(folder)
    return None


def reference() -> SimpleNamespace:
    def train(x: numpy.ndarray, y: numpy.ndarray) -> object:
        from minidl import Sequential  # noqa: PLC0415 - the library's Keras-style API is the tool here
        from minidl.layers import Dense, Dropout, Input

        model = Sequential([Input((784,)), Dense(256, activation="relu"), Dropout(0.2), Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=64, epochs=12, verbose=0)
        return model

    return SimpleNamespace(train=train)


def check(solution: object) -> Report:
    from minidl import datasets  # noqa: PLC0415

    report = Report(f"exercise 21: {TITLE}")
    folder = data_folder()
    if not report.add("the MNIST test split is found", folder is not None,
                      "set MINIDL_MNIST to the folder of t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]"):
        return report
    images, labels = datasets.load_mnist(folder, split="test")
    order, turn = report.rng.permutation(len(images)), int(report.rng.integers(4))
    turned = (images.transpose(0, 2, 1), images[:, :, ::-1], images[:, ::-1, :], images[:, ::-1, ::-1].transpose(0, 2, 1))
    x = (turned[turn].reshape(len(images), 784).astype(numpy.float32) / 255.0)[order]
    y = labels[order].astype(numpy.int64)
    held_out_accuracy(report, solution.train, (x[:8000], y[:8000]), (x[8000:], y[8000:]), 10, THRESHOLD,
                      "8,000 digits", "2,000 held-out digits")
    return report
