"""Parameter estimation: target scaling, interval estimates and their scores.

The network predicts z-scored, optionally log-transformed parameters:
t = (g(theta) - mean) / sd, with g = log for a parameter whose values are
all positive (sizes, times, rates), else the identity; mean and sd come
from the training split and travel in the bundle. Estimates are
transformed back with theta = g^-1(mean + sd t).

Intervals by split conformal prediction (Vovk et al. 2005; Lei et al.
2018): on the calibration split, which the network never fitted, the
absolute residuals r_i = |t_i - t_hat_i| (on the network's scale) are
ranked; for a level 1 - alpha the half-width is their
ceil((n + 1)(1 - alpha))-th smallest value. Then [t_hat - q, t_hat + q],
transformed back, covers the true value with probability at least
1 - alpha for a new replicate drawn like the calibration ones (marginally,
over the prior). ``coverage`` measures it on the test split.

Scores per parameter, on the network's scale (log for positive
parameters): RMSE, and R^2 = 1 - sum (t - t_hat)^2 / sum (t - mean_train)^2,
so the prior-mean baseline (always predicting the training mean) scores
about 0; its RMSE is reported beside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

LEVELS = (0.5, 0.9)


@dataclass
class TargetScaling:
    """How parameters become the network's targets: log (where positive), then z-score with training values."""

    names: list[str]
    log: list[bool]
    mean: list[float]
    sd: list[float]

    @classmethod
    def fit(cls, names: list[str], values: numpy.ndarray) -> "TargetScaling":
        """From the training split's parameter values (replicates, parameters)."""
        log = [bool(numpy.all(values[:, j] > 0)) for j in range(values.shape[1])]
        transformed = numpy.where(log, numpy.log(numpy.where(log, values, 1.0)), values)
        sd = transformed.std(axis=0)
        return cls(list(names), log, transformed.mean(axis=0).tolist(), numpy.where(sd > 0, sd, 1.0).tolist())

    def to_network(self, values: numpy.ndarray) -> numpy.ndarray:
        values = numpy.asarray(values, dtype=float)
        log = numpy.array(self.log)
        transformed = numpy.where(log, numpy.log(numpy.where(log, values, 1.0)), values)
        return (transformed - numpy.array(self.mean)) / numpy.array(self.sd)

    def from_network(self, scaled: numpy.ndarray) -> numpy.ndarray:
        transformed = numpy.asarray(scaled, dtype=float) * numpy.array(self.sd) + numpy.array(self.mean)
        return numpy.where(numpy.array(self.log), numpy.exp(transformed), transformed)

    def to_dict(self) -> dict:
        return {"names": self.names, "log": self.log, "mean": self.mean, "sd": self.sd}

    @classmethod
    def from_dict(cls, settings: dict) -> "TargetScaling":
        """From ``to_dict``'s keys (other keys of a bundle's regression settings are ignored)."""
        return cls(settings["names"], settings["log"], settings["mean"], settings["sd"])


def conformal_half_widths(true: numpy.ndarray, predicted: numpy.ndarray,
                          levels: tuple = LEVELS) -> dict[str, list[float]]:
    """Per level, per parameter: the split-conformal half-width of the interval on the network's scale."""
    residuals = numpy.sort(numpy.abs(numpy.asarray(true) - numpy.asarray(predicted)), axis=0)
    n = len(residuals)
    widths = {}
    for level in levels:
        rank = int(numpy.ceil((n + 1) * level))
        widths[f"{level:g}"] = (residuals[min(rank, n) - 1] if rank <= n else
                                numpy.full(residuals.shape[1], numpy.inf)).tolist()
    return widths


def intervals(predicted: numpy.ndarray, half_widths: dict, scaling: TargetScaling) -> dict[str, tuple]:
    """Per level: (low, high) arrays in parameter units."""
    return {level: (scaling.from_network(predicted - numpy.array(width)),
                    scaling.from_network(predicted + numpy.array(width)))
            for level, width in half_widths.items()}


def scores(true: numpy.ndarray, predicted: numpy.ndarray, scaling: TargetScaling,
           half_widths: dict | None) -> dict[str, dict]:
    """Per parameter: R^2 and RMSE (network scale), the prior-mean baseline's RMSE, and interval coverage."""
    true, predicted = numpy.asarray(true, dtype=float), numpy.asarray(predicted, dtype=float)
    result = {}
    for j, name in enumerate(scaling.names):
        error = true[:, j] - predicted[:, j]
        baseline = true[:, j]  # the training mean is 0 on the z-scored scale
        entry = {"r2": float(1 - numpy.sum(error**2) / numpy.sum(baseline**2)),
                 "rmse": float(numpy.sqrt(numpy.mean(error**2))),
                 "prior_mean_rmse": float(numpy.sqrt(numpy.mean(baseline**2))),
                 "scale": "log, z-scored" if scaling.log[j] else "z-scored"}
        for level, width in (half_widths or {}).items():
            entry[f"coverage_{level}"] = float(numpy.mean(numpy.abs(error) <= width[j]))
        result[name] = entry
    return result


def report(table: dict[str, dict], samples: int) -> str:
    lines = [f"parameter estimates on {samples} held-out replicates (R^2 and RMSE on the network's scale: log for "
             "positive parameters, z-scored; the prior-mean baseline has R^2 = 0)", "",
             "parameter".ljust(16) + "      R^2     RMSE  prior-mean RMSE  coverage 50%  coverage 90%"]
    for name, entry in table.items():
        coverage = [entry.get(f"coverage_{level:g}") for level in LEVELS]
        lines.append(name[:15].ljust(16) + f" {entry['r2']:8.3f} {entry['rmse']:8.3f} {entry['prior_mean_rmse']:16.3f}"
                     + "".join(f"{c:14.3f}" if c is not None else "             -" for c in coverage))
    return "\n".join(lines)
