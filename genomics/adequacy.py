"""Is any scenario adequate for the observed data? Checks to run before trusting a model choice.

Model choice only ranks the scenarios offered; data that look like none of
them still get a winner. Three checks, each against the simulations:

1. Distance to each scenario's cloud. The summary statistics (and,
   given a bundle, the network's penultimate-layer embedding) are
   standardised and rotated onto principal components (99% of the
   variance, at most 20 and at most a tenth of the smallest scenario's
   simulations, so that each covariance is well estimated). For scenario k with mean mu_k and covariance Sigma_k of its
   simulations there, the squared Mahalanobis distance of a point x is
   D^2 = (x - mu_k)^T Sigma_k^{-1} (x - mu_k). The tail share is the
   fraction of scenario k's own simulations at least as far from mu_k as
   the observed data: near 0 means the data lie outside that cloud. When
   the tail share is below ``alpha`` (default 0.01) for every scenario, the
   check warns that no scenario reproduces the data.
2. Each statistic's rank: the share of each scenario's simulations below
   the observed value; a statistic outside the central 99% of every
   scenario is named.
3. Posterior predictive check (``posterior_predictive``): parameters of
   the simulations that rejection ABC accepts for the chosen scenario,
   simulated again; the observed statistics' ranks among those
   replicates (outside 2.5-97.5% is flagged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

from genomics import abc
from genomics.encode import Encoder
from genomics.models import embedding, model_input
from genomics.readers import Genotypes
from genomics.scenarios import Scenario
from genomics.simulate import SimulatedData, load_simulations, replicate_seed, simulate_replicate
from genomics.sumstats import summary_statistics
from genomics.workflow import encode_data, load_bundle


def principal_components(reference: numpy.ndarray, variance: float = 0.99, most: int = 20) -> tuple:
    """(mean, sd, rotation) of the standardised reference rows, keeping components up to ``variance`` (at most
    ``most``, so that each scenario's covariance stays well estimated)."""
    mean, sd = reference.mean(axis=0), reference.std(axis=0)
    sd = numpy.where(sd > 0, sd, 1.0)
    _, singular, components = numpy.linalg.svd((reference - mean) / sd, full_matrices=False)
    explained = numpy.cumsum(singular**2) / max(numpy.sum(singular**2), 1e-300)
    keep = min(int(numpy.searchsorted(explained, variance - 1e-12) + 1), most)
    return mean, sd, components[:keep].T


def tail_shares(points: numpy.ndarray, labels: numpy.ndarray, observed: numpy.ndarray, classes: int) -> numpy.ndarray:
    """(observed, classes): the share of each scenario's points at least as far (Mahalanobis) from its mean."""
    shares = numpy.zeros((len(observed), classes))
    for k in range(classes):
        cloud = points[labels == k]
        centre = cloud.mean(axis=0)
        covariance = numpy.cov(cloud, rowvar=False).reshape(points.shape[1], points.shape[1])
        covariance += 1e-9 * numpy.trace(covariance) / max(points.shape[1], 1) * numpy.eye(points.shape[1])
        inverse = numpy.linalg.pinv(covariance)
        own = numpy.einsum("ij,jk,ik->i", cloud - centre, inverse, cloud - centre)
        theirs = numpy.einsum("ij,jk,ik->i", observed - centre, inverse, observed - centre)
        shares[:, k] = (own[None, :] >= theirs[:, None]).mean(axis=1)
    return shares


def statistic_ranks(table: numpy.ndarray, labels: numpy.ndarray, observed: numpy.ndarray,
                    classes: int) -> numpy.ndarray:
    """(statistics, classes): the share of each scenario's simulations below the observed value (NaNs ignored)."""
    ranks = numpy.zeros((table.shape[1], classes))
    for k in range(classes):
        cloud = table[labels == k]
        with numpy.errstate(invalid="ignore"):
            below = numpy.nanmean(cloud < observed, axis=0) + 0.5 * numpy.nanmean(cloud == observed, axis=0)
        ranks[:, k] = below
    return ranks


def check(data: SimulatedData, table: numpy.ndarray, names: list[str], observed: numpy.ndarray,
          alpha: float = 0.01, embeddings: tuple | None = None) -> dict:
    """The distance and per-statistic checks of one observed statistics row; see the module docstring.

    ``embeddings``: (simulated (N, features), observed (features,)) from a
    network, checked the same way as the statistics.
    """
    classes = len(data.scenario_names)
    most = max(2, min(20, int(numpy.bincount(data.labels, minlength=classes).min()) // 10))
    statistics = abc.prepare(table, names)
    reference = statistics.reference
    target = statistics.transform(observed[None])
    mean, sd, rotation = principal_components(reference, most=most)
    points, point = (reference - mean) / sd @ rotation, (target - mean) / sd @ rotation
    result = {"scenario_names": data.scenario_names, "statistics": statistics.names, "notes": statistics.notes,
              "components": int(rotation.shape[1]), "alpha": alpha,
              "tail_share": tail_shares(points, data.labels, point, classes)[0].tolist(),
              "pca_points": points[:, :2], "pca_observed": point[0, :2]}
    ranks = statistic_ranks(reference, data.labels, target[0], classes)
    result["ranks"] = {name: ranks[i].tolist() for i, name in enumerate(statistics.names)}
    outside = [name for i, name in enumerate(statistics.names)
               if numpy.all((ranks[i] < alpha / 2) | (ranks[i] > 1 - alpha / 2))]
    result["statistics_outside_every_scenario"] = outside
    if embeddings is not None:
        simulated, seen = embeddings
        e_mean, e_sd, e_rotation = principal_components(simulated, most=most)
        e_points = (simulated - e_mean) / e_sd @ e_rotation
        e_point = (seen[None] - e_mean) / e_sd @ e_rotation
        result["embedding_tail_share"] = tail_shares(e_points, data.labels, e_point, classes)[0].tolist()
    shares = [result["tail_share"]] + ([result["embedding_tail_share"]] if embeddings is not None else [])
    result["adequate"] = bool(all(max(s) >= alpha for s in shares))
    return result


def posterior_predictive(data: SimulatedData, table: numpy.ndarray, names: list[str], observed: numpy.ndarray,
                         scenario: int, tolerance: float = 0.05, replicates: int = 100, seed: int = 0) -> dict:
    """Simulate ``scenario`` again from the parameters of its simulations that rejection ABC accepts, and rank
    the observed statistics among those replicates."""
    statistics = abc.prepare(table, names)
    scaled = (statistics.reference - statistics.transform(observed[None])) / abc.mad_scale(statistics.reference)
    distances = numpy.sqrt((scaled**2).sum(axis=1))
    own = numpy.flatnonzero(data.labels == scenario)
    count = max(1, int(numpy.ceil(tolerance * len(own))))
    accepted = own[numpy.argsort(distances[own])[:count]]
    generator = numpy.random.default_rng(seed)
    chosen = generator.choice(accepted, size=replicates, replace=True)
    model = Scenario(data.manifest["scenarios"][scenario]["spec"])
    rows = []
    for number, index in enumerate(chosen):
        replicate = simulate_replicate(model, replicate_seed(seed + 7919, scenario, number), data.parameters[index])
        rows.append(summary_statistics(replicate["genotypes"], replicate["site_counts"], data.haplotype_populations))
    predicted = numpy.array(rows)
    with numpy.errstate(invalid="ignore"):
        ranks = numpy.nanmean(predicted < observed, axis=0) + 0.5 * numpy.nanmean(predicted == observed, axis=0)
    kept = statistics.columns
    return {"scenario": data.scenario_names[scenario], "accepted": int(count), "replicates": replicates,
            "ranks": {names[i]: float(ranks[i]) for i in kept},
            "outside_95": [names[i] for i in kept if not 0.025 <= ranks[i] <= 0.975]}


def observed_statistics(data_set: Genotypes) -> numpy.ndarray:
    return summary_statistics(data_set.haplotypes, data_set.site_counts, data_set.haplotype_populations)


@dataclass
class Reference:
    """What observed data are checked against: a sample of each scenario's simulations, their statistics and
    (given a bundle) their network embeddings; built once, used for every data set or window."""

    data: SimulatedData
    table: numpy.ndarray
    names: list[str]
    model: Any = None
    metadata: dict | None = None
    embeddings: numpy.ndarray | None = None

    def embed(self, data_set: Genotypes) -> numpy.ndarray:
        """The network's penultimate-layer embedding of one observed data set."""
        encoder = Encoder.from_dict(self.metadata["encoder"])
        length = float(numpy.max(data_set.positions, initial=0.0)) + 1.0
        image, _ = encoder.encode(data_set.haplotypes, data_set.positions, length, data_set.haplotype_populations)
        return embedding(self.model, model_input(image[None], self.metadata["network"]))[0]


def reference(simulations: str, bundle: str | None = None, per_scenario: int = 1000, seed: int = 0) -> Reference:
    """Up to ``per_scenario`` replicates of each scenario of a simulation folder (seeded), their statistics and,
    with ``bundle``, their embeddings."""
    data = load_simulations(simulations)
    generator = numpy.random.default_rng(seed)
    used = numpy.sort(numpy.concatenate([generator.permutation(numpy.flatnonzero(data.labels == k))[:per_scenario]
                                         for k in range(len(data.scenario_names))]))
    subset = SimulatedData(data.scenario_names, data.labels[used], [data.genotypes[i] for i in used],
                           [data.positions[i] for i in used], data.sequence_lengths[used],
                           data.haplotype_populations, data.population_names, data.manifest,
                           [data.site_counts[i] for i in used], data.design, [data.parameters[i] for i in used])
    table, names = abc.statistics_table(subset)
    result = Reference(subset, table, names)
    if bundle is not None:
        result.model, result.metadata = load_bundle(bundle)
        encoder = Encoder.from_dict(result.metadata["encoder"])
        result.embeddings = embedding(result.model, model_input(encode_data(subset, encoder),
                                                                result.metadata["network"]))
    return result


def check_data_set(ref: Reference, data_set: Genotypes, alpha: float = 0.01, predictive: int = 0,
                   picture: str | None = None, seed: int = 0) -> dict:
    """``check`` of one observed data set against a ``Reference``; with ``predictive`` > 0, a posterior
    predictive check of the scenario that rejection ABC favours; with ``picture``, the PCA picture there."""
    observed = observed_statistics(data_set)
    embeddings = (ref.embeddings, ref.embed(data_set)) if ref.model is not None else None
    result = check(ref.data, ref.table, ref.names, observed, alpha, embeddings)
    if predictive:
        prepared = abc.prepare(ref.table, ref.names)
        shares = abc.postpr(prepared.transform(observed[None])[0], prepared.reference, ref.data.labels,
                            len(ref.data.scenario_names), 0.05)["posterior"]
        result["posterior_predictive"] = posterior_predictive(ref.data, ref.table, ref.names, observed,
                                                              int(numpy.argmax(shares)), replicates=predictive,
                                                              seed=seed)
    if picture is not None:
        try:
            from minidl import plot  # noqa: PLC0415 - matplotlib is optional
            result["picture"] = plot.scatter_groups(
                result["pca_points"], ref.data.labels, ref.data.scenario_names, result["pca_observed"], picture,
                title="summary statistics, principal components 1 and 2")
        except ImportError:
            pass
    return result


def summary(result: dict) -> dict:
    """The JSON-able core of a check: tail shares, statistics outside every scenario, the verdict."""
    keys = ("tail_share", "embedding_tail_share", "statistics_outside_every_scenario", "adequate", "alpha",
            "posterior_predictive", "picture")
    return {key: result[key] for key in keys if key in result}
