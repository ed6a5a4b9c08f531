"""Preprocessing layers that run inside a model: Rescaling, Normalization, Resizing, CenterCrop, CategoryEncoding.

    Rescaling       y = x * scale + offset
    Normalization   y = (x - mean) / max(sqrt(variance), 1e-7)   (invert: y = mean + x * max(sqrt(variance), 1e-7))
    Resizing        images (batch, height, width, channels) resampled to (height, width), as tf.image.resize
    CenterCrop      the central (height, width) window (resized up first where the image is smaller, as Keras)
    CategoryEncoding  integer ids as one-hot, multi-hot or count vectors

Normalization's mean and variance are given, or learnt by ``adapt(data)``
(per position along ``axis``, counted with the batch axis as Keras counts
it; over every other axis). Adapted, they are non-trainable weights
``mean``, ``variance`` and ``count``, saved with the model as Keras saves them.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import functional as F
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.image import INTERPOLATIONS, resize
from minidl.layers.base import Layer, check_positive_int

EPSILON = 1e-7  # Keras's backend.epsilon()


class Rescaling(Layer):
    """y = x * scale + offset (``Rescaling(1.0 / 255)`` maps pixels to [0, 1]); scale and offset may be per channel."""

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, x: Tensor, training: bool) -> Tensor:
        xp = backend.get_array_module(x.data)
        dtype = x.dtype if x.dtype.kind == "f" else self.dtype
        x = x if x.dtype == dtype else Tensor(x.data.astype(dtype))
        return x * Tensor(xp.asarray(self.scale, dtype=dtype)) + Tensor(xp.asarray(self.offset, dtype=dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Feature-wise standardisation with a given or adapted mean and variance (module docstring)."""

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: give both mean and variance, or neither (then call adapt); got "
                             f"mean={mean!r} and variance={variance!r}")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def _kept_axes(self, input_shape: tuple) -> tuple:
        ndim = len(input_shape) + 1  # with the batch axis, as Keras counts axis
        if any(not -ndim < axis < ndim or axis % ndim == 0 for axis in self.axis):
            raise ValueError(f"layer {self.label!r}: Normalization axis {self.axis} must name axes of inputs of "
                             f"shape {(None, *input_shape)} other than the batch axis")
        kept = tuple(sorted(axis % ndim for axis in self.axis))
        if any(input_shape[axis - 1] is None for axis in kept):
            raise ValueError(f"layer {self.label!r}: the axes {kept} of inputs {(None, *input_shape)} must have "
                             "known sizes")
        return kept

    def build(self, input_shape: tuple) -> None:
        kept = self._kept_axes(tuple(input_shape))
        self._broadcast_shape = (1,) + tuple(input_shape[axis - 1] if axis in kept else 1
                                             for axis in range(1, len(input_shape) + 1))
        shape = tuple(input_shape[axis - 1] for axis in kept)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones", name="variance", trainable=False)
            self.count = self.add_weight(shape=(), initializer="zeros", name="count", trainable=False)

    def adapt(self, data: Any) -> None:
        """Learn the mean and (population) variance of ``data`` (an array, or an iterable of batches)."""
        batches = [numpy.asarray(data)] if hasattr(data, "shape") else [numpy.asarray(b[0] if isinstance(
            b, tuple) else b) for b in data]
        if not batches or batches[0].ndim < 1:
            raise ValueError(f"layer {self.label!r}: adapt needs a batch of samples, got {type(data).__name__}")
        values = numpy.concatenate(batches).astype(numpy.float64)
        if values.ndim == 1:
            values = values[:, None]
        if not self.built:
            self.ensure_built(values.shape[1:])
        if self.input_mean is not None:
            raise ValueError(f"layer {self.label!r} was given its mean and variance; adapt would replace them")
        kept = self._kept_axes(values.shape[1:])
        reduced = tuple(axis for axis in range(values.ndim) if axis not in kept)
        self.adapt_mean.data[...] = values.mean(axis=reduced).reshape(self.adapt_mean.shape)
        self.adapt_variance.data[...] = values.var(axis=reduced).reshape(self.adapt_variance.shape)
        self.count.data[...] = values.shape[0]

    def _statistics(self, like: Any) -> tuple:
        xp = backend.get_array_module(like)
        if self.input_mean is None:
            mean, variance = self.adapt_mean.data, self.adapt_variance.data
        else:
            mean, variance = numpy.asarray(self.input_mean), numpy.asarray(self.input_variance)
        shape = self._broadcast_shape
        if numpy.ndim(mean) > 0:  # its axes are the kept ones, aligned from the right (Keras's build)
            kept = sorted(axis % len(shape) for axis in self.axis)
            expanded = [1] * len(shape)
            for position, size in zip(kept[::-1], numpy.shape(mean)[::-1]):
                expanded[position] = size
            mean, variance = numpy.reshape(mean, expanded), numpy.reshape(variance, expanded)
        dtype = like.dtype
        return (xp.asarray(numpy.broadcast_to(mean, shape), dtype=dtype),
                xp.asarray(numpy.maximum(numpy.sqrt(numpy.broadcast_to(variance, shape)), EPSILON), dtype=dtype))

    def call(self, x: Tensor, training: bool) -> Tensor:
        x = x if x.dtype.kind == "f" else Tensor(x.data.astype(self.dtype))
        mean, std = self._statistics(x.data)
        if self.invert:
            return x * Tensor(std) + Tensor(mean)
        return (x - Tensor(mean)) * Tensor(1 / std)

    def get_config(self) -> dict:
        plain = (lambda value: value.tolist() if isinstance(value, numpy.ndarray) else value)
        return {**super().get_config(), "axis": list(self.axis), "mean": plain(self.input_mean),
                "variance": plain(self.input_variance), "invert": self.invert}


