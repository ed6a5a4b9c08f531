"""Targets of a posterior, mapped from their prior's support onto the whole real line and back.

A target is a prior's name (``T_split``) or an expression of priors
(``T_split * f``, read by ``genomics.scenario.expressions``). Its support
[low, high] is the prior's (for an expression: ``value_range`` over the
priors' supports, exact when each prior appears once, else wider). A
density on the real line, mapped back, then puts every sample inside the
support. Per target, with s the logistic function s(t) = 1 / (1 + e^-t):

    linear scale (uniform, truncated normal; expressions whose support has low <= 0 or high / low < 100):
        u = (x - low) / (high - low)                    x = low + (high - low) s(t)
    log scale (log-uniform; positive expressions with high / low >= 100):
        u = (ln x - ln low) / (ln high - ln low)        x = exp(ln low + (ln high - ln low) s(t))
    then t = logit(u) = ln(u / (1 - u)), with u clipped to [1e-7, 1 - 1e-7].

For a log-uniform prior this is the logit of the scaled log: the log alone
would leave the upper bound open (a posterior sample above ``high``). A
target that is fixed (low = high) has no posterior to learn and is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy

from genomics.scenario import expressions
from genomics.scenario.priors import Fixed, LogUniform, Prior

EDGE = 1e-7          # u is clipped to [EDGE, 1 - EDGE] before the logit
LOG_SCALE_RATIO = 100.0  # an expression whose positive support spans this factor or more is handled on a log scale


class PosteriorTargetError(ValueError):
    """A target that cannot be estimated (unknown name, fixed value, unbounded support); one sentence."""


@dataclass
class ParameterSpace:
    """Per target: its expression, support [low, high] and scale ("log" or "linear")."""

    targets: list[str]
    low: list[float]
    high: list[float]
    scales: list[str]

    @classmethod
    def from_priors(cls, priors: dict[str, Prior], targets: list[str], where: str = "the scenario") -> "ParameterSpace":
        """The space of ``targets`` (prior names or expressions of them) under ``priors``."""
        if not targets:
            raise PosteriorTargetError(f"no targets were given; {where} has the priors {', '.join(priors)}")
        supports = {name: prior.support for name, prior in priors.items()}
        low, high, scales = [], [], []
        for target in targets:
            if not isinstance(target, str) or not target.strip():
                raise PosteriorTargetError(f"target {target!r} is not a prior name or an expression of priors")
            try:
                used = expressions.names_in(target, f"target {target!r}")
                unknown = sorted(used - set(priors))
                if unknown:
                    raise PosteriorTargetError(f"target {target!r} names {', '.join(unknown)}, which {where} has no "
                                               f"prior for; its priors: {', '.join(priors)}")
                if not used:
                    raise PosteriorTargetError(f"target {target!r} names no prior: it is a constant")
                lowest, highest = expressions.value_range(target, supports)
            except expressions.ScenarioError as error:
                raise PosteriorTargetError(f"target {target!r}: {error}") from None
            if not (math.isfinite(lowest) and math.isfinite(highest)):
                raise PosteriorTargetError(f"target {target!r} ranges over [{lowest}, {highest}] under the priors; "
                                           "a posterior target needs a bounded support")
            prior = priors.get(target)
            if isinstance(prior, Fixed) or lowest == highest:
                raise PosteriorTargetError(f"target {target!r} is fixed at {lowest:g} by the priors; there is no "
                                           "posterior to estimate")
            log_scale = isinstance(prior, LogUniform) if prior is not None else \
                bool(lowest > 0 and highest / lowest >= LOG_SCALE_RATIO)
            low.append(float(lowest))
            high.append(float(highest))
            scales.append("log" if log_scale else "linear")
        return cls(list(targets), low, high, scales)

    # ------------------------------------------------------------------ values
    def values(self, draws: list[dict]) -> numpy.ndarray:
        """(replicates, targets) natural values of the targets for each draw of the parameters."""
        return numpy.array([[expressions.evaluate(target, draw) for target in self.targets] for draw in draws],
                           dtype=float).reshape(len(draws), len(self.targets))

    def _bounds(self) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        is_log = numpy.array([scale == "log" for scale in self.scales])
        low, high = numpy.array(self.low), numpy.array(self.high)
        return is_log, numpy.where(is_log, numpy.log(numpy.where(is_log, low, 1.0)), low), \
            numpy.where(is_log, numpy.log(numpy.where(is_log, high, 1.0)), high)

    def to_unbounded(self, natural: numpy.ndarray) -> numpy.ndarray:
        """t = logit(u) for natural values (..., targets); values outside the support are an error naming one."""
        natural = numpy.asarray(natural, dtype=float)
        outside = (natural < numpy.array(self.low)) | (natural > numpy.array(self.high)) | ~numpy.isfinite(natural)
        if outside.any():
            index = tuple(numpy.argwhere(outside)[0])
            target = self.targets[index[-1]]
            raise PosteriorTargetError(f"target {target!r} has the value {float(natural[index]):g}, outside its "
                                       f"support "
                                       f"[{self.low[index[-1]]:g}, {self.high[index[-1]]:g}]")
        is_log, low, high = self._bounds()
        scaled = numpy.where(is_log, numpy.log(numpy.where(is_log, natural, 1.0)), natural)
        u = numpy.clip((scaled - low) / (high - low), EDGE, 1 - EDGE)
        return numpy.log(u) - numpy.log1p(-u)

    def to_natural(self, unbounded: numpy.ndarray) -> numpy.ndarray:
        """x from t (..., targets): always inside [low, high]."""
        is_log, low, high = self._bounds()
        t = numpy.asarray(unbounded, dtype=float)
        decay = numpy.exp(-numpy.abs(t))  # the logistic function without overflow: e^-|t| is at most 1
        u = numpy.where(t >= 0, 1 / (1 + decay), decay / (1 + decay))
        scaled = low + (high - low) * u
        natural = numpy.where(is_log, numpy.exp(numpy.where(is_log, scaled, 0.0)), scaled)  # exp of log targets only
        return numpy.clip(natural, self.low, self.high)  # rounding of exp(ln high) never steps outside

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict:
        return {"targets": self.targets, "low": self.low, "high": self.high, "scales": self.scales}

    @classmethod
    def from_dict(cls, settings: dict) -> "ParameterSpace":
        return cls(list(settings["targets"]), [float(v) for v in settings["low"]],
                   [float(v) for v in settings["high"]], list(settings["scales"]))
