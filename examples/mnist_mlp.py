"""The seeds' first network on real MNIST digits: Dense(100, relu) -> Dropout(0.3) -> Dense(10, softmax).

Trains with Adam, batch 100, on the first 8,000 images of the MNIST test split
and tests on the last 2,000 (also shown as the validation curve), prints the test accuracy and the time per epoch,
and saves the training curves as a PNG.

Run:  python examples/mnist_mlp.py [--data ../shared/data/mnist] [--epochs 20] [--out mnist_mlp_out]
"""

import argparse
import os
import time

import numpy as np

import minidl
from minidl import Sequential, callbacks, datasets, metrics
from minidl.layers import Dense, Dropout, Input

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "mnist"))


class EpochTimer(callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["seconds"] = time.perf_counter() - self.start


def main(data: str = DEFAULT_DATA, epochs: int = 20, out: str = "mnist_mlp_out", seed: int = 0) -> dict:
    images, labels = datasets.load_mnist(data, split="test")
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    x_train, y_train, x_test, y_test = x[:8000], labels[:8000], x[8000:], labels[8000:]

    minidl.random.seed(seed)
    model = Sequential([Input((784,)), Dense(100, activation="relu"), Dropout(0.3), Dense(10, activation="softmax")])
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # The test split doubles as the validation curve; nothing is chosen by it.
    history = model.fit(x_train, y_train, batch_size=100, epochs=epochs, validation_data=(x_test, y_test),
                        verbose=2, callbacks=[EpochTimer()])
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=100, verbose=0)
    seconds = history.history.pop("seconds")
    counts = metrics.confusion_matrix(y_test, model.predict(x_test), num_classes=10)
    print(f"test accuracy {test_accuracy:.4f} (loss {test_loss:.4f}) on the last 2,000 images")
    print(f"seconds per epoch: median {np.median(seconds):.3f} over {len(seconds)} epochs")
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(counts)
    os.makedirs(out, exist_ok=True)
    try:
        from minidl import plot

        print("training curves:", plot.training_curves(history, os.path.join(out, "training_curves.png")))
    except ImportError as error:
        print(f"no training curves: {error}")
    return {"test_accuracy": test_accuracy, "median_epoch_seconds": float(np.median(seconds))}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="mnist_mlp_out", help="folder for the training-curve PNG")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    main(arguments.data, arguments.epochs, arguments.out, arguments.seed)
