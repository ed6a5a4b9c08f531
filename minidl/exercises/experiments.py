"""Experiments a lesson runs and looks at: vanishing gradients, optimizers on one surface, overfitting.

    python -m minidl.exercises run vanishing       # gradient norms per layer of 20-layer networks
    python -m minidl.exercises run optimizers      # SGD, momentum, RMSProp and Adam on one valley
    python -m minidl.exercises run overfitting     # L2 and dropout on a small MNIST subset

Each returns its figures (and prints a table); with matplotlib installed
and ``plot=`` a path, each also draws them.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy

from minidl import Input, Model, Sequential, Tensor, optimizers, regularizers
from minidl import functional as F
from minidl.core import random as minidl_random
from minidl.teaching.figures import pyplot
from minidl.layers import Activation, Add, BatchNormalization, Dense, Dropout


# ---------------------------------------------------------------------------- vanishing gradients
def gradient_norms(model: Any, x: numpy.ndarray, y: numpy.ndarray) -> list:
    """||dL/dW|| of every Dense kernel, first layer first, for the cross-entropy of one batch (training mode)."""
    for weight in model.weights:
        weight.grad = None
    loss = F.categorical_crossentropy(y, model(Tensor(x), training=True))
    loss.backward()
    return [float(numpy.linalg.norm(layer.kernel.grad)) for layer in model.layers
            if isinstance(layer, Dense)]


def deep_network(kind: str, depth: int = 20, width: int = 32, inputs: int = 10, classes: int = 3) -> Any:
    """A ``depth``-layer MLP: "sigmoid", "relu", "batchnorm" (sigmoid with BatchNormalization) or "residual"."""
    if kind == "residual":  # sigmoid layers with skip connections: x <- x + sigmoid(W x + b)
        x = start = Input((inputs,))
        x = Dense(width)(x)
        for _ in range(depth - 2):
            x = Add()([x, Dense(width, activation="sigmoid")(x)])
        return Model(start, Dense(classes, activation="softmax")(x))
    layers: list = [Input((inputs,))]
    for _ in range(depth - 1):
        if kind == "batchnorm":
            layers += [Dense(width), BatchNormalization(), Activation("sigmoid")]
        else:
            layers.append(Dense(width, activation=kind))
    layers.append(Dense(classes, activation="softmax"))
    return Sequential(layers)


def vanishing(norms: Callable = gradient_norms, depth: int = 20, seed: int = 0, plot: str | None = None) -> dict:
    """Per-layer gradient norms of four 20-layer networks on one batch; the first layer's share shows the problem."""
    rng = numpy.random.default_rng(seed)
    x = rng.normal(size=(64, 10)).astype(numpy.float32)
    y = numpy.eye(3, dtype=numpy.float32)[rng.integers(0, 3, 64)]
    table = {}
    for kind in ("sigmoid", "relu", "batchnorm", "residual"):
        minidl_random.seed(seed)
        table[kind] = norms(deep_network(kind, depth), x, y)
    print(f"{'network':>10}  {'first layer':>12}  {'last layer':>12}  first / last")
    for kind, values in table.items():
        print(f"{kind:>10}  {values[0]:12.3e}  {values[-1]:12.3e}  {values[0] / values[-1]:.1e}")
    if plot:
        _plot_lines({kind: values for kind, values in table.items()}, "layer", "gradient norm ||dL/dW||", plot,
                    log=True)
    return table


# ---------------------------------------------------------------------------- optimizers on one surface
def valley(w: Tensor) -> Tensor:
    """A long, narrow valley: f(a, b) = (1 - a)^2 + 20 (b - a^2)^2 (Rosenbrock's, milder), minimum 0 at (1, 1)."""
    a, b = w[0], w[1]
    return (1 - a) ** 2 + 20 * (b - a * a) ** 2