class Resizing(Layer):
    """Images (batch, height, width, channels) resized to (height, width), "bilinear" or "nearest", as Keras
    (TensorFlow's half-pixel centres; ``crop_to_aspect_ratio`` first takes the central window of the target's
    aspect ratio)."""

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, **kwargs: Any) -> None:
        for name, value, neutral in (("pad_to_aspect_ratio", pad_to_aspect_ratio, False),
                                     ("antialias", antialias, False), ("fill_mode", fill_mode, "constant"),
                                     ("fill_value", fill_value, 0.0),
                                     ("data_format", data_format or "channels_last", "channels_last")):
            if value != neutral:
                raise ValueError(f"Resizing: {name}={value!r} is not supported by minidl (only {neutral!r})")
        super().__init__(**kwargs)
        self.height = check_positive_int("Resizing", "height", height)
        self.width = check_positive_int("Resizing", "width", width)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        self.interpolation, self.crop_to_aspect_ratio = interpolation, bool(crop_to_aspect_ratio)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 3:
            raise ValueError(f"layer {self.label!r}: images must be (height, width, channels) per sample, got "
                             f"{tuple(input_shape)}")
        return (self.height, self.width, input_shape[-1])

    def call(self, x: Tensor, training: bool) -> Tensor:
        if self.crop_to_aspect_ratio:
            x = central_window(x, self.height, self.width)
        return resize(x, self.height, self.width, self.interpolation)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio}


def central_window(x: Tensor, target_height: int, target_width: int) -> Tensor:
    """The largest central window of ``x`` (batch, height, width, channels) with the target's aspect ratio,
    its sizes truncated as Keras's ``smart_resize`` truncates them."""
    height, width = x.shape[1], x.shape[2]
    window_height = max(min(height, int(width * target_height / target_width)), 1)
    window_width = max(min(width, int(height * target_width / target_height)), 1)
    top, left = int((height - window_height) / 2), int((width - window_width) / 2)
    return F.getitem(x, (slice(None), slice(top, top + window_height), slice(left, left + window_width)))


class CenterCrop(Layer):
    """The central (height, width) window of each image; an image smaller than that is first resized
    (its central window of the target's aspect ratio, bilinear), as Keras's CenterCrop."""

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any) -> None:
        if data_format not in (None, "channels_last"):
            raise ValueError("CenterCrop: minidl's images are channels-last")
        super().__init__(**kwargs)
        self.height = check_positive_int("CenterCrop", "height", height)
        self.width = check_positive_int("CenterCrop", "width", width)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return Resizing.compute_output_shape(self, input_shape)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if x.shape[1] < self.height or x.shape[2] < self.width:
            return resize(central_window(x, self.height, self.width), self.height, self.width)
        top, left = (x.shape[1] - self.height) // 2, (x.shape[2] - self.width) // 2
        return F.getitem(x, (slice(None), slice(top, top + self.height), slice(left, left + self.width)))

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}


class CategoryEncoding(Layer):
    """Integer ids -> one-hot, multi-hot or count vectors of ``num_tokens``, Keras's ``CategoryEncoding``.

    One sample of ids ``(k,)`` gives ``(num_tokens,)``: "multi_hot" 1 where
    an id occurs, "count" how often, "one_hot" (k, num_tokens) (``(num_tokens,)``
    for k = 1). As in Keras, a 1-D array of ids called directly is one sample
    for "multi_hot" and "count" (one vector) and a batch of single ids for
    "one_hot". Ids must lie in [0, num_tokens). The output is float32 and
    carries no gradient (ids are not differentiable).
    """

    MODES = ("multi_hot", "one_hot", "count")

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode  # Keras's old name
        if output_mode not in self.MODES:
            raise ValueError(f"CategoryEncoding: output_mode must be one of {self.MODES}, got {output_mode!r}")
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set (the number of distinct ids)")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported (minidl's tensors are dense)")
        self.num_tokens = check_positive_int("CategoryEncoding", "num_tokens", num_tokens)
        self.output_mode, self.sparse = output_mode, False

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "count" and len(input_shape) > 1:
            raise ValueError(f"layer {self.label!r}: output_mode='count' takes ids of shape (k,) per sample, got "
                             f"{input_shape}")
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and input_shape[-1] != 1:
            return input_shape + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def call(self, x: Tensor, training: bool) -> Tensor:
        ids = x.data
        xp = backend.get_array_module(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens or xp.any(ids != xp.round(ids))):
            raise ValueError(f"layer {self.label!r}: ids must be integers in [0, {self.num_tokens}), got values "
                             f"from {ids.min()} to {ids.max()}")
        ids = ids.astype(xp.int64)
        if self.output_mode == "one_hot" and ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        one_hot = xp.eye(self.num_tokens, dtype=self.dtype)[ids]  # (..., k, num_tokens)
        if self.output_mode == "one_hot":
            return Tensor(one_hot)
        counts = one_hot.sum(axis=-2)
        return Tensor(counts if self.output_mode == "count" else xp.minimum(counts, 1).astype(self.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": False}
