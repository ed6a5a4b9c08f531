"""Is a posterior calibrated? Expected coverage and simulation-based calibration on held-out simulations.

Both checks use simulations the estimator never fitted: parameters theta_i
drawn from the prior, data x_i simulated from them, and L posterior
samples theta_i^(1..L) drawn from the estimated p(theta | x_i).

Expected coverage (per target, per level a in 50/80/90/95%): the fraction
of held-out simulations whose true value lies in the central credible
interval [q_(1-a)/2, q_(1+a)/2] of its posterior samples. A calibrated
posterior covers a fraction a, up to the binomial error
sqrt(a (1 - a) / n) of n simulations (reported beside it).

Simulation-based calibration (Talts et al. 2018): the rank
r_i = #{l : theta_i^(l) < theta_i} in {0, ..., L} is uniform when the
posterior is exact, for any data. The ranks are counted in B equal bins
(B divides L + 1) and tested for uniformity by Pearson's chi-square,
X^2 = sum_b (O_b - n / B)^2 / (n / B) on B - 1 degrees of freedom; the
p-value is P(chi2_(B-1) >= X^2), computed in closed form (``chi_square_sf``).
A small p-value says the ranks are not uniform: a U shape is an
over-confident posterior, a hump an under-confident one, a slope a bias.

The stated test, with its multiple-testing rule: one chi-square test per
target, each at level alpha / D for D targets (Bonferroni), so that the
chance of calling a calibrated posterior's ranks non-uniform for any
target is at most alpha (default ``SBC_ALPHA`` = 0.05). The ranks of a
target are "uniform" when its p-value is at least alpha / D.
"""

from __future__ import annotations

import math

import numpy

LEVELS = (0.5, 0.8, 0.9, 0.95)
SBC_ALPHA = 0.05


