"""Regularisation by noise in training: SpatialDropout1D/2D (whole channels), GaussianNoise, GaussianDropout and
AlphaDropout.

Both are the identity in inference. SpatialDropout drops each channel of a
sample as a whole, with one mask draw per (sample, channel), because
neighbouring positions of a feature map are strongly correlated and
dropping single elements regularises little (Tompson et al. 2015); its math
is ``functional/dropout.py``'s with a mask of shape (batch, 1, ..., channels).
GaussianNoise adds y = x + e, e ~ N(0, stddev^2) drawn anew for every call;
e does not depend on x, so dL/dx = gy.

AlphaDropout (Klambauer et al. 2017, for SELU networks) sets a dropped
element to SELU's negative saturation alpha' = -scale * alpha instead of 0,
then restores zero mean and unit variance with an affine map; with keep
m ~ Bernoulli(1 - rate) per element (or per ``noise_shape`` cell):

    a = ((1 - rate) (1 + rate alpha'^2))^(-1/2),   b = -a alpha' rate
    y = a (x m + alpha' (1 - m)) + b,              dL/dx = gy a m
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl import functional as F
from minidl.core import random as minidl_random
from minidl.layers.base import Layer
from minidl.autodiff.tensor import Tensor


class _SpatialDropout(Layer):
    rank = 1

    def __init__(self, rate: float, seed: int | None = None, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"{type(self).__name__}: rate must be in [0, 1), got {rate!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported")
        self.rate, self.seed = float(rate), seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != self.rank + 1:
            layout = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
            raise ValueError(f"layer {self.label!r}: inputs must be {layout} per sample, got shape {input_shape}")
        return tuple(input_shape)

    def call(self, x: Tensor, training: bool) -> Tensor:
        noise_shape = (x.shape[0],) + (1,) * self.rank + (x.shape[-1],)
        return F.dropout(x, self.rate, training=training, generator=self._generator, noise_shape=noise_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(_SpatialDropout):
    """(batch, length, channels): each channel of a sample dropped whole with probability ``rate``."""

    rank = 1


class SpatialDropout2D(_SpatialDropout):
    """(batch, height, width, channels): each feature map of a sample dropped whole with probability ``rate``."""

    rank = 2


class GaussianNoise(Layer):
    """y = x + N(0, stddev^2) noise in training; y = x in inference (see the module docstring)."""

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a number >= 0, got {stddev!r}")
        self.stddev, self.seed = float(stddev), seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if not training or self.stddev == 0:
            return x
        xp = backend.get_array_module(x.data)
        generator = self._generator or minidl_random.generator_for(xp)
        noise = (xp.asarray(generator.standard_normal(x.shape)) * self.stddev).astype(x.dtype)
        return x + Tensor(noise)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """y = x * m with m ~ N(1, rate / (1 - rate)) per element in training (Keras's); y = x in inference."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout: rate must be in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if not training or self.rate == 0:
            return x
        xp = backend.get_array_module(x.data)
        generator = self._generator or minidl_random.generator_for(xp)
        stddev = (self.rate / (1.0 - self.rate)) ** 0.5
        factor = (1.0 + xp.asarray(generator.standard_normal(x.shape)) * stddev).astype(x.dtype)
        return x * Tensor(factor)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout that keeps a SELU network's mean and variance (module docstring); y = x in inference, as Keras's."""

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"AlphaDropout: rate must be in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if not training or self.rate == 0:
            return x
        xp = backend.get_array_module(x.data)
        shape = x.shape if self.noise_shape is None else \
            tuple(x.shape[axis] if size is None else int(size) for axis, size in enumerate(self.noise_shape))
        if len(shape) != x.ndim or any(n not in (1, s) for n, s in zip(shape, x.shape)):
            raise ValueError(f"layer {self.label!r}: noise_shape {self.noise_shape} does not broadcast to the "
                             f"input's shape {x.shape}")
        generator = self._generator or minidl_random.generator_for(xp)
        keep = (backend.uniform(generator, shape, x.data) >= self.rate).astype(x.dtype)
        alpha_p = -SELU_ALPHA * SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return x * Tensor((a * keep).astype(x.dtype)) + Tensor((a * alpha_p * (1 - keep) + b).astype(x.dtype))

    def get_config(self) -> dict:
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}
