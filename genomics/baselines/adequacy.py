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

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from genomics.baselines import abc
from genomics.baselines.comparison import sample_per_scenario
from genomics.learning.ensemble import embedding
from genomics.learning.networks import model_input
from genomics.observed.readers import Genotypes
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import SimulatedData, replicate_seed, simulate_replicate
from genomics.simulation.store import ShardReader
from genomics.encoding.sumstats import summary_statistics
from genomics.bundle import Bundle
from genomics.pipeline.encode import encode_genotypes, map_encoded


def principal_components(reference: numpy.ndarray, variance: float = 0.99, most: int = 20) -> tuple:
    """(mean, sd, rotation) of the standardised reference rows, keeping components up to ``variance`` (at most
    ``most``, so that each scenario's covariance stays well estimated)."""
    mean, sd = reference.mean(axis=0), reference.std(axis=0)
    sd = numpy.where(sd > 0, sd, 1.0)
    _, singular, components = numpy.linalg.svd((reference - mean) / sd, full_matrices=False)
    explained = numpy.cumsum(singular**2) / max(numpy.sum(singular**2), 1e-300)
    keep = min(int(numpy.searchsorted(explained, variance - 1e-12) + 1), most)
    return mean, sd, components[:keep].T


@dataclass
class Cloud:
    """Each scenario's simulations in principal components: its centre, the inverse of its covariance and its
    own simulations' squared Mahalanobis distances, computed once for every observed point."""

    mean: numpy.ndarray
    sd: numpy.ndarray
    rotation: numpy.ndarray
    points: numpy.ndarray       # (simulations, components)
    centres: list
    inverses: list
    own: list                   # per scenario: its simulations' squared distances to its centre

    @classmethod
    def fit(cls, values: numpy.ndarray, labels: numpy.ndarray, classes: int, most: int) -> "Cloud":
        mean, sd, rotation = principal_components(values, most=most)
        points = (values - mean) / sd @ rotation
        dimension = points.shape[1]
        centres, inverses, own = [], [], []
        for k in range(classes):
            cloud = points[labels == k]
            centre = cloud.mean(axis=0)
            covariance = numpy.cov(cloud, rowvar=False).reshape(dimension, dimension)
            covariance += 1e-9 * numpy.trace(covariance) / max(dimension, 1) * numpy.eye(dimension)
            inverse = numpy.linalg.pinv(covariance)
            centres.append(centre)
            inverses.append(inverse)
            own.append(numpy.einsum("ij,jk,ik->i", cloud - centre, inverse, cloud - centre))
        return cls(mean, sd, rotation, points, centres, inverses, own)

    def project(self, values: numpy.ndarray) -> numpy.ndarray:
        return (numpy.atleast_2d(values) - self.mean) / self.sd @ self.rotation

    def tail_shares(self, values: numpy.ndarray) -> numpy.ndarray:
        """(rows, classes): the share of each scenario's simulations at least as far from its centre as each row."""
        observed = self.project(values)
        shares = numpy.zeros((len(observed), len(self.centres)))
        for k, (centre, inverse, own) in enumerate(zip(self.centres, self.inverses, self.own)):
            theirs = numpy.einsum("ij,jk,ik->i", observed - centre, inverse, observed - centre)
            shares[:, k] = (own[None, :] >= theirs[:, None]).mean(axis=1)
        return shares


def variance_shares(cloud: Cloud, reference: numpy.ndarray) -> numpy.ndarray:
    """The share of the standardised reference's total variance on each kept component: var(points[:, j]) /
    sum_i var((reference[:, i] - mean_i) / sd_i), the squared singular value over the sum of all of them."""
    total = float((((reference - cloud.mean) / cloud.sd).var(axis=0)).sum())
    return cloud.points.var(axis=0) / max(total, 1e-300)


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


