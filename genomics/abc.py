"""ABC model choice on summary statistics, as the R package ``abc`` (Csillery et al. 2012) does it.

The reference table holds one row of statistics per simulation and its
scenario. For one observed row (the target):

1. scale each statistic by its median absolute deviation (MAD) over the
   reference table, and take the Euclidean distance d_i of every simulation
   to the target;
2. accept the ``tolerance`` fraction of simulations closest to the target
   (distance <= h, the tolerance quantile of the distances);
3. posterior model probabilities:

   - ``rejection``: the share of each scenario among the accepted
     simulations (Pritchard et al. 1999);
   - ``mnlogistic``: a multinomial logistic regression of the scenario on
     the accepted simulations' (scaled) statistics, each weighted by the
     Epanechnikov kernel w_i = 1 - (d_i / h)^2, evaluated at the target
     (Beaumont 2008). Fitted here by Newton's method on the weighted
     log-likelihood with scenario 0 as the baseline and a small ridge
     (``RIDGE`` times the summed weights, on the slopes only), which keeps
     the estimates finite when the accepted scenarios separate perfectly;
   - ``neuralnet``: the same regression through a one-hidden-layer network
     (Blum and Francois 2010; R's ``nnet`` with 5 logistic hidden units and
     weight decay), here a minidl MLP trained full-batch with the kernel
     weights as sample weights; the posteriors of ``networks`` networks
     (weight decays drawn from 1e-4, 1e-3, 1e-2 as ``abc`` does) are averaged.

   Scenarios with no accepted simulation get probability 0; with one
   scenario accepted, it gets 1.

Optionally the statistics are first standardised and rotated onto their
principal components, keeping those that explain ``pca`` of the variance
(Perez et al. 2022 kept 99%). ``cross_validate`` is ``cv4postpr``:
pseudo-observed data sets drawn from the reference table (each left out of
its own reference table), classified at each tolerance, as a confusion
matrix and mean posterior probabilities.
"""

from __future__ import annotations

import concurrent.futures
import warnings
from dataclasses import dataclass, field

import numpy

from genomics.cluster import gathered
from genomics.readers import Genotypes
from genomics.simulate import SimulatedData
from genomics.sumstats import statistic_names, statistics, summary_statistics

METHODS = ("rejection", "mnlogistic", "neuralnet")
RIDGE = 1e-6


def statistics_table(data: SimulatedData, folded: bool = True,
                     executor: concurrent.futures.Executor | None = None,
                     chunk: int = 500) -> tuple[numpy.ndarray, list[str]]:
    """(simulations, statistics) per-locus statistics averaged over loci (``genomics.sumstats``), and their names.

    Missing calls (-1) are left out site by site, so simulations with
    ``[design.missing]`` and observed data with missing calls are handled
    alike. ``executor`` (a Dask cluster's, ``genomics.cluster``): the
    replicates go to its workers ``chunk`` at a time; the table is the same.
    """
    names = statistic_names(data.population_names)
    if executor is None:
        return _statistics_rows(data.genotypes, data.site_counts, data.haplotype_populations, folded), names
    calls = ((data.genotypes[s : s + chunk], data.site_counts[s : s + chunk], data.haplotype_populations, folded)
             for s in range(0, len(data.genotypes), chunk))
    return numpy.concatenate(gathered(executor, _statistics_rows, calls)), names


def _statistics_rows(genotypes: list, site_counts: list, populations: numpy.ndarray, folded: bool) -> numpy.ndarray:
    """The statistics of some replicates (a task of ``statistics_table``), one row each."""
    return numpy.stack([summary_statistics(g, counts, populations, folded) for g, counts in zip(genotypes, site_counts)])


def observed_statistics(data_set: Genotypes, folded: bool = True) -> numpy.ndarray:
    """The summary statistics of one observed data set, computed as ``statistics_table`` computes them."""
    return statistics(data_set, folded)


def mad_scale(reference: numpy.ndarray) -> numpy.ndarray:
    """Median absolute deviation of each column (its standard deviation where the MAD is 0, else 1)."""
    scale = numpy.median(numpy.abs(reference - numpy.median(reference, axis=0)), axis=0)
    fallback = reference.std(axis=0)
    scale = numpy.where(scale > 0, scale, fallback)
    return numpy.where(scale > 0, scale, 1.0)


