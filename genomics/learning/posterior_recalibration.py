"""Recalibrating a posterior's marginals on simulations it was not trained on: a probit-affine quantile map.

For one target and a simulation (theta_i, x_i) the posterior was not fitted
on, the probability integral transform

    u_i = F(theta_i | x_i)          (F: the estimated posterior's marginal CDF)

is uniform on (0, 1) when the posterior is calibrated; so is
z_i = Phi^-1(u_i) standard normal (Phi: the standard normal CDF). If the
estimated marginal were N(mu, sd^2) while the truth scattered around mu
with a bias b and a spread c sd, z would be N(b / sd, c^2): a shift m (a
bias; SBC ranks on a slope) and a scale s (s > 1: too narrow, over-confident,
ranks in a U; s < 1: too wide, ranks in a hump). Fitted on n simulations by
maximum likelihood,

    m = (1/n) sum_i z_i,        s = sqrt((1/n) sum_i (z_i - m)^2),

where a truth below (above) all L draws of its posterior gives only
z < c_0 = Phi^-1(1 / (L + 1)) (z > c_L = Phi^-1(L / (L + 1))): those are
censored, and m and s maximise the likelihood of a normal sample censored
there (by EM: each censored z is replaced by its conditional mean and second
moment under the current m, s: for z > c with a = (c - m) / s and
h = phi(a) / (1 - Phi(a)), E z = m + s h and Var z = s^2 (1 + a h - h^2);
mirrored below). Without it, a posterior much too narrow (many truths
outside its draws) would get too small a scale.

The recalibrated posterior has the CDF and the quantile function

    G(theta | x) = Phi((Phi^-1(F(theta | x)) - m) / s),
    G^-1(v | x)  = F^-1(Phi(m + s Phi^-1(v)) | x),

whose PIT is uniform whenever z was normal: expected coverage and SBC ranks
corrected in the marginal over the prior, which is what both measure. This
is the recalibration of Kuleshov, Fenner and Ermon (2018, "Accurate
uncertainties for deep learning using calibrated regression") with a map of
two parameters per target in place of their isotonic one, so that a few
hundred simulations pin it down (the sd of s is about s / sqrt(2 n)).

Samples. From L draws theta^(1..L) of the estimated posterior (per target;
F their empirical CDF, Q their quantile function, linear between order
statistics), a draw of rank r (0-based) becomes

    theta'^(r) = Q(Phi(m + s Phi^-1((r + 1/2) / L))),

a draw of G. Each target is mapped monotonically, so the draws keep their
joint ranks (the dependence between targets). Where the map asks for a level
beyond the extreme draws (w < 1/2L or w > 1 - 1/2L: a posterior much too
narrow), Q is extended linearly in probit scale from the extreme draw with
the draws' own spread, (Q(0.9) - Q(0.1)) / (Phi^-1(0.9) - Phi^-1(0.1)) per
unit of Phi^-1(w): a Gaussian tail. The caller maps draws in the
standardised unbounded space of the targets (``ParameterSpace``), so every
mapped draw still falls inside the prior's support, and it draws many
(``BASE_DRAWS``) before mapping, so that extension is rarely needed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy

#: draws of the estimated posterior made before mapping (the map needs its tails)
BASE_DRAWS = 1000
#: fewest calibration simulations a map is fitted on
FEWEST_SIMULATIONS = 20
#: the scale is kept within these bounds (a scale of 0 would collapse every posterior onto one quantile)
SCALE_BOUNDS = (0.05, 20.0)
#: Phi^-1(0.9): the draws' spread per unit of probit is (Q(0.9) - Q(0.1)) / (2 TAIL_PROBIT)
TAIL_PROBIT = 1.2815515655446004

_STANDARD = statistics.NormalDist()
_cdf = numpy.frompyfunc(_STANDARD.cdf, 1, 1)
_quantile = numpy.frompyfunc(_STANDARD.inv_cdf, 1, 1)


def normal_cdf(x: numpy.ndarray) -> numpy.ndarray:
    """Phi(x), elementwise."""
    return numpy.asarray(_cdf(numpy.asarray(x, dtype=float)), dtype=float)


def normal_quantile(p: numpy.ndarray) -> numpy.ndarray:
    """Phi^-1(p), elementwise, for p in (0, 1)."""
    return numpy.asarray(_quantile(numpy.asarray(p, dtype=float)), dtype=float)


def truth_ranks(samples: numpy.ndarray, true: numpy.ndarray) -> numpy.ndarray:
    """(simulations, targets) r = #{draws < true} in {0, ..., L}, for draws (simulations, L, targets)."""
    return (numpy.asarray(samples, dtype=float) < numpy.asarray(true, dtype=float)[:, None, :]).sum(axis=1)


