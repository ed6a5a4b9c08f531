"""Inverted dropout.

Training: y = x * m / (1 - rate), m_i ~ Bernoulli(1 - rate), so E[y] = x.
Inference: y = x.  dL/dx = gy * m / (1 - rate).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import backend
from minidl import random as minidl_random
from minidl.function import Function, as_tensor
from minidl.tensor import Tensor


class Dropout(Function):
    """y = x * mask with mask = Bernoulli(1 - rate) / (1 - rate);  dL/dx = gy * mask."""

    def __init__(self, rate: float, generator: numpy.random.Generator | None) -> None:
        self.rate, self.generator = rate, generator

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        generator = self.generator or minidl_random.generator_for(xp)  # minidl's own: on x's device
        keep = xp.asarray(generator.random(x.shape) >= self.rate)
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)
        return x * self.mask

    def backward(self, gy: Any) -> Any:
        return gy * self.mask


def dropout(
    x: Any, rate: float, training: bool = True, generator: numpy.random.Generator | None = None
) -> Tensor:
    """Zero each element with probability ``rate`` in training, scaling the rest by 1 / (1 - rate).

    ``generator`` (a numpy Generator) fixes the mask; by default the draw
    comes from ``minidl.random`` (on the GPU for GPU data), so
    ``minidl.random.seed`` makes it repeat.
    """
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    x = as_tensor(x)
    if not training or rate == 0:
        return x
    return Dropout(rate, generator)(x)