@dataclass
class Statistics:
    """A reference table ready for ABC: which statistics were kept, and how the values were transformed."""

    names: list[str]                      # statistics kept (or principal components "PC1", ...)
    reference: numpy.ndarray              # (simulations, kept)
    notes: list[str] = field(default_factory=list)
    fill: numpy.ndarray | None = None     # per original kept column: the reference median used for NaN
    columns: numpy.ndarray | None = None  # indices of the original columns kept
    mean: numpy.ndarray | None = None     # PCA: standardisation and rotation
    sd: numpy.ndarray | None = None
    rotation: numpy.ndarray | None = None

    def transform(self, table: numpy.ndarray) -> numpy.ndarray:
        """Other rows (observed data, held-out simulations) transformed as the reference was."""
        values = numpy.atleast_2d(numpy.asarray(table, dtype=float))[:, self.columns]
        values = numpy.where(numpy.isnan(values), self.fill, values)
        if self.rotation is not None:
            values = ((values - self.mean) / self.sd) @ self.rotation
        return values


def prepare(reference: numpy.ndarray, names: list[str], pca: float | None = None) -> Statistics:
    """Drop statistics that are constant or undefined over the reference table, fill the rare undefined values
    with the column's median (said in the notes), and optionally keep the principal components explaining
    ``pca`` of the variance of the standardised statistics."""
    reference = numpy.asarray(reference, dtype=float)
    notes = []
    undefined = numpy.isnan(reference).mean(axis=0)
    mostly_undefined = undefined > 0.5
    with warnings.catch_warnings():  # an all-NaN column has no median; it is dropped below
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = numpy.nanmedian(reference, axis=0)
    finite = numpy.where(numpy.isnan(reference), medians, reference)
    constant = ~mostly_undefined & (finite.max(axis=0, initial=-numpy.inf) == finite.min(axis=0, initial=numpy.inf))
    dropped_constant = [n for n, c, u in zip(names, constant, mostly_undefined) if c and not u]
    dropped_undefined = [n for n, u in zip(names, mostly_undefined) if u]
    if dropped_constant:
        notes.append(f"dropped {len(dropped_constant)} statistics with one value in every simulation (fixed by the "
                     f"design): {', '.join(dropped_constant)}")
    if dropped_undefined:
        notes.append(f"dropped {len(dropped_undefined)} statistics undefined in most simulations: "
                     f"{', '.join(dropped_undefined)}")
    columns = numpy.flatnonzero(~constant & ~mostly_undefined)
    if columns.size == 0:
        raise ValueError("no summary statistic varies across the simulations")
    fill = medians[columns]
    filled = int(numpy.isnan(reference[:, columns]).sum())
    if filled:
        notes.append(f"{filled} undefined values (e.g. Tajima's D at loci without a segregating site in a "
                     f"population) replaced by the statistic's median over the reference table")
    statistics = Statistics([names[c] for c in columns], reference[:, columns], notes, fill, columns)
    statistics.reference = numpy.where(numpy.isnan(statistics.reference), fill, statistics.reference)
    if pca is not None:
        if not 0 < pca <= 1:
            raise ValueError(f"pca must be a fraction of variance in (0, 1], got {pca}")
        mean, sd = statistics.reference.mean(axis=0), statistics.reference.std(axis=0)
        standardised = (statistics.reference - mean) / sd
        _, singular, components = numpy.linalg.svd(standardised, full_matrices=False)
        explained = numpy.cumsum(singular**2) / numpy.sum(singular**2)
        keep = int(numpy.searchsorted(explained, pca - 1e-12) + 1)
        statistics.mean, statistics.sd, statistics.rotation = mean, sd, components[:keep].T
        statistics.reference = standardised @ statistics.rotation
        statistics.names = [f"PC{i + 1}" for i in range(keep)]
        notes.append(f"PCA of the {len(columns)} standardised statistics: {keep} components explain "
                     f"{explained[keep - 1]:.4f} of the variance (asked: {pca:g})")
    return statistics