def probability_integral_transform(ranks: numpy.ndarray, draws: int,
                                   generator: numpy.random.Generator) -> numpy.ndarray:
    """u = (r + V) / (L + 1), V ~ U(0, 1): uniform on (0, 1) exactly when the ranks r are uniform on {0, ..., L}."""
    tiny = 1e-12
    return numpy.clip((ranks + generator.random(ranks.shape)) / (draws + 1), tiny, 1 - tiny)


def censored_normal_fit(z: numpy.ndarray, below: numpy.ndarray, above: numpy.ndarray, low: float, high: float,
                        iterations: int = 500) -> tuple[float, float]:
    """Maximum-likelihood mean and sd of a normal sample z (n,) where ``below`` marks values known only to be
    < low and ``above`` values known only to be > high (EM with the truncated normal's moments)."""
    inside = ~(below | above)
    m, s = (float(z[inside].mean()), float(z[inside].std())) if inside.sum() >= 2 else (0.0, 1.0)
    s = max(s, SCALE_BOUNDS[0])
    for _ in range(iterations):
        a, b = (high - m) / s, (low - m) / s
        upper_tail, lower_tail = max(1 - float(normal_cdf(a)), 1e-300), max(float(normal_cdf(b)), 1e-300)
        h_up, h_low = _STANDARD.pdf(a) / upper_tail, _STANDARD.pdf(b) / lower_tail
        first = numpy.where(above, m + s * h_up, numpy.where(below, m - s * h_low, z))
        variance = numpy.where(above, s * s * (1 + a * h_up - h_up ** 2),
                               numpy.where(below, s * s * (1 - b * h_low - h_low ** 2), 0.0))
        new_m = float(first.mean())
        new_s = float(numpy.sqrt(max(numpy.mean(first ** 2 + variance) - new_m ** 2, 0.0)))
        new_s = min(max(new_s, SCALE_BOUNDS[0]), SCALE_BOUNDS[1])
        converged = abs(new_m - m) < 1e-10 and abs(new_s - s) < 1e-10
        m, s = new_m, new_s
        if converged:
            break
    return m, s


