"""Recalibrating a posterior's marginals by an empirical quantile map of the PIT, and the choice of map.

The probit-affine map (``posterior_recalibration``) fits z = Phi^-1(PIT) as
N(m, s^2): a shift and a scale. A posterior too wide in its middle and
right in its tails has a PIT whose probit is not normal, and two parameters
cannot bend the middle and the tails apart. This map is the isotonic
recalibration of Kuleshov, Fenner and Ermon (2018) written as a monotone
quantile map in probit coordinates: per target, with G the CDF of the PITs
u_i = F(theta_i | x_i) on the calibration simulations (``Probits``: a
randomised PIT), the recalibrated posterior has the CDF G(F(theta | x)) and
draws F^-1(G^-1(v)) at the ranks v = (r + 1/2) / L, mapped by the same
rank-, support- and tail-keeping mechanics (``quantile_map``).

G^-1 is smoothed, and strictly increasing: in probit coordinates,
t = Phi^-1(v) and z = Phi^-1(u), the quantile function z(t) = Phi^-1(G^-1(Phi(t)))
is piecewise linear with knots t_k every ``KNOT_STEP`` = 0.5 in [-T, T]
(T = 2.5 at most, and no further out than leaves ``TAIL_COUNT`` = 10
simulations beyond each outer knot: T = 2 for 500 to 1,600 simulations),
fitted by least squares to the probit Q-Q plot (t_i = Phi^-1((i - 1/2) / n),
z_(i)), i = 1..n. Each knot's value is an average of the order statistics
within +-0.5 of it, so the map is smoother than the ECDF, and with no
interior knot it would be the probit-affine line m + s t. Past the outer
knots z(t) goes on with the slope s of the censored normal fit, the tails
as the probit-affine map extends them; a truth outside all L draws (rank 0
or L: censored, z only known to lie beyond Phi^-1(1 / (L + 1))) enters the
Q-Q plot at its quantile of the censored normal fit N(m, s^2) truncated
beyond that bound, so a posterior much too narrow is widened as the
probit-affine map would widen it. A slope below ``SLOPE_FLOOR`` is raised
to it (isotonic: G stays strictly increasing).

The map's own error is the ECDF's: G at a level p is estimated with sd
sqrt(p (1 - p) / n) from n calibration simulations, and the coverage a of a
central interval after the map errs by sqrt(a (1 - a) / n): 0.022, 0.016,
0.010 at a = 0.5 and 0.010, 0.007, 0.004 at a = 0.95 for n = 500, 1,000,
2,500 (the knots' averaging takes a little off). So 0.03 is 1.4 sd of the
map's own error at 50% with 500 simulations, 3 sd with 2,500. The
probit-affine map's error at 50% is about 0.30 / sqrt(n) (two parameters),
but it keeps its bias where the PIT's probit is not normal. Below
``EMPIRICAL_FEWEST`` = 500 simulations (ECDF sd at 50% above 0.022, the size
of the shape errors measured) ``fit_recalibration`` falls back to the
probit-affine map.

A held-out test of M simulations sees the map's error on top of its own:
a bin of probability p has a count variance M p (1 - p) (1 + M / n), so the
SBC chi-square on B bins has an expectation near (B - 1)(1 + M / n) for an
unbiased empirical map: 31.5 for M = 2,500, n = 1,000 and B = 10, where the
test's critical value at 0.05 / 7 is 21.7. The stated SBC test at 2,500
held-out simulations can reject an unbiased map fitted on 1,000.

Which map: "auto" (the default) fits the empirical map from
``AUTO_EMPIRICAL_FROM`` = 2,000 simulations for the map and the
probit-affine one below. Measured (``benchmarks.posterior_coverage``, both
maps fitted on the same draws): with about 1,000 simulations the two tie,
with 2,500 the empirical map wins; on an exactly calibrated posterior
(``benchmarks.recalibration_noise``) the empirical map's own noise makes the
stated SBC test reject far more often than the probit-affine map's below
about 2,000, so there its noise costs more than the shape it corrects.

Where the map is fitted: not on the validation split where it can be
avoided. Early stopping picked the weights on that split, and there the raw
posterior covers more than on fresh simulations (and can pass SBC there
while it fails on fresh ones), so a map fitted on it under-corrects.
``PosteriorSettings.recalibration_fraction`` holds a share of the
simulations out of training and of early stopping for the map alone; by
default (None) ``RECALIBRATION_SHARE`` = 0.3 where that leaves
``RECALIBRATION_FEWEST`` = 2,000 simulations (so "auto" fits the empirical
map), else none, and the map is fitted on the validation split as before
(``recalibration_count``; ``split_sentence`` says which, and how many).
The raw posterior's rank histograms on that split agree with held-out ones
where the validation split's do not. Every figure (coverage, SBC, the noise
floor per split size) is in benchmarks/RESULTS.md, "Posteriors recalibrated
on a split no network saw".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy

from genomics.learning.posterior_recalibration import (FEWEST_SIMULATIONS, SCALE_BOUNDS, ProbitRecalibration, Probits,
                                                       check_calibration_input, normal_cdf, normal_quantile,
                                                       quantile_map)

#: the maps by name, as saved: the empirical quantile map of this module and the probit-affine one
MAPS = ("empirical", "probit-affine")
#: what may be asked for: a map, or "auto" (empirical from ``AUTO_EMPIRICAL_FROM`` simulations, else probit-affine)
METHODS = ("auto",) + MAPS
#: fewest calibration simulations the empirical map is fitted on; below, ``fit_recalibration`` fits probit-affine
EMPIRICAL_FEWEST = 500
#: "auto" fits the empirical map from this many calibration simulations (see ``DEFAULT_METHOD``)
AUTO_EMPIRICAL_FROM = 2000
#: spacing of the knots in probit scale, the outermost knot allowed, and the simulations left beyond it
KNOT_STEP, KNOT_LIMIT, TAIL_COUNT = 0.5, 2.5, 10
#: the least slope of z(t) between knots (isotonic: G strictly increasing)
SLOPE_FLOOR = SCALE_BOUNDS[0]
#: the map fitted by default, decided by measurement (module docstring, "Which map")
DEFAULT_METHOD = "auto"
#: default share of the simulations held out for the map alone, and the fewest that share must hold ("Where")
RECALIBRATION_SHARE, RECALIBRATION_FEWEST = 0.3, 2000


def recalibration_count(fraction: float | None, simulations: int) -> int:
    """How many of ``simulations`` are held out for the map alone (0: it is fitted on the validation split);
    ``fraction`` None: ``RECALIBRATION_SHARE`` where that makes ``RECALIBRATION_FEWEST``, else 0."""
    if fraction is not None:
        return int(round(fraction * simulations))
    count = int(round(RECALIBRATION_SHARE * simulations))
    return count if count >= RECALIBRATION_FEWEST else 0


def split_sentence(split: dict | None) -> str:
    """Which simulations a map was fitted on, from {"split", "simulations"} (None: a file from before the split)."""
    if split is None:
        return "the map was fitted on the validation split (a file written before the recalibration split)"
    if split["split"] == "recalibration":
        return (f"the map was fitted on {split['simulations']} simulations held out of training and of early "
                "stopping (the recalibration split)")
    return (f"the map was fitted on the {split['simulations']} validation simulations, which early stopping also "
            f"used: no recalibration split (--recalibration-fraction 0, or {RECALIBRATION_SHARE:.0%} of the "
            f"simulations would be fewer than {RECALIBRATION_FEWEST})")


def knots_for(simulations: int) -> numpy.ndarray:
    """Knots t_k = -T, -T + 0.5, ..., T with Phi(-T) n >= ``TAIL_COUNT`` (T <= ``KNOT_LIMIT``; T >= 0.5)."""
    outer = min(KNOT_LIMIT, -float(normal_quantile(min(TAIL_COUNT / simulations, 0.3))))
    outer = max(KNOT_STEP, math.floor(outer / KNOT_STEP) * KNOT_STEP)
    return numpy.arange(-outer, outer + KNOT_STEP / 2, KNOT_STEP)


def hat_basis(t: numpy.ndarray, knots: numpy.ndarray) -> numpy.ndarray:
    """(points, knots) weights of linear interpolation between knots at points t; 1 on the outer knot beyond it."""
    basis = numpy.zeros((len(t), len(knots)))
    for k in range(len(knots)):
        unit = numpy.zeros(len(knots))
        unit[k] = 1.0
        basis[:, k] = numpy.interp(t, knots, unit)
    return basis


def filled_probits(probits: Probits, target: int, shift: float, scale: float) -> numpy.ndarray:
    """One target's z with each censored value replaced by a quantile of N(shift, scale^2) truncated beyond its
    bound: below ``low`` the nb censored take levels Phi((low - m) / s) (k + 1/2) / nb, k = 0..nb - 1 (above:
    mirrored)."""
    z = probits.z[:, target].copy()
    for mask, bound, side in ((probits.below[:, target], probits.low, -1), (probits.above[:, target], probits.high, 1)):
        count = int(mask.sum())
        if count:
            tail = max(float(normal_cdf(numpy.array(side * (shift - bound) / scale))), 1e-300)  # P(beyond the bound)
            levels = tail * (numpy.arange(count) + 0.5) / count
            z[mask] = shift + side * scale * -normal_quantile(levels)
    return z


@dataclass
class EmpiricalRecalibration:
    """Per target the quantile map z(t) of the PIT in probit coordinates: its values at ``knots`` (``positions``)
    and its slope past the outer knots (``tail_scale``), fitted on ``simulations`` simulations."""

    targets: list[str]
    knots: list[float]
    positions: list[list[float]]
    tail_scale: list[float]
    simulations: int

    @classmethod
    def fit(cls, samples: numpy.ndarray, true: numpy.ndarray, targets: list[str],
            seed: int = 0) -> "EmpiricalRecalibration":
        """The map from posterior draws (simulations, L, targets) and true values (simulations, targets)."""
        samples, true = check_calibration_input(samples, true, targets)
        count = samples.shape[0]
        if count < EMPIRICAL_FEWEST:
            raise ValueError(f"{count} simulations are too few for the empirical recalibration (at least "
                             f"{EMPIRICAL_FEWEST}); fit the probit-affine one")
        probits = Probits.of(samples, true, seed)
        knots = knots_for(count)
        plotting = normal_quantile((numpy.arange(count) + 0.5) / count)
        basis = hat_basis(plotting, knots)
        positions, scales = [], []
        for j in range(len(targets)):
            shift, scale = probits.normal_fit(j)
            z = numpy.sort(filled_probits(probits, j, shift, scale))
            beyond = numpy.minimum(plotting - knots[0], 0) + numpy.maximum(plotting - knots[-1], 0)
            values = numpy.linalg.lstsq(basis, z - scale * beyond, rcond=None)[0]
            positions.append(isotonic(values, knots).tolist())
            scales.append(scale)
        return cls(list(targets), knots.tolist(), positions, scales, count)

    def quantile_probit(self, t: numpy.ndarray) -> numpy.ndarray:
        """(points, targets) z(t) = Phi^-1(G^-1(Phi(t))) for points t (points,)."""
        knots = numpy.array(self.knots)
        columns = []
        for values, scale in zip(self.positions, self.tail_scale):
            inside = numpy.interp(t, knots, values)
            columns.append(inside + scale * (numpy.minimum(t - knots[0], 0) + numpy.maximum(t - knots[-1], 0)))
        return numpy.stack(columns, axis=-1)

    def levels(self, draws: int) -> numpy.ndarray:
        """(draws, targets) the levels w_r = G^-1((r + 1/2) / L) the ranks r are mapped to."""
        return normal_cdf(self.quantile_probit(normal_quantile((numpy.arange(draws) + 0.5) / draws)))

    def cdf(self, pit: numpy.ndarray) -> numpy.ndarray:
        """G(u) for raw PITs u (..., targets): the recalibrated posterior's CDF at the raw level u."""
        pit = numpy.asarray(pit, dtype=float)
        z = normal_quantile(numpy.clip(pit, 1e-300, 1 - 1e-16))
        knots, result = numpy.array(self.knots), numpy.empty_like(z)
        for j, (values, scale) in enumerate(zip(self.positions, self.tail_scale)):
            values = numpy.array(values)
            t = numpy.interp(z[..., j], values, knots)
            t = t + numpy.minimum(z[..., j] - values[0], 0) / scale + numpy.maximum(z[..., j] - values[-1], 0) / scale
            result[..., j] = t
        return normal_cdf(result)

    def apply(self, samples: numpy.ndarray) -> numpy.ndarray:
        """Draws (..., L, targets) of the estimated posterior -> as many draws of the recalibrated one."""
        return quantile_map(samples, self.levels, len(self.targets))

    def to_dict(self) -> dict:
        return {"method": "empirical", "targets": self.targets, "knots": self.knots, "positions": self.positions,
                "tail_scale": self.tail_scale, "simulations": self.simulations}

    @classmethod
    def from_dict(cls, entry: dict) -> "EmpiricalRecalibration":
        return cls(list(entry["targets"]), [float(v) for v in entry["knots"]],
                   [[float(v) for v in row] for row in entry["positions"]], [float(v) for v in entry["tail_scale"]],
                   int(entry["simulations"]))

    def describe(self) -> str:
        """One line per target: the raw posterior's coverage on the calibration simulations, which the map undoes."""
        lines = [f"recalibrated on {self.simulations} simulations not trained on (empirical quantile map of the PIT, "
                 f"{len(self.knots)} knots):"]
        levels = (0.5, 0.8, 0.9, 0.95)
        ends = numpy.array([[0.5 - a / 2, 0.5 + a / 2] for a in levels] + [[0.5, 0.5]])
        for j, target in enumerate(self.targets):
            g = self.cdf(numpy.repeat(ends[..., None], len(self.targets), axis=-1))[..., j]
            covered = "/".join(f"{g[i, 1] - g[i, 0]:.3f}" for i in range(len(levels)))
            lines.append(f"  {target}: the raw posterior's central 50/80/90/95% intervals held {covered} of the "
                         f"truths; {g[-1, 0]:.3f} fell below its median")
        return "\n".join(lines)


