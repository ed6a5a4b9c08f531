"""``minidl.random``, Keras's ``keras.random``: one seed for weights, masks and shuffles (its home is
``minidl.core.random``), and Keras's seeded draws.

``seed`` of every draw takes what Keras's takes:

- None: minidl's one generator (``minidl.random.seed(42)`` fixes it);
- an int: the same draw at every call with that int (a fresh generator seeded with it);
- a ``SeedGenerator``: its own stream, which each draw moves on, so a layer holding one
  (``self.seed_generator = keras.random.SeedGenerator(1337)``) draws new noise at every call
  and the same sequence in every run.

Draws are arrays (numpy's; float32 unless ``dtype`` says otherwise), as ``minidl.ops`` returns
for arrays: ``z_mean + ops.exp(0.5 * z_log_var) * keras.random.normal(shape, seed=g)`` stays in
the graph through the Tensors it meets. Keras's streams are its own: the same seed gives other
numbers than Keras's, from the same distributions.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl.core.random import generator, generator_for, seed  # noqa: F401 - the public names


class SeedGenerator:
    """A seeded stream of random draws (Keras's ``keras.random.SeedGenerator(seed=None)``).

    ``seed`` None takes its starting point from minidl's one generator (so ``minidl.random.seed``
    fixes it too); ``next()`` gives a fresh int seed, as Keras's returns a fresh seed state.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer))):
            raise ValueError(f"SeedGenerator: seed must be an int or None, got {seed!r}")
        self.seed = int(generator().integers(2**31)) if seed is None else int(seed)
        self.name = name or "seed_generator"
        self.generator = numpy.random.default_rng(self.seed)

    def next(self, ordered: bool = True) -> int:
        """A fresh int seed from this stream (each call moves the stream on)."""
        return int(self.generator.integers(2**31))

    def get_config(self) -> dict:
        return {"seed": self.seed}


def draw_generator(seed: Any, what: str) -> numpy.random.Generator:
    """The generator a draw with Keras's ``seed`` argument uses (see the module docstring)."""
    if seed is None:
        return generator()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, numpy.integer)) and not isinstance(seed, bool):
        return numpy.random.default_rng(int(seed))
    raise ValueError(f"{what}: seed must be None, an int or a keras.random.SeedGenerator, got {seed!r}")


def _shape(shape: Any, what: str) -> tuple:
    dims = (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)
    if not all(isinstance(d, (int, numpy.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"{what}: shape must be non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def _float(values: Any, dtype: Any) -> Any:
    return backend.as_array(values, backend.DEFAULT_FLOAT_DTYPE if dtype is None else dtype)


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Draws from N(mean, stddev^2), an array of ``shape``."""
    rng = draw_generator(seed, "random.normal")
    return _float(rng.normal(mean, stddev, _shape(shape, "random.normal")), dtype)


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    """Draws from U[minval, maxval), an array of ``shape``."""
    rng = draw_generator(seed, "random.uniform")
    return _float(rng.uniform(minval, maxval, _shape(shape, "random.uniform")), dtype)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Any:
    """Draws from N(mean, stddev^2) kept within two standard deviations of the mean (redrawn beyond)."""
    rng, size = draw_generator(seed, "random.truncated_normal"), _shape(shape, "random.truncated_normal")
    values = rng.standard_normal(size)
    outside = numpy.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = numpy.abs(values) > 2.0
    return _float(mean + stddev * values, dtype)


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """Integers drawn uniformly from [minval, maxval)."""
    rng = draw_generator(seed, "random.randint")
    return backend.as_array(rng.integers(minval, maxval, _shape(shape, "random.randint")), dtype)


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """``x`` with its entries along ``axis`` in a random order."""
    values = backend.to_numpy(getattr(x, "data", x))
    order = draw_generator(seed, "random.shuffle").permutation(values.shape[axis])
    return backend.as_array(numpy.take(values, order, axis=axis), values.dtype)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by 1 / (1 - rate)."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"random.dropout: rate must be in [0, 1), got {rate!r}")
    shape = tuple(inputs.shape) if noise_shape is None else _shape(noise_shape, "random.dropout")
    keep = draw_generator(seed, "random.dropout").uniform(size=shape) >= rate
    return inputs * backend.as_array(keep / (1.0 - rate), backend.DEFAULT_FLOAT_DTYPE)
