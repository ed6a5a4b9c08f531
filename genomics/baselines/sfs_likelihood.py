"""A composite-likelihood fit of one population's size history to its site frequency spectrum (dadi-style).

Sites are treated as independent (a Poisson random field, Sawyer and Hartl
1992): the count x_i of sites with i derived copies of n is Poisson with mean
lambda_i = mu L B_i(theta), B_i the expected branch lengths of
``genomics.baselines.expected_sfs`` for the size history that a one-population
scenario gives for parameters theta, mu the mutation rate per bp per
generation and L the sequence length (both known). The composite
log-likelihood is

    log L(theta) = sum_i x_i log lambda_i - lambda_i           (shape: i = 1 .. n - 1, or 1 .. n/2 folded)

maximised over the logarithms of the free parameters (priors whose support
is an interval), bounded by the priors' supports, with L-BFGS-B from several
starts drawn from the priors (the priors set bounds and starts, nothing
else). Linked sites are not independent, so the curvature of log L is
overconfident; intervals come from a block bootstrap instead: resample the
windows' spectra with replacement (each window a block), re-fit, and take
the percentiles of the re-fitted values. They are bootstrap intervals of a
point estimate, not a posterior.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msprime
import numpy
import scipy.optimize

from genomics.baselines.expected_sfs import expected_branch_lengths, fold
from genomics.errors import SettingError, braces_doubled


class SpectrumFitError(SettingError):
    """A spectrum, scenario or setting the fit refuses, in one sentence naming the parameter."""


def size_epochs(demography: msprime.Demography) -> list[tuple[float, float]]:
    """[(start time, diploid size), ...] of a one-population msprime Demography whose size is piecewise constant.

    Only ``PopulationParametersChange`` events without growth are accepted; a change at the time of the
    previous one replaces it.
    """
    if demography.num_populations != 1:
        raise SpectrumFitError(f"{{scenario}} has {demography.num_populations} populations; the spectrum fit takes "
                               "one population with a piecewise-constant size")
    population = demography.populations[0]
    if population.growth_rate:
        raise SpectrumFitError(f"{{scenario}} gives the growth rate {float(population.growth_rate)!r}; the "
                               "spectrum fit takes piecewise-constant sizes (growth rate 0)")
    epochs = [(0.0, float(population.initial_size))]
    for event in sorted(demography.events, key=lambda e: e.time):
        if not isinstance(event, msprime.demography.PopulationParametersChange) or event.growth_rate:
            raise SpectrumFitError(f"{{scenario}} has the event {braces_doubled(type(event).__name__)} at "
                                   f"{float(event.time)!r} generations; the spectrum fit takes size changes only")
        if event.initial_size is None:
            continue
        if event.time == epochs[-1][0]:
            epochs[-1] = (float(event.time), float(event.initial_size))
        else:
            epochs.append((float(event.time), float(event.initial_size)))
    return epochs


def derived_spectra(calls: numpy.ndarray, site_counts: numpy.ndarray) -> numpy.ndarray:
    """Per window, the unfolded spectrum of derived-allele counts.

    calls: (haplotypes, sites), 1 derived and 0 ancestral (sites with any other value, such as missing calls,
    are left out); site_counts: (windows,), the sites of each window in order. Returns (windows, n - 1) counts
    of sites with 1 .. n - 1 derived copies (sites fixed for either allele are not counted).
    """
    calls = numpy.asarray(calls)
    n = calls.shape[0]
    complete = numpy.all((calls == 0) | (calls == 1), axis=0)
    derived = numpy.where(complete, calls.sum(axis=0, where=complete, dtype=numpy.int64), 0)
    window = numpy.repeat(numpy.arange(len(site_counts)), site_counts)
    table = numpy.zeros((len(site_counts), n + 1), dtype=numpy.int64)
    numpy.add.at(table, (window, derived), 1)
    return table[:, 1:n].astype(float)


@dataclass
class SpectrumModel:
    """The expected spectrum of a one-population scenario: ``scenario`` (a genomics Scenario), ``haplotypes``
    (n, from its design) and the known ``mutation_rate`` (per bp per generation)."""

    scenario: object
    mutation_rate: float
    haplotypes: int = field(init=False)
    free: list[str] = field(init=False)
    bounds: numpy.ndarray = field(init=False)

    def __post_init__(self) -> None:
        design = self.scenario.design
        if len(design.populations) != 1:
            raise SpectrumFitError(f"{{scenario}} samples {len(design.populations)} populations "
                                   f"({braces_doubled(design.populations)}); the spectrum fit takes one")
        self.haplotypes = int(design.samples[0] * design.ploidy)      # >= 2: a Scenario refuses fewer
        if not (numpy.isfinite(self.mutation_rate) and self.mutation_rate > 0):
            raise SpectrumFitError(f"{{mutation_rate}} is {self.mutation_rate!r}; it must be finite and > 0")
        self.free, bounds = [], []
        for name, prior in self.scenario.priors.items():
            low, high = prior.support
            if low == high:
                continue
            if not (0 < low < high < numpy.inf):
                raise SpectrumFitError(f"{{scenario}}'s prior of {braces_doubled(name)} has the support "
                                       f"[{low!r}, {high!r}]; the fit works in log parameters within finite "
                                       "positive bounds")
            self.free.append(name)
            bounds.append((numpy.log(low), numpy.log(high)))
        self.bounds = numpy.array(bounds)
        size_epochs(self.scenario.demography(self.parameters(self.bounds.mean(axis=1))))   # one population?

    def parameters(self, log_values: numpy.ndarray) -> dict[str, float]:
        """Every scenario parameter: the free ones from ``log_values`` (in ``free``'s order), the fixed ones."""
        values = {name: prior.support[0] for name, prior in self.scenario.priors.items()}
        values.update(zip(self.free, numpy.exp(log_values).tolist()))
        return values

    def expected(self, parameters: dict, sequence_length: float, folded: bool = False) -> numpy.ndarray:
        """lambda = mu L B(parameters), unfolded (n - 1,) or folded (n // 2,)."""
        epochs = size_epochs(self.scenario.demography(parameters))
        spectrum = self.mutation_rate * sequence_length * expected_branch_lengths(self.haplotypes, epochs)
        return fold(spectrum) if folded else spectrum

    def check_spectrum(self, spectrum: numpy.ndarray, folded: bool, name: str = "spectrum") -> numpy.ndarray:
        """``spectrum`` as floats, or one sentence saying what is wrong with it."""
        spectrum = numpy.asarray(spectrum, dtype=float)
        expected = self.haplotypes // 2 if folded else self.haplotypes - 1
        kind = "folded" if folded else "unfolded"
        if spectrum.shape[-1:] != (expected,):
            raise SpectrumFitError(f"{{{name}}} has shape {spectrum.shape}; the {kind} spectrum of "
                                   f"{self.haplotypes} haplotypes has {expected} entries (1 .. "
                                   f"{expected} copies)")
        bad = ~numpy.isfinite(spectrum) | (spectrum < 0)
        if bad.any():
            raise SpectrumFitError(f"{{{name}}} holds the count {float(spectrum[bad].flat[0])!r}; counts must be "
                                   "finite and >= 0")
        if not spectrum.sum() > 0:
            raise SpectrumFitError(f"{{{name}}} holds no segregating site; there is nothing to fit")
        return spectrum


def log_likelihood(observed: numpy.ndarray, expected: numpy.ndarray) -> float:
    """Poisson composite log-likelihood sum_i x_i log lambda_i - lambda_i (without the constant -log x_i!)."""
    return float(numpy.sum(observed * numpy.log(expected) - expected))


@dataclass
class SpectrumFit:
    """The maximum composite-likelihood estimate: ``parameters`` (every scenario parameter), ``log_likelihood``,
    the best of ``starts`` local maximisations (``converged``: how many reached the best within 0.01 log units)."""

    parameters: dict[str, float]
    log_likelihood: float
    starts: int
    converged: int
    expected: numpy.ndarray


def fit_spectrum(spectrum: numpy.ndarray, model: SpectrumModel, sequence_length: float, folded: bool = False,
                 starts: int = 6, seed: int = 0, initial: list[dict] | None = None) -> SpectrumFit:
    """Maximise log L over the free parameters' logarithms within the priors' supports.

    spectrum: (n - 1,) unfolded or (n // 2,) folded site counts of ``sequence_length`` bp. Starts: ``initial``
    (parameter dictionaries, e.g. an earlier fit) and ``starts`` draws from the priors (``seed``).
    """
    spectrum = model.check_spectrum(spectrum, folded)
    if not (numpy.isfinite(sequence_length) and sequence_length > 0):
        raise SpectrumFitError(f"{{sequence_length}} is {sequence_length!r}; it must be finite and > 0")
    if int(starts) != starts or starts < 0 or (starts == 0 and not initial):
        raise SpectrumFitError(f"{{starts}} is {starts!r}; give a whole number >= 1 (or initial points)")
    # the deviance from the saturated model, sum lambda - x - x log(lambda / x): >= 0, near 0 at a good fit
    saturated = log_likelihood(spectrum, numpy.where(spectrum > 0, spectrum, 1.0))

    def deviance(log_values: numpy.ndarray) -> float:
        lam = model.expected(model.parameters(log_values), sequence_length, folded)
        return saturated - log_likelihood(spectrum, lam)

    generator = numpy.random.default_rng(seed)
    points = [numpy.clip(numpy.log([point[name] for name in model.free]), *model.bounds.T) for point in initial or []]
    points += [numpy.log([model.scenario.priors[name].draw(generator) for name in model.free]) for _ in range(starts)]
    results = [scipy.optimize.minimize(deviance, point, method="L-BFGS-B", bounds=model.bounds,
                                       options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 500}) for point in points]
    best = min(results, key=lambda result: result.fun)
    parameters = model.parameters(best.x)
    return SpectrumFit(parameters=parameters, log_likelihood=saturated - float(best.fun), starts=len(points),
                       converged=sum(result.fun - best.fun < 0.01 for result in results),
                       expected=model.expected(parameters, sequence_length, folded))


