"""Prior distributions of scenario parameters, each drawn with an explicit numpy Generator.

A prior is written in Python or TOML as a number (fixed) or a one-key table::

    N = { log_uniform = [1e3, 1e5] }
    T = { uniform = [100, 5000] }
    m = { truncated_normal = [1e-4, 5e-5, 0, 1e-3] }   # mean, sd, low, high
    mu = 1.25e-8                                        # fixed
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy


class Prior:
    def draw(self, generator: numpy.random.Generator) -> float:
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        return (self.low, self.high)

    def to_spec(self) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Fixed(Prior):
    value: float

    def draw(self, generator: numpy.random.Generator) -> float:
        return float(self.value)

    @property
    def support(self) -> tuple[float, float]:
        return (float(self.value), float(self.value))

    def to_spec(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Uniform(Prior):
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"uniform prior needs low < high, got [{self.low}, {self.high}]")

    def draw(self, generator: numpy.random.Generator) -> float:
        return float(generator.uniform(self.low, self.high))

    def to_spec(self) -> Any:
        return {"uniform": [self.low, self.high]}


@dataclass(frozen=True)
class LogUniform(Prior):
    """Uniform on the log scale: every order of magnitude between low and high is equally likely."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high:
            raise ValueError(f"log_uniform prior needs 0 < low < high, got [{self.low}, {self.high}]")

    def draw(self, generator: numpy.random.Generator) -> float:
        return float(math.exp(generator.uniform(math.log(self.low), math.log(self.high))))

    def to_spec(self) -> Any:
        return {"log_uniform": [self.low, self.high]}


@dataclass(frozen=True)
class TruncatedNormal(Prior):
    """Normal(mean, sd) restricted to [low, high], drawn by rejection."""

    mean: float
    sd: float
    low: float
    high: float

    def __post_init__(self) -> None:
        if not (self.sd > 0 and self.low < self.high):
            raise ValueError(f"truncated_normal prior needs sd > 0 and low < high, got {self}")

    def draw(self, generator: numpy.random.Generator) -> float:
        for _ in range(100_000):
            value = generator.normal(self.mean, self.sd)
            if self.low <= value <= self.high:
                return float(value)
        raise ValueError(f"truncated_normal prior {self} keeps almost no mass inside its bounds")

    def to_spec(self) -> Any:
        return {"truncated_normal": [self.mean, self.sd, self.low, self.high]}


KINDS = {"uniform": (Uniform, 2), "log_uniform": (LogUniform, 2), "truncated_normal": (TruncatedNormal, 4),
         "fixed": (Fixed, 1)}


def from_spec(spec: Any, name: str = "prior") -> Prior:
    """A prior from a number or a one-key table such as ``{"log_uniform": [1e3, 1e5]}``."""
    if isinstance(spec, Prior):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        if not math.isfinite(spec):
            raise ValueError(f"prior {name!r}: a fixed value must be a finite number, got {spec!r}")
        return Fixed(float(spec))
    if isinstance(spec, dict) and len(spec) == 1:
        (kind, arguments), = spec.items()
        if kind not in KINDS:
            raise ValueError(f"prior {name!r}: unknown distribution {kind!r}; valid: {', '.join(sorted(KINDS))}")
        cls, count = KINDS[kind]
        arguments = arguments if isinstance(arguments, (list, tuple)) else [arguments]
        if len(arguments) != count or not all(isinstance(a, (int, float)) and not isinstance(a, bool)
                                              and math.isfinite(a) for a in arguments):
            raise ValueError(f"prior {name!r}: {kind} expects {count} numbers, each finite, got {arguments!r}")
        return cls(*map(float, arguments))
    raise ValueError(
        f"prior {name!r}: expected a number or a table with one of {', '.join(sorted(KINDS))}, got {spec!r}"
    )