def isotonic(values: numpy.ndarray, knots: numpy.ndarray) -> numpy.ndarray:
    """Knot values raised where needed so that every slope between knots is at least ``SLOPE_FLOOR``."""
    values = numpy.array(values, dtype=float)
    for k in range(1, len(values)):
        values[k] = max(values[k], values[k - 1] + SLOPE_FLOOR * (knots[k] - knots[k - 1]))
    return values


Recalibration = ProbitRecalibration | EmpiricalRecalibration


def fit_recalibration(samples: numpy.ndarray, true: numpy.ndarray, targets: list[str], method: str = DEFAULT_METHOD,
                      seed: int = 0) -> Recalibration:
    """The map ``method`` fitted on draws (simulations, L, targets) and true values: "empirical" from
    ``EMPIRICAL_FEWEST`` simulations (fewer: probit-affine, whose error is then the smaller), "auto" the empirical
    map from ``AUTO_EMPIRICAL_FROM``, "probit-affine" always."""
    if method not in METHODS:
        raise ValueError(f"posterior recalibration {method!r} is not one of {', '.join(METHODS)}")
    fewest = {"auto": AUTO_EMPIRICAL_FROM, "empirical": EMPIRICAL_FEWEST}.get(method)
    if fewest is not None and len(samples) >= fewest:
        return EmpiricalRecalibration.fit(samples, true, targets, seed)
    return ProbitRecalibration.fit(samples, true, targets, seed)


def recalibration_from_dict(entry: dict) -> Recalibration:
    """A saved map (``to_dict``), by its method; files written before the empirical map hold "probit-affine"."""
    if entry.get("method") == "empirical":
        return EmpiricalRecalibration.from_dict(entry)
    return ProbitRecalibration.from_dict(entry)


__all__ = ["AUTO_EMPIRICAL_FROM", "DEFAULT_METHOD", "EMPIRICAL_FEWEST", "FEWEST_SIMULATIONS", "MAPS", "METHODS",
           "RECALIBRATION_FEWEST", "RECALIBRATION_SHARE", "EmpiricalRecalibration", "Recalibration",
           "fit_recalibration", "recalibration_count", "recalibration_from_dict", "split_sentence"]
