"""Exercise 14: a Keras-style layer of your own: weights, build and call.

A layer holds weights and calls differentiable functions; it never writes
a gradient itself (autodiff does, from the functions it calls). Its life:

    layer = MyDense(4, activation="tanh")    # options only, no weights yet
    y = layer(x)                             # first call: build(input_shape), then call(x, training)

``build(input_shape)`` (one sample's shape, no batch axis) creates the
weights with ``self.add_weight(name, shape, initializer)``, in Keras's
layout and order: a kernel of shape (in, units), then a bias (units,).
``call(x, training)`` computes y = activation(x kernel + bias) with
minidl's functions (``minidl.functional.linear`` does x W + b), and
``compute_output_shape`` says what comes out. The library's own Dense is
``minidl/layers/core.py``.

Write ``MyDense(units, activation=None)``, a subclass of ``minidl.layers.Layer``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import Input, Sequential, Tensor, optimizers
from minidl.exercises.checks import Report, attempt, same_values
from minidl.layers import Dense

TITLE = "a Keras-style layer: weights, build and call"
NAMES = ("MyDense",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(MyDense=Dense)


def check(solution: object) -> Report:
    report = Report(f"exercise 14: {TITLE}")
    rng = numpy.random.default_rng(14)
    x = rng.normal(size=(5, 3)).astype(numpy.float32)
    layer = attempt(report, "MyDense(4, activation='tanh') is made", lambda: solution.MyDense(4, activation="tanh"))
    if layer is None:
        return report
    y = attempt(report, "the first call builds the layer and computes", lambda: layer(Tensor(x)))
    if y is None:
        return report
    shapes = [tuple(w.shape) for w in layer.weights]
    report.add("weights in Keras's layout and order: kernel (3, 4), bias (4,)", shapes == [(3, 4), (4,)],
               f"got {shapes}")
    if shapes == [(3, 4), (4,)]:
        kernel, bias = rng.normal(size=(3, 4)).astype(numpy.float32), rng.normal(size=4).astype(numpy.float32)
        layer.set_weights([kernel, bias])  # a bias away from its zero start, so that a missing one shows
        y = attempt(report, "a call with set weights runs", lambda: layer(Tensor(x)))
        if y is None:
            return report
        same_values(report, "y = tanh(x kernel + bias)", y, numpy.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
        shape = attempt(report, "compute_output_shape runs", layer.compute_output_shape, (3,))
        if shape is not None:
            report.add("compute_output_shape((3,)) is (4,)", tuple(shape) == (4,), f"got {shape}")
    if report.passed:  # it trains inside a model: the gradient reaches its weights
        model = Sequential([Input((3,)), solution.MyDense(8, activation="tanh"), solution.MyDense(1)])
        model.compile(optimizers.Adam(0.05), "mse")
        targets = (x[:, :1] - x[:, 1:2]).astype(numpy.float32)
        history = model.fit(x, targets, epochs=60, batch_size=5, verbose=0).history["loss"]
        report.add("in a Sequential it trains: the loss falls by 10x in 60 steps", history[-1] < 0.1 * history[0],
                   f"loss {history[0]:.4f} -> {history[-1]:.4f}")
    return report
