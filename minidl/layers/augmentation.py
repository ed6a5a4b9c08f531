"""Data augmentation layers, Keras's: the identity at inference, a fresh random transform per image in training.

    RandomFlip          mirror left-right ("horizontal"), top-bottom ("vertical") or either, each with chance 1/2
    RandomRotation      turn by an angle drawn from factor * 360 degrees (factor a or (lower, upper)), about the centre
    RandomZoom          zoom by 1 + a draw from height_factor (and width_factor; positive: out, negative: in)
    RandomTranslation   shift by a draw from height_factor * height and width_factor * width pixels
    RandomContrast      (x - mean) * c + mean per image and channel, c drawn from [1 - lower, 1 + upper],
                        clipped to value_range

Called on their own (``RandomFlip()(images)``, as in a ``tf.data`` map) they
augment, as Keras's, whose ``call`` defaults to ``training=True``; in a model
they follow the model. Factors follow Keras: one number f means [-f, f] (for RandomContrast
[1 - f, 1 + f]), a pair (lower, upper) its range. Rotation, zoom and
translation read the image through an affine map (``functional/image.py``:
bilinear or nearest, fill modes reflect (Keras's default), wrap, nearest,
constant). The draws come from a numpy Generator seeded with ``seed``
(else minidl's generator): semantics and defaults are Keras's, the
exact pixels of a draw are not.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl import functional as F
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.core import random as minidl_random
from minidl.functional.image import FILL_MODES, INTERPOLATIONS, affine_warp
from minidl.layers.base import Layer
from minidl.layers.protocol import outermost_call
from minidl.layers.symbolic import is_symbolic


def factor_range(name: str, factor: Any, around: float = 0.0) -> tuple[float, float]:
    """(lower, upper) of a Keras factor: f -> (around - |f|, around + |f|), (a, b) -> (around + a, around + b)."""
    if isinstance(factor, (int, float)):
        return around - abs(float(factor)), around + abs(float(factor))
    if isinstance(factor, (list, tuple)) and len(factor) == 2 and factor[0] <= factor[1]:
        return around + float(factor[0]), around + float(factor[1])
    raise ValueError(f"{name} must be a number or a pair (lower, upper) with lower <= upper, got {factor!r}")


def plain(factor: Any) -> Any:
    """A factor as a config holds it (a pair as a list, as JSON gives it back)."""
    return list(factor) if isinstance(factor, tuple) else factor


class _RandomImageLayer(Layer):
    """Shared parts: the seed, images (batch, height, width, channels), identity when not training."""

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs: Any) -> None:
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: minidl's images are channels-last")
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def __call__(self, inputs: Any, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """As Keras's (whose ``call`` defaults to ``training=True``): called on its own, outside any model or
        layer, it augments; inside a model it follows the model (augmenting in ``fit`` only)."""
        if training is None and not is_symbolic(inputs) and outermost_call():
            training = True
        return super().__call__(inputs, *args, training=training, **kwargs)

    def random(self) -> numpy.random.Generator:
        return self._generator or minidl_random.generator()

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 3:
            raise ValueError(f"layer {self.label!r}: images must be (height, width, channels) per sample, got "
                             f"{tuple(input_shape)}")
        return tuple(input_shape)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        x = x if x.dtype.kind == "f" else Tensor(x.data.astype(self.dtype))
        return self.transform(x)

    def transform(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Mirror each image with chance 1/2 per direction that ``mode`` names (module docstring)."""

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        if mode not in self.MODES:
            raise ValueError(f"RandomFlip: mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def transform(self, x: Tensor) -> Tensor:
        xp = backend.get_array_module(x.data)
        for axis, direction in ((2, "horizontal"), (1, "vertical")):
            if direction in self.mode:
                flip = xp.asarray(self.random().random(x.shape[0]) < 0.5).reshape(-1, 1, 1, 1)
                mirrored = F.getitem(x, (slice(None),) * axis + (slice(None, None, -1),))
                x = F.where(flip, mirrored, x)
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class _RandomAffine(_RandomImageLayer):
    """A random affine map per image, read with ``interpolation`` and ``fill_mode`` (module docstring)."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        kind = type(self).__name__
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{kind}: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{kind}: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def matrices(self, batch: int, height: int, width: int) -> numpy.ndarray:
        raise NotImplementedError

    def transform(self, x: Tensor) -> Tensor:
        matrices = self.matrices(x.shape[0], x.shape[1], x.shape[2])
        return affine_warp(x, matrices, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self) -> dict:
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomRotation(_RandomAffine):
    """Turn each image about its centre by an angle drawn from ``factor`` * 360 degrees."""

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self.range = factor_range("RandomRotation factor", factor)

    def matrices(self, batch: int, height: int, width: int) -> numpy.ndarray:
        angles = self.random().uniform(*self.range, size=batch) * 2 * math.pi
        cos, sin = numpy.cos(angles), numpy.sin(angles)
        cx, cy = (width - 1) / 2, (height - 1) / 2  # source = R (output - centre) + centre
        return numpy.stack([numpy.stack([cos, -sin, cx - cos * cx + sin * cy], axis=-1),
                            numpy.stack([sin, cos, cy - sin * cx - cos * cy], axis=-1)], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": plain(self.factor)}


class RandomZoom(_RandomAffine):
    """Zoom each image about its centre by 1 + a draw from ``height_factor`` (``width_factor``: its own draw;
    None: the same zoom both ways). Positive factors zoom out, negative ones in, as Keras."""

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_range("RandomZoom height_factor", height_factor)
        self.width_range = None if width_factor is None else factor_range("RandomZoom width_factor", width_factor)

    def matrices(self, batch: int, height: int, width: int) -> numpy.ndarray:
        zoom_y = 1.0 + self.random().uniform(*self.height_range, size=batch)
        zoom_x = zoom_y if self.width_range is None else 1.0 + self.random().uniform(*self.width_range, size=batch)
        zero = numpy.zeros(batch)
        return numpy.stack([numpy.stack([zoom_x, zero, (width - 1) / 2 * (1 - zoom_x)], axis=-1),
                            numpy.stack([zero, zoom_y, (height - 1) / 2 * (1 - zoom_y)], axis=-1)], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": plain(self.height_factor),
                "width_factor": plain(self.width_factor)}


class RandomTranslation(_RandomAffine):
    """Shift each image by a draw from ``height_factor`` * height rows and ``width_factor`` * width columns."""

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_range("RandomTranslation height_factor", height_factor)
        self.width_range = factor_range("RandomTranslation width_factor", width_factor)

    def matrices(self, batch: int, height: int, width: int) -> numpy.ndarray:
        dy = self.random().uniform(*self.height_range, size=batch) * height
        dx = self.random().uniform(*self.width_range, size=batch) * width
        one, zero = numpy.ones(batch), numpy.zeros(batch)
        return numpy.stack([numpy.stack([one, zero, -dx], axis=-1), numpy.stack([zero, one, -dy], axis=-1)], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": plain(self.height_factor),
                "width_factor": plain(self.width_factor)}


class RandomContrast(_RandomImageLayer):
    """(x - mean) * c + mean per image and channel, c drawn from [1 - lower, 1 + upper], clipped to
    ``value_range`` (Keras's default (0, 255))."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        lower, upper = factor_range("RandomContrast factor", factor)
        if isinstance(factor, (int, float)) and not 0 <= factor <= 1:
            raise ValueError(f"RandomContrast: factor must be in [0, 1], got {factor!r}")
        self.factor, self.range = factor, (1.0 + lower, 1.0 + upper)
        self.value_range = tuple(value_range)

    def transform(self, x: Tensor) -> Tensor:
        xp = backend.get_array_module(x.data)
        c = xp.asarray(self.random().uniform(*self.range, size=(x.shape[0], 1, 1, 1)), dtype=x.dtype)
        mean = F.mean(x, axis=(1, 2), keepdims=True)
        return F.clip((x - mean) * Tensor(c) + mean, *self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": plain(self.factor), "value_range": list(self.value_range)}
