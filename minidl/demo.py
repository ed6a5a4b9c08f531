"""A one-screen demonstration of minidl's autodiff: a small network learns three interleaved spirals.

Nothing but Tensors, differentiable functions and plain gradient descent:
the forward pass is written out, ``loss.backward()`` fills every weight's
``.grad``, and the update is ``w <- w - learning_rate * dL/dw``.

Run:  python -m minidl
"""

from __future__ import annotations

import time

import numpy as np

import minidl
from minidl import Tensor
from minidl import functional as F


def make_spirals(points_per_class: int, classes: int, rng: np.random.Generator) -> tuple:
    """Points on ``classes`` noisy spiral arms in the plane: x (n, 2) float32, labels (n,) int."""
    radius = np.tile(np.linspace(0.05, 1.0, points_per_class), classes)
    labels = np.repeat(np.arange(classes), points_per_class)
    angle = labels * 2 * np.pi / classes + radius * 4.0 + rng.normal(0, 0.2, radius.size)
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x.astype(np.float32), labels


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> Tensor:
    limit = np.sqrt(6 / (fan_in + fan_out))
    weights = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)
    return Tensor(weights, requires_grad=True)


def main(epochs: int = 400, hidden: int = 64, learning_rate: float = 0.5, seed: int = 0) -> float:
    """Train a 2 -> hidden -> hidden -> 3 network by full-batch gradient descent; return the accuracy."""
    rng = np.random.default_rng(seed)
    x, labels = make_spirals(200, 3, rng)
    parameters = [
        glorot_uniform(2, hidden, rng), Tensor(np.zeros(hidden, np.float32), requires_grad=True),
        glorot_uniform(hidden, hidden, rng), Tensor(np.zeros(hidden, np.float32), requires_grad=True),
        glorot_uniform(hidden, 3, rng), Tensor(np.zeros(3, np.float32), requires_grad=True),
    ]
    w1, b1, w2, b2, w3, b3 = parameters

    def logits_of(inputs: Tensor) -> Tensor:
        h = F.relu(F.linear(inputs, w1, b1))
        h = F.relu(F.linear(h, w2, b2))
        return F.linear(h, w3, b3)

    print(f"minidl {minidl.__version__}: {len(x)} points on 3 spirals, a 2-{hidden}-{hidden}-3 ReLU network")
    start = time.perf_counter()
    inputs = Tensor(x)
    for epoch in range(1, epochs + 1):
        loss = F.sparse_categorical_crossentropy(labels, logits_of(inputs), from_logits=True)
        for p in parameters:
            p.grad = None
        loss.backward()
        with minidl.no_grad():
            for p in parameters:
                p.data -= learning_rate * p.grad
        if epoch == 1 or epoch % 50 == 0:
            with minidl.no_grad():
                accuracy = float((logits_of(inputs).data.argmax(axis=1) == labels).mean())
            print(f"epoch {epoch:4d}   loss {loss.item():.4f}   accuracy {accuracy:.3f}")
    print(f"trained in {time.perf_counter() - start:.1f} s; chance accuracy is 0.333")
    return accuracy


if __name__ == "__main__":
    main()
