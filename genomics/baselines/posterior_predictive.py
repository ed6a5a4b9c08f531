"""Posterior predictive checks: can the scenario, with parameters from a data set's posterior, reproduce it?

For one observed data set x with posterior q(theta | x) (``genomics.learning.posterior``):

1. draw theta^(1..R) from q(theta | x), in the scenario's units;
2. simulate one replicate of the scenario's design from each theta^(r)
   (fresh seeds, ``replicate_seed(seed + PREDICTIVE_SEED_OFFSET, 0, r)``);
3. summarise every data set, observed and replicated, as the posterior
   sees it: the per-window statistics of ``posterior_features`` averaged
   over the windows, T_s(x) = (1 / W) sum_w t_s(x_w), NaNs left out;
4. per statistic s, the predictive quantile u_s = #{T_s(x_r) < T_s(x)} / R
   (ties count half) and the two-sided posterior predictive p-value
   p_s = min(1, 2 min(1 + #{T_s(x_r) <= T_s(x)}, 1 + #{T_s(x_r) >= T_s(x)}) / (R + 1))
   (the "+1" counts the observed set among the replicates, so p_s >= 2 / (R + 1));
   a statistic is flagged when p_s < alpha_s (default 0.05): with S
   statistics about alpha_s S flags are expected by chance for an exact
   model, fewer in practice (posterior predictive p-values are conservative);
5. the adequacy check's distance (``genomics.baselines.adequacy.Cloud``):
   the squared Mahalanobis distance of the observed T(x) (signed-log
   scaled, on principal components) to the cloud of the replicates, and
   the tail share, the fraction of replicates at least as far from their
   centre. One test for all statistics at once: the data set is "not
   reproduced" when that tail share is below ``alpha`` (default 0.01, as
   in ``genomics check``). Given the training simulations' statistics
   (the prior predictive), the same distance to their cloud is reported
   beside it.

Parameters that the posterior does not estimate (targets chosen with
``--targets`` that leave a prior out) are drawn from their priors and
named in ``drawn_from_prior``: for them the check is a prior predictive one.
"""

from __future__ import annotations

from typing import Callable

import numpy

from genomics.baselines.adequacy import Cloud
from genomics.learning.posterior import PosteriorEstimator, data_set_statistics
from genomics.learning.posterior_features import PosteriorDataError, window_statistics
from genomics.scenario.scenario import Scenario
from genomics.simulation.replicate import replicate_seed, simulate_replicate
from genomics.simulation.run import load_simulations

PREDICTIVE_SEED_OFFSET = 104729
Simulator = Callable[[dict, int], numpy.ndarray]  # (parameters by prior name, seed) -> windows (W, statistics)


def scenario_of(simulations: str, name: str) -> Scenario:
    """The scenario ``name`` as a simulation folder's manifest defines it."""
    data = load_simulations(simulations, genotypes=False)
    return Scenario(data.manifest["scenarios"][list(data.scenario_names).index(name)]["spec"])


def scenario_simulator(scenario: Scenario) -> Simulator:
    """One replicate of the scenario's design with the given parameters, as its windows' statistics."""
    def simulate(parameters: dict, seed: int) -> numpy.ndarray:
        return window_statistics(simulate_replicate(scenario, seed, parameters)["replicate"])
    return simulate


def parameter_draws(samples: numpy.ndarray, targets: list[str], priors: dict,
                    generator: numpy.random.Generator) -> tuple[list[dict], list[str]]:
    """Full parameter sets for the simulator: posterior samples (draws, targets) for the priors among the
    targets, a draw of its prior for every other prior (fixed ones at their value); and the free priors
    that were drawn from their priors."""
    named = {name: j for j, name in enumerate(targets) if name in priors}
    from_prior = [name for name, prior in priors.items()
                  if name not in named and prior.support[0] < prior.support[1]]
    draws = []
    for row in numpy.asarray(samples, dtype=float):
        draws.append({name: float(row[named[name]]) if name in named else prior.draw(generator)
                      for name, prior in priors.items()})
    return draws, from_prior


