"""Layers that move, copy or trim elements: Reshape, Permute, RepeatVector, padding, cropping, upsampling.

All channels-last, shapes per sample (the batch axis is left alone). None
has weights or arithmetic: each calls one differentiable function of
``functional/shape.py`` whose backward moves the gradient back to where
each element came from (and sums it over copies, for RepeatVector and
UpSampling).
"""

from __future__ import annotations

import math
from typing import Any

from minidl import functional as F
from minidl.layers.base import Layer, check_positive_int
from minidl.autodiff.tensor import Tensor


class Reshape(Layer):
    """(batch, *in) -> (batch, *target_shape); one entry of ``target_shape`` may be -1 (inferred)."""

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target = (target_shape,) if isinstance(target_shape, int) else tuple(target_shape)
        if sum(1 for size in target if size == -1) > 1 or any(
                not isinstance(size, int) or (size < 1 and size != -1) for size in target):
            raise ValueError(f"Reshape: target_shape must hold positive ints and at most one -1, got {target_shape!r}")
        self.target_shape = tuple(int(size) for size in target)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if any(size is None for size in input_shape):
            if -1 in self.target_shape:
                raise ValueError(f"layer {self.label!r}: cannot infer -1 for an input of unknown size {input_shape}")
            return self.target_shape
        count = math.prod(input_shape)
        known = math.prod(size for size in self.target_shape if size != -1)
        if -1 in self.target_shape:
            if count % known:
                raise ValueError(f"layer {self.label!r}: an input of shape {input_shape} ({count} elements) cannot "
                                 f"be reshaped to {self.target_shape}")
            return tuple(count // known if size == -1 else size for size in self.target_shape)
        if known != count:
            raise ValueError(f"layer {self.label!r}: an input of shape {input_shape} ({count} elements) cannot be "
                             f"reshaped to {self.target_shape} ({known} elements)")
        return self.target_shape

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.reshape(x, (x.shape[0],) + self.target_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Reorder the axes of each sample: ``dims`` is a permutation of 1..rank (1 is the first axis after the batch)."""

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(dims)}, got {dims!r}")
        self.dims = dims

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != len(self.dims):
            raise ValueError(f"layer {self.label!r}: Permute{self.dims} needs inputs of {len(self.dims)} axes per "
                             f"sample, got shape {input_shape}")
        return tuple(input_shape[axis - 1] for axis in self.dims)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.transpose(x, (0,) + self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the vector copied ``n`` times."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = check_positive_int("RepeatVector", "n", n)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 1:
            raise ValueError(f"layer {self.label!r}: RepeatVector takes (batch, features), got a sample shape "
                             f"{input_shape}")
        return (self.n, input_shape[0])

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.broadcast_to(F.reshape(x, (x.shape[0], 1, x.shape[1])), (x.shape[0], self.n, x.shape[1]))

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


def _pairs(value: Any, rank: int, what: str) -> tuple:
    """Keras's forms of padding/cropping: an int, one int per axis, or one (before, after) pair per axis."""
    if isinstance(value, int):
        pairs = ((value, value),) * rank
    elif rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        pairs = (tuple(value),)
    elif len(value) == rank and all(isinstance(v, int) for v in value):
        pairs = tuple((v, v) for v in value)
    elif len(value) == rank and all(len(v) == 2 for v in value):
        pairs = tuple(tuple(v) for v in value)
    else:
        raise ValueError(f"{what}: expected an int, {rank} ints or {rank} (before, after) pairs, got {value!r}")
    if any(not isinstance(v, int) or v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{what}: sizes must be ints >= 0, got {value!r}")
    return tuple((int(a), int(b)) for a, b in pairs)


def _channels_last(what: str, data_format: Any) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{what}: only data_format='channels_last' is supported (minidl is channels-last), "
                         f"got {data_format!r}")


class _Spatial(Layer):
    """Base of the layers acting on the ``rank`` spatial axes of (batch, *spatial, channels)."""

    rank = 1

    def _check_rank(self, input_shape: tuple) -> None:
        if len(input_shape) != self.rank + 1:
            layout = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
            raise ValueError(f"layer {self.label!r}: inputs must be {layout} per sample, got shape {input_shape}")


class _ZeroPadding(_Spatial):
    def __init__(self, padding: Any = 1, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _channels_last(type(self).__name__, data_format)
        self.padding = _pairs(padding, self.rank, f"{type(self).__name__} padding")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        spatial = tuple(None if size is None else size + a + b for size, (a, b) in zip(input_shape, self.padding))
        return spatial + (input_shape[-1],)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.pad(x, ((0, 0), *self.padding, (0, 0)))

    def get_config(self) -> dict:
        pairs = [list(pair) for pair in self.padding]
        return {**super().get_config(), "padding": pairs[0] if self.rank == 1 else pairs}  # Keras's layout


class ZeroPadding1D(_ZeroPadding):
    """(batch, length, channels): zeros added before and after along the length."""

    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """(batch, height, width, channels): rows of zeros above and below, columns left and right."""

    rank = 2


class _Cropping(_Spatial):
    def __init__(self, cropping: Any = 1, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _channels_last(type(self).__name__, data_format)
        self.cropping = _pairs(cropping, self.rank, f"{type(self).__name__} cropping")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        spatial = []
        for size, (a, b) in zip(input_shape, self.cropping):
            if size is not None and a + b >= size:
                raise ValueError(f"layer {self.label!r}: cropping {self.cropping} leaves nothing of an input of "
                                 f"shape {input_shape}")
            spatial.append(None if size is None else size - a - b)
        return tuple(spatial) + (input_shape[-1],)

    def call(self, x: Tensor, training: bool) -> Tensor:
        index = (slice(None),) + tuple(slice(a, size - b) for (a, b), size in zip(self.cropping, x.shape[1:]))
        return F.getitem(x, index)

    def get_config(self) -> dict:
        pairs = [list(pair) for pair in self.cropping]
        return {**super().get_config(), "cropping": pairs[0] if self.rank == 1 else pairs}  # Keras's layout


class Cropping1D(_Cropping):
    """(batch, length, channels): ``cropping`` (before, after) steps removed from the length."""

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """(batch, height, width, channels): rows removed top and bottom, columns left and right."""

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), **kwargs: Any) -> None:
        super().__init__(cropping, **kwargs)


class UpSampling1D(_Spatial):
    """(batch, length, channels) -> (batch, size * length, channels): each step repeated ``size`` times."""

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = check_positive_int("UpSampling1D", "size", size)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        return (None if input_shape[0] is None else input_shape[0] * self.size, input_shape[1])

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.repeat(x, self.size, axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_Spatial):
    """(batch, h, w, channels) -> (batch, size[0] h, size[1] w, channels): nearest-neighbour copies."""

    rank = 2

    def __init__(self, size: Any = (2, 2), data_format: Any = None, interpolation: str = "nearest",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _channels_last("UpSampling2D", data_format)
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: only interpolation='nearest' is supported, got {interpolation!r}")
        pair = (size, size) if isinstance(size, int) else tuple(size)
        self.size = tuple(check_positive_int("UpSampling2D", "size", s) for s in pair)
        self.interpolation = interpolation

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        spatial = tuple(None if n is None else n * s for n, s in zip(input_shape, self.size))
        return spatial + (input_shape[-1],)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.repeat(F.repeat(x, self.size[0], axis=1), self.size[1], axis=2)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": list(self.size), "interpolation": self.interpolation}
