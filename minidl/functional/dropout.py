"""Inverted dropout.

Training: y = x * m / (1 - rate), m_i ~ Bernoulli(1 - rate), so E[y] = x.
Inference: y = x.  dL/dx = gy * m / (1 - rate).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl.core import random as minidl_random
from minidl.autodiff.function import Function, as_tensor
from minidl.kernels import accelerated
from minidl.autodiff.tensor import Tensor


def mask_values(keep: Any, rate: float, dtype: Any) -> Any:
    """The mask: 1 / (1 - rate) where kept, 0 where dropped, in ``dtype``."""
    return keep.astype(dtype) / dtype.type(1 - rate)


@accelerated
def dropout_forward(x: Any, u: Any, rate: float) -> tuple:
    """(y, keep): keep = u >= rate, y = x * mask. ``u`` has x's shape (a compiled loop makes both in one pass)."""
    keep = u >= rate
    return x * mask_values(keep, rate, x.dtype), keep


@accelerated
def dropout_backward(gy: Any, keep: Any, rate: float) -> Any:
    """dL/dx = gy * mask."""
    return gy * mask_values(keep, rate, gy.dtype)


class Dropout(Function):
    """y = x * mask with mask = Bernoulli(1 - rate) / (1 - rate);  dL/dx = gy * mask.

    The draw: u uniform on [0, 1), one per element (``generator.random``), kept where u >= rate.
    The mask is stored as one byte per element (kept or not) and scaled when used.
    With ``noise_shape`` the mask has that shape (1 along the axes where it
    broadcasts): one draw per channel drops whole feature maps (SpatialDropout).
    """

    def __init__(self, rate: float, generator: numpy.random.Generator | None, noise_shape: tuple | None = None) -> None:
        self.rate, self.generator, self.noise_shape = rate, generator, noise_shape

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        generator = self.generator or minidl_random.generator_for(xp)  # minidl's own: on x's device
        u = backend.uniform(generator, self.noise_shape or x.shape, x)
        if self.noise_shape is None or tuple(self.noise_shape) == x.shape:
            y, self.keep = dropout_forward(x, u, self.rate)
            return y
        self.keep = u >= self.rate                                    # broadcast over x
        return x * mask_values(self.keep, self.rate, x.dtype)

    def backward(self, gy: Any) -> Any:
        if self.keep.shape == gy.shape:
            return dropout_backward(gy, self.keep, self.rate)
        return gy * mask_values(self.keep, self.rate, gy.dtype)


def dropout(
    x: Any, rate: float, training: bool = True, generator: numpy.random.Generator | None = None,
    noise_shape: Any = None,
) -> Tensor:
    """Zero each element with probability ``rate`` in training, scaling the rest by 1 / (1 - rate).

    ``noise_shape`` (None entries: the input's size) shapes the mask, so that
    elements along its axes of size 1 are dropped together. ``generator``
    (a numpy Generator) fixes the mask; by default the draw
    comes from ``minidl.random`` (on the GPU for GPU data), so
    ``minidl.random.seed`` makes it repeat.
    """
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    x = as_tensor(x)
    if not training or rate == 0:
        return x
    if noise_shape is not None:
        noise_shape = tuple(x.shape[axis] if size is None else int(size) for axis, size in enumerate(noise_shape))
        if len(noise_shape) != x.ndim or any(n not in (1, s) for n, s in zip(noise_shape, x.shape)):
            raise ValueError(f"dropout: noise_shape {noise_shape} does not broadcast to the input's shape {x.shape}")
    return Dropout(rate, generator, noise_shape)(x)