def _multinomial_logistic(x: numpy.ndarray, labels: numpy.ndarray, weights: numpy.ndarray, classes: int,
                          iterations: int = 50) -> numpy.ndarray:
    """Coefficients (features + 1, classes) of a weighted multinomial logistic regression, class 0 the baseline.

    Maximises sum_i w_i log p_i[y_i] - ridge |slopes|^2 / 2 with
    p_i = softmax(X_i B), X_i = (1, x_i), by Newton's method: gradient
    X^T W (Y - P) for classes 1..K-1 and the Hessian blocks
    -X^T W diag(p_j (delta_jk - p_k)) X, each step halved until the
    objective does not fall.
    """
    n, features = x.shape
    design = numpy.hstack([numpy.ones((n, 1)), x])
    free = classes - 1
    ridge = RIDGE * weights.sum() * numpy.r_[0.0, numpy.ones(features)]  # the intercepts are not penalised
    truth = numpy.eye(classes)[labels]
    coefficients = numpy.zeros((features + 1, classes))

    def objective(b: numpy.ndarray) -> float:
        z = design @ b
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - numpy.log(numpy.exp(z).sum(axis=1, keepdims=True))
        return float(numpy.sum(weights * log_p[numpy.arange(n), labels]) - 0.5 * numpy.sum(ridge[:, None] * b**2))

    current = objective(coefficients)
    for _ in range(iterations):
        z = design @ coefficients
        p = numpy.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gradient = (design.T @ (weights[:, None] * (truth - p)))[:, 1:] - ridge[:, None] * coefficients[:, 1:]
        hessian = numpy.zeros((free * (features + 1), free * (features + 1)))
        for j in range(1, classes):
            for k in range(1, classes):
                w = weights * p[:, j] * ((j == k) - p[:, k])
                block = -(design.T * w) @ design
                if j == k:
                    block -= numpy.diag(ridge)
                rows, cols = slice((j - 1) * (features + 1), j * (features + 1)), \
                    slice((k - 1) * (features + 1), k * (features + 1))
                hessian[rows, cols] = block
        step = numpy.linalg.lstsq(hessian, gradient.T.ravel(), rcond=None)[0].reshape(free, features + 1).T
        scale = 1.0
        while scale > 1e-6:
            candidate = coefficients.copy()
            candidate[:, 1:] -= scale * step
            value = objective(candidate)
            if value >= current - 1e-12:
                break
            scale /= 2
        gain = value - current
        coefficients, current = candidate, value
        if abs(gain) < 1e-10 * max(1.0, abs(current)):
            break
    return coefficients


