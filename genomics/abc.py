"""Rejection ABC model choice: the classical baseline the CNNs are measured against.

For each observed data set, compute the summary statistics, scale every
statistic by its median absolute deviation over the reference table, take
the Euclidean distance to every reference simulation, accept the closest
``tolerance`` fraction, and report the proportion of accepted simulations
of each scenario as its posterior probability (Pritchard et al. 1999;
model choice as in Beaumont 2010).
"""

from __future__ import annotations

import numpy

from genomics.simulate import SimulatedData
from genomics.sumstats import summary_statistics


def statistics_table(data: SimulatedData) -> numpy.ndarray:
    """Summary statistics of every replicate: (replicates, statistics).

    The statistics count alleles over complete sites: data with missing
    calls are refused rather than miscounted.
    """
    if data.design is not None and data.design.missing is not None:
        raise ValueError("these simulations have missing calls, which the ABC summary statistics do not handle yet; "
                         "simulate the scenarios without [design.missing] for the ABC baseline")
    return numpy.stack([summary_statistics(g, data.haplotype_populations, float(length))
                        for g, length in zip(data.genotypes, data.sequence_lengths)])


def mad_scale(reference: numpy.ndarray) -> numpy.ndarray:
    """Median absolute deviation of each column (its standard deviation where the MAD is 0, else 1)."""
    scale = numpy.median(numpy.abs(reference - numpy.median(reference, axis=0)), axis=0)
    fallback = reference.std(axis=0)
    scale = numpy.where(scale > 0, scale, fallback)
    return numpy.where(scale > 0, scale, 1.0)


def model_choice(reference: numpy.ndarray, labels: numpy.ndarray, observed: numpy.ndarray, classes: int,
                 tolerance: float = 0.01) -> numpy.ndarray:
    """Posterior scenario probabilities (observed, classes) by rejection at ``tolerance``."""
    if not 0 < tolerance <= 1:
        raise ValueError(f"tolerance must be in (0, 1], got {tolerance}")
    scale = mad_scale(reference)
    accepted = max(1, int(round(tolerance * len(reference))))
    scaled_reference = reference / scale
    posteriors = numpy.zeros((len(observed), classes))
    for row, values in enumerate(observed / scale):
        distances = numpy.sqrt(((scaled_reference - values) ** 2).sum(axis=1))
        nearest = numpy.argpartition(distances, accepted - 1)[:accepted]
        posteriors[row] = numpy.bincount(labels[nearest], minlength=classes) / accepted
    return posteriors