@dataclass
class Reference:
    """What observed data are checked against, prepared once for every data set or window: a sample of each
    scenario's simulations, their statistics (prepared as for ABC) and their cloud in principal components,
    and (given a bundle) the network and its embeddings' cloud."""

    data: SimulatedData
    table: numpy.ndarray
    names: list[str]
    statistics: abc.Statistics = field(init=False)
    cloud: Cloud = field(init=False)
    most: int = field(init=False)  # principal components at most: a tenth of the smallest scenario, 2 to 20
    bundle: Bundle | None = None
    embedding_cloud: Cloud | None = None

    def __post_init__(self) -> None:
        classes = len(self.data.scenario_names)
        self.most = max(2, min(20, int(numpy.bincount(self.data.labels, minlength=classes).min()) // 10))
        self.statistics = abc.prepare(self.table, self.names)
        self.cloud = Cloud.fit(self.statistics.reference, self.data.labels, classes, self.most)

    def add_network(self, bundle: Bundle) -> None:
        """The bundle's network, and the cloud of its penultimate-layer embeddings of the simulations."""
        self.bundle = bundle
        simulated = map_encoded(lambda images: embedding(bundle.model, model_input(images, bundle.network)),
                                self.data, bundle.encoder)  # a batch of images at a time
        self.embedding_cloud = Cloud.fit(simulated, self.data.labels, len(self.data.scenario_names), self.most)

    def embed(self, data_set: Genotypes) -> numpy.ndarray:
        """The network's penultimate-layer embedding of one observed data set."""
        image, _ = encode_genotypes(self.bundle.encoder, data_set)
        return embedding(self.bundle.model, model_input(image[None], self.bundle.network))[0]


def check(ref: Reference, observed: numpy.ndarray, alpha: float = 0.01,
          embedded: numpy.ndarray | None = None) -> dict:
    """The distance and per-statistic checks of one observed statistics row; see the module docstring.

    ``embedded``: the network's embedding of the same data, checked the
    same way against ``ref``'s embedding cloud.
    """
    classes = len(ref.data.scenario_names)
    statistics = ref.statistics
    target = statistics.transform(observed[None])
    result = {"scenario_names": ref.data.scenario_names, "statistics": statistics.names, "notes": statistics.notes,
              "components": int(ref.cloud.rotation.shape[1]), "alpha": alpha,
              "tail_share": ref.cloud.tail_shares(target)[0].tolist(),
              "pca_points": ref.cloud.points[:, :2], "pca_observed": ref.cloud.project(target)[0, :2],
              "pca_variance_share": variance_shares(ref.cloud, statistics.reference)[:2].tolist()}
    ranks = statistic_ranks(statistics.reference, ref.data.labels, target[0], classes)
    result["ranks"] = {name: ranks[i].tolist() for i, name in enumerate(statistics.names)}
    outside = [name for i, name in enumerate(statistics.names)
               if numpy.all((ranks[i] < alpha / 2) | (ranks[i] > 1 - alpha / 2))]
    result["statistics_outside_every_scenario"] = outside
    if embedded is not None:
        result["embedding_tail_share"] = ref.embedding_cloud.tail_shares(embedded[None])[0].tolist()
    shares = [result["tail_share"]] + ([result["embedding_tail_share"]] if embedded is not None else [])
    result["adequate"] = bool(all(max(s) >= alpha for s in shares))
    return result


def posterior_predictive(ref: Reference, observed: numpy.ndarray, scenario: int, tolerance: float = 0.05,
                         replicates: int = 100, seed: int = 0) -> dict:
    """Simulate ``scenario`` again from the parameters of its simulations that rejection ABC accepts, and rank
    the observed statistics among those replicates."""
    data, statistics, names = ref.data, ref.statistics, ref.names
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


def reference(simulations: str, bundle: str | None = None, per_scenario: int = 1000, seed: int = 0,
              progress: Callable[[int, int], None] | None = None) -> Reference:
    """``reference_from`` a simulation folder and (optionally) a bundle file, each read once: of the folder, the
    index, then the calls of the replicates sampled alone, shard after shard (``ShardReader``)."""
    return reference_from(ShardReader(simulations), simulations, Bundle.load(bundle) if bundle is not None else None, per_scenario, seed,
                          progress)


def reference_from(source: SimulatedData | ShardReader, simulations: str, bundle: Bundle | None = None, per_scenario: int = 1000,
                   seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Reference:
    """Up to ``per_scenario`` replicates of each scenario of a loaded simulation folder (seeded; ``simulations``:
    its path, named in errors), their statistics and, with a loaded ``bundle``, their embeddings;
    ``progress(done, total)``: replicates whose statistics are done. ``source``: the folder read whole
    (``load_simulations``) or a ``ShardReader`` of it, from which only the sampled replicates are read."""
    data = source.data if isinstance(source, ShardReader) else source
    if bundle is not None:  # the bundle's scenarios, names and definitions, before any work
        bundle.check_same_scenarios(data.manifest, simulations)
    used = numpy.sort(sample_per_scenario(numpy.arange(len(data.labels)), data.labels, len(data.scenario_names),
                                          per_scenario, seed))
    if isinstance(source, ShardReader):
        replicates, draws = [source.genotypes(int(i)) for i in used], source.parameter_draws()
        calls, positions = [r.calls for r in replicates], [r.positions for r in replicates]
        site_counts, parameters = [r.site_counts for r in replicates], [draws[i] for i in used]
    else:
        calls, positions = [data.genotypes[i] for i in used], [data.positions[i] for i in used]
        site_counts, parameters = [data.site_counts[i] for i in used], [data.parameters[i] for i in used]
    subset = SimulatedData(data.scenario_names, data.labels[used], calls, positions, data.sequence_lengths[used],
                           data.haplotype_populations, data.population_names, data.manifest, site_counts,
                           data.design, parameters)
    result = Reference(subset, *abc.statistics_table(subset, progress=progress))
    if bundle is not None:
        result.add_network(bundle)
    return result


def check_data_set(ref: Reference, data_set: Genotypes, alpha: float = 0.01, predictive: int = 0,
                   picture: str | None = None, seed: int = 0) -> dict:
    """``check`` of one observed data set against a ``Reference``; with ``predictive`` > 0, a posterior
    predictive check of the scenario that rejection ABC favours; with ``picture``, the PCA picture there."""
    observed = abc.observed_statistics(data_set)
    result = check(ref, observed, alpha, ref.embed(data_set) if ref.bundle is not None else None)
    if predictive:
        shares = abc.postpr(ref.statistics.transform(observed[None])[0], ref.statistics.reference, ref.data.labels,
                            len(ref.data.scenario_names), 0.05)["posterior"]
        result["posterior_predictive"] = posterior_predictive(ref, observed, int(numpy.argmax(shares)),
                                                              replicates=predictive, seed=seed)
    if picture is not None:
        try:
            from minidl import plot  # noqa: PLC0415 - matplotlib is optional
            result["picture"] = plot.scatter_groups(
                result["pca_points"], ref.data.labels, ref.data.scenario_names, result["pca_observed"], picture,
                title="summary statistics, principal components 1 and 2",
                variance_shares=result["pca_variance_share"])
        except ImportError:
            pass
    return result


def summary(result: dict) -> dict:
    """The JSON-able core of a check: tail shares, statistics outside every scenario, the verdict."""
    keys = ("tail_share", "embedding_tail_share", "statistics_outside_every_scenario", "adequate", "alpha",
            "posterior_predictive", "picture")
    return {key: result[key] for key in keys if key in result}