def check_calibration_input(samples: numpy.ndarray, true: numpy.ndarray,
                            targets: list[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Draws (simulations, L, targets) and true values (simulations, targets) as floats; bad shapes or too few
    simulations are refused in one sentence."""
    samples, true = numpy.asarray(samples, dtype=float), numpy.asarray(true, dtype=float)
    if samples.ndim != 3 or true.shape != (samples.shape[0], samples.shape[2]) or samples.shape[2] != len(targets):
        raise ValueError(f"recalibration needs draws (simulations, draws, {len(targets)}) and true values "
                         f"(simulations, {len(targets)}); got shapes {samples.shape} and {true.shape}")
    if samples.shape[0] < FEWEST_SIMULATIONS:
        raise ValueError(f"{samples.shape[0]} simulations are too few to recalibrate a posterior (at least "
                         f"{FEWEST_SIMULATIONS})")
    return samples, true


def quantile_map(samples: numpy.ndarray, levels_of, targets: int) -> numpy.ndarray:
    """Draws (..., L, targets) -> draws of the recalibrated posterior: the draw of rank r (0-based) of each
    target becomes Q(w_r), Q the draws' quantile function (linear between order statistics, a Gaussian tail
    past the extreme ones), w = ``levels_of(L)`` (L, targets) the recalibrated levels of the ranks."""
    samples = numpy.asarray(samples, dtype=float)
    draws = samples.shape[-2]
    if samples.shape[-1] != targets:
        raise ValueError(f"draws of {samples.shape[-1]} targets given to a recalibration of {targets}")
    order = numpy.argsort(samples, axis=-2, kind="stable")
    ordered = numpy.take_along_axis(samples, order, axis=-2)
    levels = levels_of(draws)                                            # (L, targets)
    positions = numpy.clip(levels * draws - 0.5, 0, draws - 1)           # 0-based, inside the draws
    low = numpy.floor(positions).astype(numpy.int64)
    high = numpy.minimum(low + 1, draws - 1)
    fraction = positions - low
    shape = ordered.shape[:-2] + positions.shape
    below = numpy.take_along_axis(ordered, numpy.broadcast_to(low, shape), axis=-2)
    above = numpy.take_along_axis(ordered, numpy.broadcast_to(high, shape), axis=-2)
    mapped = below + fraction * (above - below)
    edge = 0.5 / draws
    beyond = (levels < edge) | (levels > 1 - edge)
    if beyond.any():  # a Gaussian tail past the extreme draws, with the draws' own spread
        spread = numpy.diff(numpy.quantile(ordered, [0.1, 0.9], axis=-2), axis=0)[0] / (2 * TAIL_PROBIT)
        excess = normal_quantile(numpy.clip(levels, 1e-300, 1 - 1e-16)) - normal_quantile(
            numpy.clip(levels, edge, 1 - edge))
        mapped = mapped + numpy.where(beyond, excess, 0.0) * spread[..., None, :]
    result = numpy.empty_like(samples)
    numpy.put_along_axis(result, order, mapped, axis=-2)
    return result


@dataclass
class Probits:
    """z = Phi^-1(PIT) (simulations, targets) of truths among draws, with the censored ones marked: ``below``
    (rank 0: z known only to be < ``low`` = Phi^-1(1 / (L + 1))) and ``above`` (rank L: z > ``high``)."""

    z: numpy.ndarray
    below: numpy.ndarray
    above: numpy.ndarray
    low: float
    high: float

    @classmethod
    def of(cls, samples: numpy.ndarray, true: numpy.ndarray, seed: int) -> "Probits":
        """From draws (simulations, L, targets) and true values (simulations, targets); randomised PIT."""
        draws = samples.shape[1]
        ranks = truth_ranks(samples, true)
        z = normal_quantile(probability_integral_transform(ranks, draws, numpy.random.default_rng(seed)))
        return cls(z, ranks == 0, ranks == draws, float(normal_quantile(1 / (draws + 1))),
                   float(normal_quantile(draws / (draws + 1))))

    def normal_fit(self, target: int) -> tuple[float, float]:
        """(m, s): maximum likelihood of N(m, s^2) for one target's z, censored where marked."""
        return censored_normal_fit(self.z[:, target], self.below[:, target], self.above[:, target], self.low,
                                   self.high)


@dataclass
class ProbitRecalibration:
    """Per target the shift m and scale s of Phi^-1 of the PIT, fitted on ``simulations`` simulations."""

    targets: list[str]
    shift: list[float]
    scale: list[float]
    simulations: int

    @classmethod
    def fit(cls, samples: numpy.ndarray, true: numpy.ndarray, targets: list[str],
            seed: int = 0) -> "ProbitRecalibration":
        """Maximum-likelihood m and s from posterior draws (simulations, L, targets) and true values."""
        samples, true = check_calibration_input(samples, true, targets)
        probits = Probits.of(samples, true, seed)
        fits = [probits.normal_fit(j) for j in range(len(targets))]
        return cls(list(targets), [m for m, _ in fits], [s for _, s in fits], int(samples.shape[0]))

    def levels(self, draws: int) -> numpy.ndarray:
        """(draws, targets) the levels w_r = Phi(m + s Phi^-1((r + 1/2) / L)) of G^-1 at the ranks r."""
        grid = normal_quantile((numpy.arange(draws) + 0.5) / draws)[:, None]
        return normal_cdf(numpy.array(self.shift) + numpy.array(self.scale) * grid)

    def apply(self, samples: numpy.ndarray) -> numpy.ndarray:
        """Draws (..., L, targets) of the estimated posterior -> as many draws of the recalibrated one."""
        return quantile_map(samples, self.levels, len(self.targets))

    def to_dict(self) -> dict:
        return {"method": "probit-affine", "targets": self.targets, "shift": self.shift, "scale": self.scale,
                "simulations": self.simulations}

    @classmethod
    def from_dict(cls, entry: dict) -> "ProbitRecalibration":
        if entry.get("method") != "probit-affine":
            raise ValueError(f"unknown posterior recalibration {entry.get('method')!r} (expected 'probit-affine')")
        return cls(list(entry["targets"]), [float(v) for v in entry["shift"]], [float(v) for v in entry["scale"]],
                   int(entry["simulations"]))

    def describe(self) -> str:
        """One line per target: the fitted shift and scale, and what they say about the raw posterior."""
        lines = [f"recalibrated on {self.simulations} simulations not trained on (probit-affine map of the PIT):"]
        for target, m, s in zip(self.targets, self.shift, self.scale):
            side = "below" if m < 0 else "above"
            lines.append(f"  {target}: shift {m:+.3f} (the truth falls {side} the raw posterior's median more often "
                         f"than half the time), scale {s:.3f} (the truth scatters {s:.2f} times as widely as the raw "
                         "posterior says)")
        return "\n".join(lines)
