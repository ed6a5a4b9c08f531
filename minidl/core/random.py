"""The one source of randomness for minidl: seed it once for reproducible runs.

>>> import minidl
>>> minidl.random.seed(42)   # dropout masks, initial weights, shuffling repeat exactly

Draws for arrays on a GPU (dropout masks) come from a cupy generator seeded
with the same value, so that they are made where they are used; a seeded GPU
run repeats itself, but its masks differ from a CPU run's.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy

_generator = numpy.random.default_rng()
_seed: int | None = None
_device_generator: Any = None


def seed(value: int | None) -> None:
    """Restart minidl's random streams from ``value`` (None: fresh entropy)."""
    global _generator, _seed, _device_generator
    _generator = numpy.random.default_rng(value)
    _seed, _device_generator = value, None


def generator() -> numpy.random.Generator:
    """The generator every random draw in minidl uses unless it is given its own."""
    return _generator


def generator_for(xp: ModuleType) -> Any:
    """minidl's generator for arrays of the module ``xp``: the numpy one, or a cupy one on the GPU."""
    global _device_generator
    if xp is numpy:
        return _generator
    if _device_generator is None:
        _device_generator = xp.random.default_rng(_seed)
    return _device_generator