def bootstrap_fits(window_spectra: numpy.ndarray, window_lengths: numpy.ndarray, model: SpectrumModel,
                   estimate: SpectrumFit, replicates: int = 50, folded: bool = False, seed: int = 0) -> numpy.ndarray:
    """Block bootstrap: ``replicates`` re-fits of the windows resampled with replacement. Shape (replicates, free).

    window_spectra: (windows, n - 1) or (windows, n // 2); window_lengths: (windows,) bp. Each re-fit starts from
    ``estimate`` only (a resample's maximum lies near it).
    """
    window_spectra = model.check_spectrum(window_spectra, folded, "window_spectra")
    window_lengths = numpy.asarray(window_lengths, dtype=float)
    if window_spectra.ndim != 2 or window_lengths.shape != window_spectra.shape[:1] or len(window_lengths) < 2:
        raise SpectrumFitError(f"{{window_spectra}} has shape {window_spectra.shape} and {{window_lengths}} "
                               f"{window_lengths.shape}; give (windows, entries) and (windows,), windows >= 2")
    if int(replicates) != replicates or replicates < 2:
        raise SpectrumFitError(f"{{replicates}} is {replicates!r}; a bootstrap needs a whole number >= 2")
    generator = numpy.random.default_rng(seed)
    values = []
    for _ in range(replicates):
        chosen = generator.integers(0, len(window_lengths), len(window_lengths))
        refit = fit_spectrum(window_spectra[chosen].sum(axis=0), model, float(window_lengths[chosen].sum()), folded,
                             starts=0, initial=[estimate.parameters])
        values.append([refit.parameters[name] for name in model.free])
    return numpy.array(values)


def bootstrap_intervals(values: numpy.ndarray, names: list[str], level: float = 0.9) -> dict[str, list[float]]:
    """Percentile intervals of the bootstrap re-fits (``values``: (replicates, names)) at ``level``."""
    if not 0 < level < 1:
        raise SpectrumFitError(f"{{level}} is {level!r}; give a fraction in (0, 1)")
    low, high = numpy.quantile(values, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return {name: [float(a), float(b)] for name, a, b in zip(names, low, high)}