def predictive_p_values(predicted: numpy.ndarray, observed: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(quantiles, p-values) per statistic of the observed row among the replicates (replicates, statistics).

    Replicates where a statistic is undefined (NaN) are left out of its counts; a statistic undefined in
    the observed data, or in every replicate, gets NaN (and is never flagged).
    """
    predicted, observed = numpy.asarray(predicted, dtype=float), numpy.asarray(observed, dtype=float)
    defined = numpy.isfinite(predicted)
    counted = defined.sum(axis=0)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        below = (defined & (predicted <= observed)).sum(axis=0)
        above = (defined & (predicted >= observed)).sum(axis=0)
        strictly_below = (defined & (predicted < observed)).sum(axis=0)
        quantile = (strictly_below + 0.5 * (below - strictly_below)) / counted
        p_value = numpy.minimum(1.0, 2 * numpy.minimum(below + 1, above + 1) / (counted + 1))
    missing = ~numpy.isfinite(observed) | (counted == 0)
    return numpy.where(missing, numpy.nan, quantile), numpy.where(missing, numpy.nan, p_value)


def _squashed(values: numpy.ndarray) -> numpy.ndarray:
    return numpy.sign(values) * numpy.log1p(numpy.abs(values))


def distance_check(cloud_rows: numpy.ndarray, observed: numpy.ndarray) -> dict:
    """The adequacy check's distance of one statistics row to a cloud of rows (signed-log scaled, NaN columns
    of the cloud filled with their mean): squared Mahalanobis distance and tail share."""
    rows, point = _squashed(numpy.asarray(cloud_rows, dtype=float)), _squashed(numpy.asarray(observed, dtype=float))
    fill = numpy.nan_to_num(numpy.nanmean(numpy.where(numpy.isnan(rows).all(axis=0), 0.0, rows), axis=0))
    rows = numpy.where(numpy.isnan(rows), fill, rows)
    point = numpy.where(numpy.isnan(point), fill, point)
    most = max(2, min(20, len(rows) // 10))
    cloud = Cloud.fit(rows, numpy.zeros(len(rows), dtype=int), 1, most)
    projected = cloud.project(point)[0] - cloud.centres[0]
    return {"squared_distance": float(projected @ cloud.inverses[0] @ projected),
            "components": int(cloud.rotation.shape[1]), "tail_share": float(cloud.tail_shares(point)[0, 0]),
            "cloud_size": int(len(rows))}


def statistic_rows(names: list[str], predicted: numpy.ndarray, observed: numpy.ndarray,
                   statistic_alpha: float) -> list[dict]:
    """Per statistic: observed value, the replicates' mean and sd, quantile, p-value, flagged (p < alpha)."""
    quantile, p_value = predictive_p_values(predicted, observed)
    rows = []
    for s, name in enumerate(names):
        column = predicted[:, s][numpy.isfinite(predicted[:, s])]
        rows.append({"statistic": name, "observed": float(observed[s]),
                     "predicted_mean": float(column.mean()) if len(column) else float("nan"),
                     "predicted_sd": float(column.std()) if len(column) else float("nan"),
                     "quantile": float(quantile[s]), "p_value": float(p_value[s]),
                     "flagged": bool(numpy.isfinite(p_value[s]) and p_value[s] < statistic_alpha)})
    return rows


def check_data_set(estimator: PosteriorEstimator, scenario: Scenario, data, replicates: int = 100, seed: int = 0,
                   simulate: Simulator | None = None, reference: numpy.ndarray | None = None,
                   alpha: float = 0.01, statistic_alpha: float = 0.05) -> dict:
    """The posterior predictive check of one data set (Genotypes, or its windows (W, statistics)); see the
    module docstring. ``simulate``: (parameters, seed) -> windows, by default the scenario's own simulation;
    ``reference``: the training simulations' data-set statistics (simulations, statistics), for the prior
    predictive distance beside the posterior predictive one."""
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 20:
        raise PosteriorDataError(f"a posterior predictive check needs at least 20 replicates, got {replicates!r}")
    windows = estimator.windows_of(data)[0]
    estimator.features.apply(windows)  # the statistics must be the posterior's: refused here in one sentence
    observed = data_set_statistics(windows)
    generator = numpy.random.default_rng([seed, PREDICTIVE_SEED_OFFSET])
    samples = estimator.sample(windows, draws=replicates, seed=seed)
    draws, from_prior = parameter_draws(samples, estimator.space.targets, scenario.priors, generator)
    simulate = simulate or scenario_simulator(scenario)
    predicted = numpy.stack([data_set_statistics(simulate(parameters, replicate_seed(seed + PREDICTIVE_SEED_OFFSET,
                                                                                      0, r)))
                             for r, parameters in enumerate(draws)])
    statistics = statistic_rows(list(estimator.features.names), predicted, observed, statistic_alpha)
    distance = distance_check(predicted, observed)
    result = {"scenario": estimator.scenario, "replicates": replicates, "seed": seed, "alpha": alpha,
              "statistic_alpha": statistic_alpha, "drawn_from_prior": from_prior, "statistics": statistics,
              "flagged": [row["statistic"] for row in statistics if row["flagged"]],
              "predictive_distance": distance, "reproduced": bool(distance["tail_share"] >= alpha),
              "predicted": predicted, "parameters": samples}
    if reference is not None:
        result["prior_predictive_distance"] = distance_check(reference, observed)
    return result


def rows(results: list[dict], labels: list[str]) -> list[dict]:
    """One CSV row per data set and statistic, the distances repeated on each row of their data set."""
    table = []
    for label, result in zip(labels, results):
        prior = result.get("prior_predictive_distance", {}).get("tail_share", float("nan"))
        share = result["predictive_distance"]["tail_share"]
        for row in result["statistics"]:
            table.append({"data_set": label, **row, "predictive_tail_share": share,
                          "prior_predictive_tail_share": prior, "reproduced": result["reproduced"]})
    return table


def summary(result: dict) -> dict:
    """The JSON-able part of a check (the replicates' statistics and parameters left out)."""
    return {key: value for key, value in result.items() if key not in ("predicted", "parameters")}


def plot_predictive(result: dict, path: str, title: str = "") -> str:
    """One panel per statistic: the replicates' histogram and the observed value (red line)."""
    import matplotlib  # noqa: PLC0415 - pictures are optional

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    statistics = result["statistics"]
    columns = min(6, len(statistics))
    lines = -(-len(statistics) // columns)
    figure, axes = pyplot.subplots(lines, columns, figsize=(2.4 * columns, 2.0 * lines), squeeze=False)
    for axis, (s, row) in zip(axes.flat, enumerate(statistics)):
        values = result["predicted"][:, s]
        axis.hist(values[numpy.isfinite(values)], bins=20, color="red" if row["flagged"] else "steelblue")
        axis.axvline(row["observed"], color="black")
        axis.set_title(f"{row['statistic']}\np = {row['p_value']:.2g}", fontsize=7)
        axis.tick_params(labelsize=6)
    for axis in list(axes.flat)[len(statistics):]:
        axis.set_visible(False)
    figure.suptitle(title or f"posterior predictive check ({result['replicates']} replicates)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path