def optimizers_compared(steps: int = 300, plot: str | None = None) -> dict:
    """The same start, the same surface, four update rules: the loss after every step."""
    contenders = {"SGD": optimizers.SGD(0.005), "momentum": optimizers.SGD(0.005, momentum=0.9),
                  "Nesterov": optimizers.SGD(0.005, momentum=0.9, nesterov=True),
                  "RMSProp": optimizers.RMSprop(0.01), "Adam": optimizers.Adam(0.05)}
    curves, paths = {}, {}
    for name, optimizer in contenders.items():
        w = Tensor(numpy.array([-1.2, 1.0]), requires_grad=True)
        curves[name], paths[name] = [], [w.data.copy()]
        for _ in range(steps):
            w.grad = None
            loss = valley(w)
            loss.backward()
            optimizer.apply_gradients([(w.grad, w)])
            curves[name].append(float(loss.item()))
            paths[name].append(w.data.copy())
    print(f"{'optimizer':>10}  " + "  ".join(f"step {s:>4}" for s in (10, 50, 100, steps)))
    for name, losses in curves.items():
        print(f"{name:>10}  " + "  ".join(f"{losses[s - 1]:9.4f}" for s in (10, 50, 100, steps)))
    if plot:
        _plot_lines(curves, "step", "loss", plot, log=True)
    return {"losses": curves, "paths": paths}


# ---------------------------------------------------------------------------- overfitting
def small_mnist() -> tuple:
    """600 MNIST test digits committed with the package (minidl/exercises/data/mnist_600.npz): images, labels."""
    with numpy.load(os.path.join(os.path.dirname(__file__), "data", "mnist_600.npz")) as data:
        return data["images"].astype(numpy.float32) / 255.0, data["labels"].astype(int)


def overfitting(epochs: int = 60, train: int = 300, seed: int = 0, plot: str | None = None) -> dict:
    """One MLP trained on ``train`` digits three ways: plain, with L2, with dropout; held out: the other digits.

    The telling figure is the held-out cross-entropy (logged as a metric, so
    without the L2 penalty): the plain network's rises again after its best
    epoch as it grows overconfident on digits it has learnt by heart.
    """
    images, labels = small_mnist()
    x, y = images.reshape(len(images), -1), numpy.eye(10, dtype=numpy.float32)[labels]
    results, curves = {}, {}
    for name in ("plain", "L2 (0.001)", "dropout (0.2 in, 0.5 hidden)"):
        minidl_random.seed(seed)
        regularizer = regularizers.L2(0.001) if name.startswith("L2") else None
        dropout = name.startswith("dropout")
        layers: list = [Input((784,))] + ([Dropout(0.2)] if dropout else [])
        for _ in range(2):
            layers.append(Dense(256, activation="relu", kernel_regularizer=regularizer))
            layers += [Dropout(0.5)] if dropout else []
        model = Sequential(layers + [Dense(10, activation="softmax")])
        model.compile(optimizers.Adam(0.001), "categorical_crossentropy",
                      metrics=["accuracy", "categorical_crossentropy"])
        history = model.fit(x[:train], y[:train], batch_size=32, epochs=epochs, verbose=0,
                            validation_data=(x[train:], y[train:])).history
        held_out = history["val_categorical_crossentropy"]
        results[name] = {"train_accuracy": history["accuracy"][-1], "held_out_accuracy": history["val_accuracy"][-1],
                         "held_out_crossentropy": held_out[-1], "best_held_out_crossentropy": min(held_out),
                         "best_epoch": int(numpy.argmin(held_out)) + 1}
        curves[name] = held_out
    print(f"{'network':>29}  train acc  held-out acc  held-out cross-entropy: end  best (epoch)")
    for name, figures in results.items():
        print(f"{name:>29}  {figures['train_accuracy']:9.3f}  {figures['held_out_accuracy']:12.3f}  "
              f"{figures['held_out_crossentropy']:27.3f}  {figures['best_held_out_crossentropy']:.3f} "
              f"({figures['best_epoch']})")
    if plot:
        _plot_lines(curves, "epoch", "held-out cross-entropy", plot)
    return results


def _plot_lines(curves: dict, x_label: str, y_label: str, path: str, log: bool = False) -> str:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        axes.plot(range(1, len(values) + 1), values, label=name)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    if log:
        axes.set_yscale("log")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


EXPERIMENTS = {"vanishing": vanishing, "optimizers": optimizers_compared, "overfitting": overfitting}
