"""``python -m benchmarks.recalibration_noise [--repetitions R] [--counts N1,N2] [--json FILE]``

The noise floor of the posterior acceptance check when a map is fitted:
an exactly calibrated posterior (estimated N(mu, 1), truth mu + N(0, 1),
199 draws), each map (``quantile_recalibration.MAPS``) fitted on n = 1,000
or 2,500 calibration simulations and scored on M = 2,500 fresh ones as
``benchmarks.posterior_coverage`` scores them: the SBC chi-square on 10
bins at the demo design's threshold 0.05 / 7, and the largest coverage
deviation over 50/80/90/95%. Whatever a map adds to these is its own
sampling error. For the ECDF theory says a bin's count has variance
M p (1 - p) (1 + M / n), so E X^2 is near 9 (1 + M / n) (31.5 at n = 1,000).
A target fails the acceptance where its SBC is rejected or a level is off
by more than 0.03; with T targets whose maps err independently all pass in
a share (1 - failing)^T of fits (``pass_7_targets``, the demo's 7).
"""

from __future__ import annotations

import argparse
import json

import numpy

from genomics.learning import posterior_checks
from genomics.learning.quantile_recalibration import MAPS, fit_recalibration

DRAWS, HELD_OUT, THRESHOLD = 199, 2500, 0.05 / 7


def calibrated(count: int, generator: numpy.random.Generator) -> tuple[numpy.ndarray, numpy.ndarray]:
    mu = generator.uniform(-5, 5, count)
    return (mu[:, None] + generator.standard_normal((count, DRAWS)))[:, :, None], \
        (mu + generator.standard_normal(count))[:, None]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=40)
    parser.add_argument("--counts", default="1000,2500", help="calibration simulations n, comma-separated")
    parser.add_argument("--json", help="write the figures here")
    arguments = parser.parse_args(argv)
    results = {}
    for count in [int(text) for text in arguments.counts.split(",")]:
        scores = {name: [] for name in ("raw",) + MAPS}
        for repetition in range(arguments.repetitions):
            generator = numpy.random.default_rng(1000 * count + repetition)
            calibration, (samples, truth) = calibrated(count, generator), calibrated(HELD_OUT, generator)
            for name in scores:
                mapped = samples if name == "raw" else fit_recalibration(*calibration, ["x"], name, repetition).apply(
                    samples)
                entry = posterior_checks.calibration_report(mapped, truth, ["x"])["targets"]["x"]
                scores[name].append((entry["sbc"]["p_value"] < THRESHOLD, entry["sbc"]["chi_square"],
                                     max(abs(entry["coverage"][level] - float(level)) for level in entry["coverage"])))
        for name, rows in scores.items():
            rejected, chi_square, largest = (numpy.array(column, dtype=float) for column in zip(*rows))
            results[f"{name}, {count} to fit"] = {
                "sbc_rejected_share": float(rejected.mean()), "mean_chi_square": float(chi_square.mean()),
                "mean_largest_deviation": float(largest.mean()), "share_largest_over_0.03": float((largest > 0.03).mean()),
                "failing": float(((rejected > 0) | (largest > 0.03)).mean()),
                "pass_7_targets": float((1 - ((rejected > 0) | (largest > 0.03)).mean()) ** 7)}
            print(f"{name:>14}, {count} to fit: " + ", ".join(f"{key} {value:.3f}" for key, value in
                                                               results[f"{name}, {count} to fit"].items()), flush=True)
    report = {"repetitions": arguments.repetitions, "draws": DRAWS, "held_out": HELD_OUT, "threshold": THRESHOLD,
              "results": results}
    if arguments.json:
        with open(arguments.json, "w") as handle:
            json.dump(report, handle, indent=1)
    return report


if __name__ == "__main__":
    main()
