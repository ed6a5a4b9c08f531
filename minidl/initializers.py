"""Weight initializers, with Keras's names, formulas and defaults.

Variance scaling draws with variance ``scale / n``, where n is the fan-in,
the fan-out or their mean. For a kernel of shape (..., in, out) the fans are
``in * receptive_field`` and ``out * receptive_field``, the receptive field
being the product of the leading (spatial) axes:

==================  =======  =========  ==============================================
name                scale    n          distribution
==================  =======  =========  ==============================================
glorot_uniform      1        fan_avg    U(-sqrt(3 scale / n), +sqrt(3 scale / n))
glorot_normal       1        fan_avg    truncated normal, stddev sqrt(scale / n) / .8796
he_uniform          2        fan_in     uniform as above
he_normal           2        fan_in     truncated normal as above
lecun_uniform       1        fan_in     uniform as above
lecun_normal        1        fan_in     truncated normal as above
==================  =======  =========  ==============================================

The truncated normal redraws values beyond two standard deviations; 0.8796
is the standard deviation of a unit normal truncated so. An initializer made
with a ``seed`` gives the same values at every call; without one it draws
from ``minidl.random``.

``Orthogonal`` makes ``gain * Q`` from the QR decomposition ``A = QR`` of a
standard normal matrix A of shape (max(rows, cols), min(rows, cols)), rows
being the product of every axis but the last, with the signs of Q's columns
set so that diag(R) > 0 (Q then is Haar-distributed); ``Identity`` is
``gain * I``. As in Keras, every class has a lower-case alias that is the
class itself: ``initializers.glorot_uniform(seed=1)`` is
``initializers.GlorotUniform(seed=1)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl.core import random as minidl_random
from minidl.core.registry import Registry, snake_case

TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def compute_fans(shape: tuple) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight of ``shape``, as Keras computes them."""
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive_field = math.prod(shape[:-2])
    return float(shape[-2] * receptive_field), float(shape[-1] * receptive_field)


def _float_dtype(dtype: Any) -> Any:
    """Keras's initializers take ``dtype=None`` for the default float type."""
    return "float32" if dtype is None else dtype


class Initializer:
    """Makes the initial value of a weight: ``initializer(shape, dtype) -> array``."""

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def _generator(self) -> numpy.random.Generator:
        seed = getattr(self, "seed", None)
        return numpy.random.default_rng(seed) if seed is not None else minidl_random.generator()


class Zeros(Initializer):
    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        return numpy.zeros(shape, dtype=_float_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        return numpy.ones(shape, dtype=_float_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        return numpy.full(shape, self.value, dtype=_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        return self._generator().normal(self.mean, self.stddev, size=shape).astype(_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        return self._generator().uniform(self.minval, self.maxval, size=shape).astype(_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def truncated_normal_draws(generator: numpy.random.Generator, stddev: float, shape: tuple) -> numpy.ndarray:
    """Normal(0, stddev) draws, every one beyond 2 stddev redrawn until none is."""
    values = generator.normal(0.0, 1.0, size=shape)
    outside = numpy.abs(values) > 2
    while outside.any():
        values[outside] = generator.normal(0.0, 1.0, size=int(outside.sum()))
        outside = numpy.abs(values) > 2
    return values * stddev


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) draws, every one beyond two stddev of the mean redrawn (Keras's defaults)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        values = self.mean + truncated_normal_draws(self._generator(), self.stddev, tuple(shape))
        return values.astype(_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class Orthogonal(Initializer):
    """``gain * Q`` of the QR decomposition of a normal matrix, reshaped to ``shape`` (see the module docstring)."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain, self.seed = gain, seed

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the weight must have at least two axes, got shape {shape}")
        rows, columns = math.prod(shape[:-1]), shape[-1]
        normal = self._generator().normal(0.0, 1.0, size=(max(rows, columns), min(rows, columns)))
        q, r = numpy.linalg.qr(normal)
        q = q * numpy.sign(numpy.diag(r))
        if rows < columns:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain * I`` for a weight of two axes (Keras's Identity)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity: the weight must have two axes, got shape {tuple(shape)}")
        return (self.gain * numpy.eye(*shape)).astype(_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


class VarianceScaling(Initializer):
    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
        seed: int | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in self.MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self.MODES}, got {mode!r}")
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of {self.DISTRIBUTIONS}, got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        fan_in, fan_out = compute_fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3 * variance)
            values = generator.uniform(-limit, limit, size=shape)
        elif self.distribution == "truncated_normal":
            values = truncated_normal_draws(generator, math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV, shape)
        else:
            values = generator.normal(0.0, math.sqrt(variance), size=shape)
        return values.astype(_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _variance_scaling(class_name: str, scale: float, mode: str, distribution: str) -> type:
    def __init__(self: VarianceScaling, seed: int | None = None) -> None:
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self: VarianceScaling) -> dict:
        return {"seed": self.seed}

    doc = f"Variance scaling with scale={scale}, mode={mode!r}, distribution={distribution!r}."
    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")

ALL = {
    snake_case(cls.__name__): cls
    for cls in (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, Orthogonal, Identity,
                VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal)
}

# Keras's lower-case aliases: each is the class itself, so initializers.he_normal(seed=0) makes a HeNormal
zeros, ones, constant, random_normal, random_uniform = Zeros, Ones, Constant, RandomNormal, RandomUniform
truncated_normal, orthogonal, identity, variance_scaling = TruncatedNormal, Orthogonal, Identity, VarianceScaling
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal


REGISTRY = Registry("initializer", ALL, base=Initializer)
# Keras's short aliases, by name only ("uniform" in Keras's MinimalRNNCell example)
REGISTRY.entries.update(uniform=RandomUniform, normal=RandomNormal, one=Ones, zero=Zeros)


def get(identifier: Any) -> Initializer:
    """An initializer from a name ("glorot_uniform"), a config dict, an instance or a callable."""
    return REGISTRY.get(identifier)


def serialize(initializer: Initializer) -> dict:
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
