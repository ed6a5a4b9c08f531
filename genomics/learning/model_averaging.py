"""The joint posterior over (scenario, parameters): joint draws and model-averaged posteriors of shared targets.

With scenario probabilities P(s | x) (a calibrated classifier) and each
scenario's own posterior p(theta_s | s, x) (its density head), the joint
posterior is

    p(s, theta_s | x) = P(s | x) p(theta_s | s, x).

Joint draws: s ~ Categorical(P(. | x)), then theta ~ p(theta | s, x)
(``draw_scenarios``, ``joint_draws``). A target named alike in several
scenarios (``T``) has the model-averaged posterior, a mixture of the
scenario posteriors that hold it:

    p(T | x, s in S_T) = sum_{s in S_T} w_s p(T | s, x),   w_s = P(s | x) / sum_{r in S_T} P(r | x),

with CDF F(t) = sum_s w_s F_s(t). When every scenario holds T the weights
are P(s | x) themselves; otherwise the mixture is the posterior of T given
that the scenario is one of S_T, and ``mixture_weights`` says so with the
share sum_{r in S_T} P(r | x) it stands for.

Each F_s is the empirical CDF of n_s draws of scenario s, so F is the CDF
of all the draws pooled, draw i of scenario s weighted w_s / n_s: its
quantiles (``mixture_quantiles``) are read off the pooled, sorted draws
(the smallest t with F(t) >= q), without the noise a joint draw of the
scenarios would add. Mean and sd are the mixture's:
mean = sum_s w_s mean_s, var = sum_s w_s (sd_s^2 + mean_s^2) - mean^2.
"""

from __future__ import annotations

import numpy

from genomics.learning import posterior_checks


def mixture_weights(probabilities: dict[str, float], holders: list[str]) -> tuple[dict[str, float], float]:
    """({scenario: w_s} over the scenarios ``holders`` that hold a target, their share sum P(s | x))."""
    share = float(sum(probabilities[name] for name in holders))
    if share <= 0:
        return {name: 1 / len(holders) for name in holders}, 0.0
    return {name: float(probabilities[name]) / share for name in holders}, share


def _pooled(draws: list[numpy.ndarray], weights: list[float]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(sorted draws pooled, their cumulative weights): the mixture's empirical CDF at each pooled draw."""
    if len(draws) != len(weights) or not draws:
        raise ValueError(f"mixture: {len(draws)} lists of draws for {len(weights)} weights")
    values = numpy.concatenate([numpy.asarray(d, dtype=float).ravel() for d in draws])
    each = numpy.concatenate([numpy.full(numpy.size(d), w / numpy.size(d)) for d, w in zip(draws, weights)])
    order = numpy.argsort(values, kind="stable")
    return values[order], numpy.cumsum(each[order]) / each.sum()


def mixture_cdf(draws: list[numpy.ndarray], weights: list[float], points: numpy.ndarray) -> numpy.ndarray:
    """F(t) = sum_s w_s F_s(t) at ``points``, each F_s the empirical CDF of the draws of component s."""
    values, cumulative = _pooled(draws, weights)
    index = numpy.searchsorted(values, numpy.asarray(points, dtype=float), side="right")
    return numpy.where(index > 0, cumulative[numpy.maximum(index - 1, 0)], 0.0)


def mixture_quantiles(draws: list[numpy.ndarray], weights: list[float], levels: numpy.ndarray) -> numpy.ndarray:
    """The smallest pooled draw t with F(t) >= q, for each q of ``levels`` (in [0, 1])."""
    values, cumulative = _pooled(draws, weights)
    index = numpy.searchsorted(cumulative, numpy.asarray(levels, dtype=float) - 1e-12, side="left")
    return values[numpy.minimum(index, len(values) - 1)]


def mixture_summary(draws: list[numpy.ndarray], weights: list[float],
                    levels: tuple = posterior_checks.LEVELS) -> dict:
    """Mean, median, sd and central credible intervals of the mixture sum_s w_s (draws of s)."""
    weights = numpy.asarray(weights, dtype=float) / numpy.sum(weights)
    means = numpy.array([numpy.mean(d) for d in draws])
    second = numpy.array([numpy.mean(numpy.square(d)) for d in draws])
    mean = float(weights @ means)
    quantiles = mixture_quantiles(draws, list(weights), numpy.array(
        [0.5] + [q for level in levels for q in ((1 - level) / 2, (1 + level) / 2)]))
    return {"mean": mean, "median": float(quantiles[0]),
            "sd": float(numpy.sqrt(max(float(weights @ second) - mean ** 2, 0.0))),
            "intervals": {f"{level:g}": [float(quantiles[1 + 2 * i]), float(quantiles[2 + 2 * i])]
                          for i, level in enumerate(levels)}}


def draw_scenarios(probabilities: numpy.ndarray, draws: int, generator: numpy.random.Generator) -> numpy.ndarray:
    """(data sets, draws) scenario indices, each row drawn from Categorical(probabilities[i]) (data sets, K)."""
    probabilities = numpy.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or numpy.any(probabilities < 0):
        raise ValueError(f"draw_scenarios: probabilities must be (data sets, scenarios) >= 0, got shape "
                         f"{probabilities.shape}")
    cumulative = numpy.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    uniforms = generator.random((len(probabilities), draws))
    chosen = (uniforms[:, :, None] >= cumulative[:, None, :]).sum(axis=2)  # inverse CDF of the categorical
    return numpy.minimum(chosen, probabilities.shape[1] - 1)


def joint_draws(scenarios: numpy.ndarray, component_draws: list[numpy.ndarray | None]) -> numpy.ndarray:
    """(data sets, draws) values of one target in joint draws: draw d of data set i takes draw d of its
    scenario's posterior (component_draws[s]: (data sets, draws), None where scenario s lacks the target: NaN)."""
    result = numpy.full(scenarios.shape, numpy.nan)
    for s, values in enumerate(component_draws):
        if values is not None:
            result = numpy.where(scenarios == s, values, result)
    return result


def model_averaged_calibration(probabilities: numpy.ndarray, true_scenarios: numpy.ndarray, true_values: numpy.ndarray,
                               component_draws: list[numpy.ndarray | None], target: str, seed: int = 0,
                               bins: int = 10) -> dict | None:
    """Coverage and SBC (``posterior_checks.calibration_report``) of the model-averaged posterior of one target.

    Held-out replicates of every scenario: probabilities (N, K) of the classifier, their true scenarios (N,)
    and true values of the target (N,: NaN where their scenario lacks it), component_draws[s] (N, draws) of
    each scenario's posterior (None where it lacks the target). Only replicates whose own scenario holds
    the target are scored; the mixture is over the scenarios holding it, weights renormalised.
    """
    holders = [s for s, values in enumerate(component_draws) if values is not None]
    scored = numpy.isin(true_scenarios, holders) & numpy.isfinite(true_values)
    if scored.sum() < 10 or len(holders) < 2:
        return None
    restricted = numpy.zeros_like(probabilities[scored])
    restricted[:, holders] = probabilities[scored][:, holders]
    restricted[restricted.sum(axis=1) == 0, holders[0]] = 1.0
    chosen = draw_scenarios(restricted, component_draws[holders[0]].shape[1], numpy.random.default_rng(seed))
    samples = joint_draws(chosen, [None if values is None else values[scored] for values in component_draws])
    report = posterior_checks.calibration_report(samples[:, :, None], true_values[scored][:, None], [target], bins)
    report["scenarios"] = [int(s) for s in holders]
    return report
