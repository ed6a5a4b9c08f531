"""The one source of randomness for minidl: seed it once for reproducible runs.

>>> import minidl
>>> minidl.random.seed(42)   # dropout masks, initial weights, shuffling repeat exactly
"""

from __future__ import annotations

import numpy

_generator = numpy.random.default_rng()


def seed(value: int | None) -> None:
    """Restart minidl's random stream from ``value`` (None: fresh entropy)."""
    global _generator
    _generator = numpy.random.default_rng(value)


def generator() -> numpy.random.Generator:
    """The generator every random draw in minidl uses unless it is given its own."""
    return _generator
