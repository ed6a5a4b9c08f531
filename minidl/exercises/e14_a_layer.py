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
from minidl.exercises.checks import (Report, attempt, forbid, keeps_dtype, same_values, uses_minidl,
                                     verdict_on_library_use)
from minidl.layers import Dense, Layer

TITLE = "a Keras-style layer: weights, build and call"
NAMES = ("MyDense",)


def reference() -> SimpleNamespace:
    return SimpleNamespace(MyDense=Dense)


def check(solution: object) -> Report:
    report = Report(f"exercise 14: {TITLE}")
    forbid(report, {"the dense layer": [Dense]})
    uses_minidl(report, solution, NAMES, allowed_bases=(Layer,))
    rng = report.rng
    for case in range(2):
        n, features = (int(value) for value in rng.integers(*((1, 4) if case == 0 else (4, 8)), 2))
        units = features + int(rng.integers(1, 3))  # never square: a transposed kernel shows in its shape
        activation = str(rng.choice(["tanh", "sigmoid", "relu"]))
        function = {"tanh": numpy.tanh, "sigmoid": lambda z: 1 / (1 + numpy.exp(-z)),
                    "relu": lambda z: numpy.maximum(z, 0)}[activation]
        x = rng.normal(size=(n, features)).astype(numpy.float32)
        layer = attempt(report, f"MyDense({units}, activation={activation!r}) is made",
                        lambda: solution.MyDense(units, activation=activation))
        if layer is None:
            break
        y = attempt(report, f"the first call on ({n}, {features}) builds the layer and computes",
                    lambda: layer(Tensor(x)))
        if y is None:
            break
        shapes = attempt(report, "its weights can be listed", lambda: [tuple(w.shape) for w in layer.weights])
        if shapes is None:
            break
        wanted = [(features, units), (units,)]
        report.add(f"weights in Keras's layout and order: kernel {wanted[0]}, bias {wanted[1]}", shapes == wanted,
                   f"got {shapes}")
        if shapes != wanted:
            break
        kernel = rng.normal(size=wanted[0]).astype(numpy.float32)
        bias = rng.normal(size=wanted[1]).astype(numpy.float32)  # away from its zero start: a missing one shows
        y = attempt(report, "a call with set weights runs", lambda: (layer.set_weights([kernel, bias]),
                                                                     layer(Tensor(x)))[1])
        if y is None:
            break
        same_values(report, f"y = {activation}(x kernel + bias)", y, function(x @ kernel + bias), rtol=1e-5,
                    atol=1e-6)
        keeps_dtype(report, "float32 in, float32 out", y, numpy.float32)
        shape = attempt(report, "compute_output_shape runs", layer.compute_output_shape, (features,))
        if shape is not None:
            report.add(f"compute_output_shape(({features},)) is ({units},)", tuple(shape) == (units,),
                       f"got {shape}")
    verdict_on_library_use(report)
    if report.passed:  # it trains inside a model: the gradient reaches its weights
        x = rng.normal(size=(5, 3)).astype(numpy.float32)
        model = Sequential([Input((3,)), solution.MyDense(8, activation="tanh"), solution.MyDense(1)])
        model.compile(optimizers.Adam(0.05), "mse")
        targets = (x[:, :1] - x[:, 1:2]).astype(numpy.float32)
        history = attempt(report, "it trains inside a Sequential",
                          lambda: model.fit(x, targets, epochs=60, batch_size=5, verbose=0).history["loss"])
        if history is not None:
            report.add("in a Sequential it trains: the loss falls by 10x in 60 steps", history[-1] < 0.1 * history[0],
                       f"loss {history[0]:.4f} -> {history[-1]:.4f}")
    return report
