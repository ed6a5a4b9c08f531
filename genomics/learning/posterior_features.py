"""What the posterior network sees of a data set: one row of summary statistics per window (locus).

A data set (one simulated replicate, or observed genotypes) is the set of
its windows: its loci as the design or the VCF's windows cut them. Each
window gives the per-locus statistics of ``genomics.encoding.sumstats``
(S, pi, theta_w, Tajima's D, theta_H, H for all haplotypes and each
population; d_xy and F_ST per pair), optionally followed by the window's
folded spectrum in ``spectrum_bins`` bins (``genomics.encoding.
window_spectrum``: the shape a change of size leaves), so a data set is an array
(windows, statistics), and a batch of data sets (data sets, windows,
statistics). The network embeds every window alike and averages the
embeddings over the windows (``genomics.learning.posterior``), so any
number of windows gives one posterior.

Scaling, fitted on the training simulations: v = sign(x) ln(1 + |x|)
(counts such as S span orders of magnitude across a prior), then
z = (v - mean) / sd per statistic; a statistic undefined in a window
(Tajima's D without segregating sites: NaN) becomes 0, the training mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from genomics.encoding import sumstats
from genomics.encoding.window_spectrum import folded_window_spectrum, spectrum_names
from genomics.genotypes import Genotypes
from genomics.simulation.run import SimulatedData
from genomics.simulation.store import simulated_genotypes


class PosteriorDataError(ValueError):
    """Data that the posterior cannot use (wrong statistics, no windows); one sentence."""


def window_statistics(data: Genotypes, spectrum_bins: int = 0) -> numpy.ndarray:
    """(windows, statistics): the per-locus summary statistics of one data set (minor-allele counts), then
    ``spectrum_bins`` bins of each window's folded spectrum (none by default)."""
    counts = data.require_loci("a posterior over windows")
    table = sumstats.locus_statistics(data.calls, counts, data.haplotype_populations)
    if spectrum_bins:
        table = numpy.concatenate([table, folded_window_spectrum(data.calls, counts, spectrum_bins)], axis=1)
    return table


def window_statistic_names(population_names: list[str], haplotypes: int, spectrum_bins: int = 0) -> list[str]:
    """The names of ``window_statistics``' columns, in order."""
    names = sumstats.statistic_names(list(population_names))
    return names + (spectrum_names(haplotypes, spectrum_bins) if spectrum_bins else [])


def spectrum_bins_of(names: list[str]) -> int:
    """How many spectrum bins a list of statistic names holds (what a trained posterior was fitted on)."""
    return sum(1 for name in names if name.startswith("sfs_"))


def simulated_window_statistics(data: SimulatedData, indices: numpy.ndarray, spectrum_bins: int = 0) -> numpy.ndarray:
    """(replicates, windows, statistics) for the replicates ``indices`` of a simulation folder read whole."""
    rows = [window_statistics(simulated_genotypes(data, int(i)), spectrum_bins) for i in indices]
    windows = {row.shape[0] for row in rows}
    if len(windows) > 1:
        raise PosteriorDataError(f"the replicates have different numbers of windows ({sorted(windows)}); a "
                                 "posterior is trained on replicates of one design")
    return numpy.stack(rows) if rows else numpy.zeros((0, 0, 0))


def _squashed(values: numpy.ndarray) -> numpy.ndarray:
    return numpy.sign(values) * numpy.log1p(numpy.abs(values))


@dataclass
class FeatureScaling:
    """The per-statistic mean and sd of the squashed training values, and the statistics' names."""

    names: list[str]
    mean: list[float]
    sd: list[float]

    @classmethod
    def fit(cls, names: list[str], windows: numpy.ndarray) -> "FeatureScaling":
        """From training windows (data sets, windows, statistics)."""
        flat = _squashed(windows.reshape(-1, windows.shape[-1]))
        defined = ~numpy.isnan(flat)
        counts = numpy.maximum(defined.sum(axis=0), 1)
        mean = numpy.where(defined, flat, 0.0).sum(axis=0) / counts
        sd = numpy.sqrt(numpy.where(defined, (flat - mean) ** 2, 0.0).sum(axis=0) / counts)
        return cls(list(names), mean.tolist(), numpy.where(sd > 0, sd, 1.0).tolist())

    def apply(self, windows: numpy.ndarray) -> numpy.ndarray:
        """Scaled float32 features of windows (..., windows, statistics), NaN as 0; the count is checked."""
        windows = numpy.asarray(windows, dtype=float)
        if windows.ndim < 2 or windows.shape[-1] != len(self.names):
            raise PosteriorDataError(f"the data give {windows.shape[-1] if windows.ndim else 0} statistics per "
                                     f"window, but the posterior was trained on {len(self.names)} "
                                     f"({', '.join(self.names[:4])}, ...): the populations must be the simulations'")
        if windows.shape[-2] == 0:
            raise PosteriorDataError("the data set has no window: a posterior needs at least one locus")
        scaled = (_squashed(windows) - numpy.array(self.mean)) / numpy.array(self.sd)
        return numpy.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0).astype(numpy.float32)

    def to_dict(self) -> dict:
        return {"names": self.names, "mean": self.mean, "sd": self.sd}

    @classmethod
    def from_dict(cls, settings: dict) -> "FeatureScaling":
        return cls(list(settings["names"]), list(settings["mean"]), list(settings["sd"]))