def _neural_network(x: numpy.ndarray, labels: numpy.ndarray, weights: numpy.ndarray, classes: int,
                    networks: int, seed: int, hidden: int = 5, steps: int = 150) -> numpy.ndarray:
    """Mean softmax output at x = 0 (the target) of ``networks`` one-hidden-layer networks fitted to the data.

    Each network takes about ``steps`` Adam steps (learning rate 0.02) on
    batches of up to 2,048 accepted simulations.
    """
    import minidl  # noqa: PLC0415 - the engine is only needed for this method
    from minidl.layers import Dense, Input  # noqa: PLC0415

    generator = numpy.random.default_rng(seed)
    outputs = []
    normalised = weights / weights.mean()
    for _ in range(networks):
        minidl.random.seed(int(generator.integers(2**31)))
        decay = float(generator.choice([1e-4, 1e-3, 1e-2]))
        model = minidl.Sequential([
            Input((x.shape[1],)),
            Dense(hidden, activation="sigmoid", kernel_regularizer=minidl.regularizers.l2(decay)),
            Dense(classes, activation="softmax", kernel_regularizer=minidl.regularizers.l2(decay))])
        model.compile(optimizer=minidl.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
        batch = min(2048, len(x))
        features = x.astype(numpy.float32)
        for step in range(steps):  # train_on_batch: fit's per-epoch bookkeeping would cost more than these steps
            if step % -(-len(x) // batch) == 0:
                order = generator.permutation(len(x))
            rows = order[(step % -(-len(x) // batch)) * batch:][:batch]
            model.train_on_batch(features[rows], labels[rows], sample_weight=normalised[rows])
        outputs.append(model.predict(numpy.zeros((1, x.shape[1]), numpy.float32))[0])
    return numpy.mean(outputs, axis=0)


def postpr(target: numpy.ndarray, reference: numpy.ndarray, labels: numpy.ndarray, classes: int,
           tolerance: float, method: str = "rejection", scale: numpy.ndarray | None = None, networks: int = 3,
           seed: int = 0, exclude: int | None = None) -> dict:
    """Posterior scenario probabilities of one target row: {"posterior", "accepted" (shares), "accepted_count"}.

    ``scale``: the MAD of each column (computed from ``reference`` when
    None); ``exclude``: a reference row left out (the target itself, in
    cross-validation).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 < tolerance <= 1:
        raise ValueError(f"tolerance must be in (0, 1], got {tolerance}")
    scale = mad_scale(reference) if scale is None else scale
    scaled = (reference - target) / scale
    distances = numpy.sqrt((scaled**2).sum(axis=1))
    if exclude is not None:
        distances[exclude] = numpy.inf
    available = len(distances) - (exclude is not None)
    count = max(1, int(numpy.ceil(tolerance * available)))
    accepted = numpy.argpartition(distances, count - 1)[:count]
    shares = numpy.bincount(labels[accepted], minlength=classes) / count
    result = {"accepted": shares, "accepted_count": count}
    present = numpy.flatnonzero(shares > 0)
    if method == "rejection" or len(present) < 2:
        result["posterior"] = shares.astype(float) if method == "rejection" else (shares > 0).astype(float)
        return result
    bandwidth = distances[accepted].max()
    weights = 1 - (distances[accepted] / bandwidth) ** 2 if bandwidth > 0 else numpy.ones(count)
    weights = numpy.maximum(weights, 1e-6)  # the farthest accepted point keeps a sliver of weight
    local = numpy.searchsorted(present, labels[accepted])  # classes renumbered among those present
    x = scaled[accepted]
    if method == "mnlogistic":
        coefficients = _multinomial_logistic(x, local, weights, len(present))
        z = coefficients[0] - coefficients[0].max()  # the target is x = 0: only the intercepts remain
        probabilities = numpy.exp(z) / numpy.exp(z).sum()
    else:
        probabilities = _neural_network(x, local, weights, len(present), networks, seed)
    posterior = numpy.zeros(classes)
    posterior[present] = probabilities
    result["posterior"] = posterior
    return result


def bayes_factors(posterior: numpy.ndarray) -> numpy.ndarray:
    """B[i, j] = P(i | data) / P(j | data) (equal prior probabilities); inf or NaN where a posterior is 0."""
    posterior = numpy.asarray(posterior, dtype=float)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return posterior[:, None] / posterior[None, :]


def cross_validate(reference: numpy.ndarray, labels: numpy.ndarray, classes: int, per_scenario: int,
                   tolerances: list[float], method: str = "rejection", seed: int = 0, networks: int = 3) -> dict:
    """``cv4postpr``: ``per_scenario`` pseudo-observed rows of each scenario, each classified against the rest.

    Returns, per tolerance, the confusion matrix (rows: true scenario,
    columns: highest posterior) and the mean posterior probabilities per
    true scenario; and the indices of the pseudo-observed rows.
    """
    generator = numpy.random.default_rng(seed)
    chosen = numpy.concatenate([generator.choice(numpy.flatnonzero(labels == k), size=min(per_scenario,
                                                 int((labels == k).sum())), replace=False) for k in range(classes)])
    scale = mad_scale(reference)
    results = {}
    for tolerance in tolerances:
        confusion = numpy.zeros((classes, classes), dtype=int)
        sums = numpy.zeros((classes, classes))
        for index in chosen:
            posterior = postpr(reference[index], reference, labels, classes, tolerance, method, scale, networks,
                               seed=int(index), exclude=int(index))["posterior"]
            confusion[labels[index], int(numpy.argmax(posterior))] += 1
            sums[labels[index]] += posterior
        totals = confusion.sum(axis=1, keepdims=True)
        results[tolerance] = {"confusion": confusion, "mean_posterior": sums / numpy.maximum(totals, 1),
                              "accuracy": float(numpy.trace(confusion) / confusion.sum())}
    return {"per_tolerance": results, "pseudo_observed": chosen}
