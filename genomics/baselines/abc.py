"""ABC on summary statistics, as the R package ``abc`` (Csillery et al. 2012) does it: the reference table.

The reference table holds one row of statistics per simulation and its
scenario (``statistics_table``; ``observed_statistics`` for observed data).
``prepare`` drops statistics that cannot inform ABC and optionally rotates
them onto their principal components, keeping those that explain ``pca`` of
the variance (Perez et al. 2022 kept 99%). Model choice (``postpr``,
``cross_validate`` = ``cv4postpr``, ``bayes_factors``) lives in
``genomics.baselines.abc_choice`` and is re-exported here; parameter estimation
(R's ``abc()``) in ``genomics.baselines.abc_parameters``.
"""

from __future__ import annotations

import concurrent.futures
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy

from genomics.baselines.abc_choice import (METHODS, R_OPTIONS, RIDGE, bayes_factors, cross_validate,  # noqa: F401 (re-exported)
                                 mad_scale, postpr)
from genomics.simulation.cluster import gathered
from genomics.observed.readers import Genotypes
from genomics.simulation.run import SimulatedData
from genomics.simulation.store import ShardReader
from genomics.encoding.sumstats import statistic_names, statistics, summary_statistics

#: replicates whose statistics are computed (and whose calls are read) at a time, in this process
STEP = 50
#: chunks of replicates handed to a cluster at a time when they are read from the shards (their calls in memory)
AHEAD = 8


def statistics_table(source: SimulatedData | ShardReader, folded: bool = True,
                     executor: concurrent.futures.Executor | None = None, chunk: int = 500,
                     progress: Callable[[int, int], None] | None = None) -> tuple[numpy.ndarray, list[str]]:
    """(simulations, statistics) per-locus statistics averaged over loci (``genomics.encoding.sumstats``), and their names.

    ``source``: a folder read whole (``load_simulations``) or a
    ``ShardReader``, whose replicates are read shard after shard: memory then
    holds a few shards and the table (one row of floats per replicate),
    whatever the size of the folder. Each row depends on its replicate alone,
    so the table is the same either way, to the last bit. Missing calls (-1)
    are left out site by site, so simulations with ``[design.missing]`` and
    observed data with missing calls are handled alike. ``executor`` (a Dask
    cluster's, ``genomics.simulation.cluster``): the replicates go to its
    workers ``chunk`` at a time (from a ``ShardReader``, ``AHEAD`` chunks in
    flight at most); the table is the same. ``progress(done,
    total)``: called with the replicates done (``genomics.progress``), every
    50 here, once at the end on a cluster.
    """
    data = source.data if isinstance(source, ShardReader) else source
    names = statistic_names(data.population_names)
    total = len(data.labels)
    if progress is not None:
        progress(0, total)
    if executor is None:
        rows = []
        for s in range(0, total, STEP):
            rows.append(_statistics_rows(*_calls_and_site_counts(source, s, min(s + STEP, total)),
                                         data.haplotype_populations, folded))
            if progress is not None:
                progress(min(s + STEP, total), total)
        return (numpy.concatenate(rows) if rows else numpy.empty((0, len(names)))), names
    calls = ((*_calls_and_site_counts(source, s, min(s + chunk, total)), data.haplotype_populations, folded)
             for s in range(0, total, chunk))
    table = numpy.concatenate(gathered(executor, _statistics_rows, calls,
                                       ahead=AHEAD if isinstance(source, ShardReader) else None))
    if progress is not None:
        progress(total, total)
    return table, names


def _calls_and_site_counts(source: SimulatedData | ShardReader, start: int, stop: int) -> tuple[list, list]:
    """(calls, sites per locus) of replicates ``start`` to ``stop`` (excluded), from memory or their shards."""
    if isinstance(source, ShardReader):
        replicates = [source.genotypes(i) for i in range(start, stop)]
        return [r.calls for r in replicates], [r.site_counts for r in replicates]
    return source.genotypes[start:stop], source.site_counts[start:stop]


def _statistics_rows(genotypes: list, site_counts: list, populations: numpy.ndarray, folded: bool) -> numpy.ndarray:
    """The statistics of some replicates (a task of ``statistics_table``), one row each."""
    return numpy.stack([summary_statistics(g, counts, populations, folded) for g, counts in zip(genotypes, site_counts)])


def observed_statistics(data_set: Genotypes, folded: bool = True) -> numpy.ndarray:
    """The summary statistics of one observed data set, computed as ``statistics_table`` computes them."""
    return statistics(data_set, folded)


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