def chi_square_sf(statistic: float, degrees: int) -> float:
    """P(X >= statistic) for X chi-square with ``degrees`` (a whole number >= 1) degrees of freedom.

    With y = statistic / 2: for even k = 2m, exp(-y) sum_{i<m} y^i / i!; for odd k,
    erfc(sqrt(y)) + exp(-y) sum_{i=0}^{(k-3)/2} y^(i+1/2) / Gamma(i + 3/2) (Abramowitz and Stegun 26.4.4-5).
    """
    if not isinstance(degrees, int) or degrees < 1:
        raise ValueError(f"chi_square_sf: degrees must be a whole number >= 1, got {degrees!r}")
    y = statistic / 2
    if y <= 0:  # also a statistic so small that half of it underflows to 0
        return 1.0
    if degrees % 2 == 0:
        terms = [i * math.log(y) - math.lgamma(i + 1) for i in range(degrees // 2)]
        return min(1.0, sum(math.exp(term - y) for term in terms))
    terms = [(i + 0.5) * math.log(y) - math.lgamma(i + 1.5) for i in range((degrees - 1) // 2)]
    return min(1.0, math.erfc(math.sqrt(y)) + sum(math.exp(term - y) for term in terms))


def central_intervals(samples: numpy.ndarray, levels: tuple = LEVELS) -> dict[str, numpy.ndarray]:
    """Per level: (..., targets, 2) lower and upper quantiles of samples (..., draws, targets)."""
    result = {}
    for level in levels:
        quantiles = numpy.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=-2)  # (2, ..., targets)
        result[f"{level:g}"] = numpy.moveaxis(quantiles, 0, -1)
    return result


def expected_coverage(samples: numpy.ndarray, true: numpy.ndarray, levels: tuple = LEVELS) -> dict[str, list[float]]:
    """Per level, per target: the fraction of simulations whose true value lies in the central interval.

    samples: (simulations, draws, targets); true: (simulations, targets).
    """
    true = numpy.asarray(true, dtype=float)
    return {level: numpy.mean((bounds[..., 0] <= true) & (true <= bounds[..., 1]), axis=0).tolist()
            for level, bounds in central_intervals(samples, levels).items()}


def sbc_ranks(samples: numpy.ndarray, true: numpy.ndarray) -> numpy.ndarray:
    """(simulations, targets) ranks in {0, ..., draws}: how many posterior samples fall below the true value."""
    return (numpy.asarray(samples) < numpy.asarray(true, dtype=float)[:, None, :]).sum(axis=1)


def rank_uniformity(ranks: numpy.ndarray, draws: int, bins: int) -> dict:
    """Counts per bin and Pearson's chi-square test of uniform ranks, for one target's ranks (simulations,)."""
    if (draws + 1) % bins:
        raise ValueError(f"rank_uniformity: {bins} bins must divide the {draws + 1} possible ranks (draws + 1)")
    counts = numpy.bincount(numpy.asarray(ranks) * bins // (draws + 1), minlength=bins)
    expected = len(ranks) / bins
    statistic = float(((counts - expected) ** 2 / expected).sum())
    return {"counts": counts.tolist(), "expected_per_bin": expected, "chi_square": statistic,
            "degrees_of_freedom": bins - 1, "p_value": chi_square_sf(statistic, bins - 1)}


def sbc_verdicts(p_values: list[float], alpha: float = SBC_ALPHA) -> dict:
    """The stated SBC test over D targets: uniform ranks for a target when p >= alpha / D (Bonferroni)."""
    if not 0 < alpha < 1:
        raise ValueError(f"sbc_verdicts: alpha must lie in (0, 1), got {alpha!r}")
    threshold = alpha / max(len(p_values), 1)
    uniform = [bool(p >= threshold) for p in p_values]
    return {"alpha": alpha, "threshold": threshold, "uniform": uniform, "all_uniform": all(uniform),
            "rule": f"Pearson chi-square of the binned ranks per target; ranks uniform when p >= {alpha:g} / "
                    f"{len(p_values)} = {threshold:.3g} (Bonferroni over the targets, family-wise level {alpha:g})"}


def calibration_report(samples: numpy.ndarray, true: numpy.ndarray, targets: list[str], bins: int = 10,
                       levels: tuple = LEVELS, alpha: float = SBC_ALPHA) -> dict:
    """Coverage and SBC per target for samples (simulations, draws, targets) of held-out simulations.

    ``draws + 1`` must be a multiple of ``bins`` (e.g. 99 or 199 draws with 10 bins). ``alpha``: the
    family-wise level of the SBC uniformity test (``sbc_verdicts``).
    """
    simulations, draws = samples.shape[0], samples.shape[1]
    coverage = expected_coverage(samples, true, levels)
    ranks = sbc_ranks(samples, true)
    report = {"simulations": int(simulations), "draws": int(draws), "levels": [f"{level:g}" for level in levels],
              "targets": {}}
    for j, target in enumerate(targets):
        report["targets"][target] = {
            "coverage": {level: values[j] for level, values in coverage.items()},
            "coverage_standard_error": {f"{level:g}": math.sqrt(level * (1 - level) / simulations) for level in levels},
            "sbc": {**rank_uniformity(ranks[:, j], draws, bins), "ranks": ranks[:, j].tolist(),
                    "test": "Pearson chi-square of the rank counts in equal bins against uniform"}}
    verdicts = sbc_verdicts([entry["sbc"]["p_value"] for entry in report["targets"].values()], alpha)
    for entry, uniform in zip(report["targets"].values(), verdicts.pop("uniform")):
        entry["sbc"]["uniform"] = uniform
    report["sbc_test"] = verdicts
    return report


def describe(report: dict) -> str:
    """The report as a table: coverage per level and the SBC p-value, per target."""
    levels = report["levels"]
    lines = [f"calibration on {report['simulations']} held-out simulations ({report['draws']} posterior draws each)",
             "target".ljust(20) + "".join(f"  cover {float(level):.0%}".rjust(12) for level in levels)
             + "   SBC chi2 p  SBC ranks"]
    for target, entry in report["targets"].items():
        verdict = {True: "uniform", False: "NOT uniform", None: ""}[entry["sbc"].get("uniform")]
        lines.append(target[:19].ljust(20) + "".join(f"{entry['coverage'][level]:12.3f}" for level in levels)
                     + f"{entry['sbc']['p_value']:13.3g}  {verdict}")
    if "sbc_test" in report:
        lines.append(f"SBC test: {report['sbc_test']['rule']}")
    return "\n".join(lines)


def plot_calibration(report: dict, path: str) -> str:
    """One row per target: the SBC rank histogram (with the 99% band of uniform counts) and the coverage plot."""
    import matplotlib  # noqa: PLC0415 - pictures are optional

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    targets = list(report["targets"])
    figure, axes = pyplot.subplots(len(targets), 2, figsize=(8, 3 * len(targets)), squeeze=False)
    for row, target in enumerate(targets):
        entry = report["targets"][target]
        counts, expected = entry["sbc"]["counts"], entry["sbc"]["expected_per_bin"]
        band = 2.576 * math.sqrt(expected * (1 - 1 / len(counts)))
        axes[row, 0].bar(range(len(counts)), counts, color="steelblue")
        axes[row, 0].axhspan(expected - band, expected + band, color="grey", alpha=0.3)
        axes[row, 0].set(title=f"{target}: SBC ranks (p = {entry['sbc']['p_value']:.2g})", xlabel="rank bin",
                         ylabel="simulations")
        nominal = [float(level) for level in report["levels"]]
        axes[row, 1].plot([0, 1], [0, 1], color="grey", linestyle="--")
        axes[row, 1].errorbar(nominal, [entry["coverage"][level] for level in report["levels"]],
                              yerr=[2 * entry["coverage_standard_error"][level] for level in report["levels"]],
                              marker="o")
        axes[row, 1].set(title=f"{target}: expected coverage", xlabel="credible level", ylabel="held-out coverage",
                         xlim=(0.4, 1), ylim=(0.4, 1))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path
