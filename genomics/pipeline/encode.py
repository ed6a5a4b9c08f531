"""Replicates and observed data sets as the images a network reads."""

from __future__ import annotations

from typing import Any

import numpy

from genomics.simulation.cluster import gathered
from genomics.encoding.encoder import Encoder
from genomics.genotypes import Genotypes
from genomics.simulation.run import SimulatedData


def encode_data(data: SimulatedData, encoder: Encoder, indices: numpy.ndarray | None = None,
                executor: Any = None, chunk: int = 500, progress: Any = None) -> numpy.ndarray:
    """Step 2: the replicates (all, or ``indices`` in that order) as images (n, haplotypes, n_snps, channels).

    ``executor`` (a Dask cluster's, ``genomics.simulation.cluster``): the replicates go to its workers ``chunk`` at a
    time; the images are the same. ``progress(done, total)``: replicates encoded so far (``genomics.progress``;
    in this process only).
    """
    indices = numpy.arange(len(data.labels)) if indices is None else numpy.asarray(indices)
    if executor is None:
        images, _ = encoder.encode_many([data.genotypes[i] for i in indices], [data.positions[i] for i in indices],
                                        data.sequence_lengths[indices], data.haplotype_populations, progress=progress)
        return images
    calls = (([data.genotypes[i] for i in part], [data.positions[i] for i in part], data.sequence_lengths[part],
              data.haplotype_populations)
             for part in (indices[start : start + chunk] for start in range(0, len(indices), chunk)))
    return numpy.concatenate([images for images, _ in gathered(executor, encoder.encode_many, calls)])


def encode_genotypes(encoder: Encoder, data: Genotypes) -> tuple[numpy.ndarray, int]:
    """One observed data set (``genomics.genotypes.Genotypes``) as an image and its number of real SNPs
    (``Encoder.encode_genotypes``: refused when the encoding needs positions the data lack)."""
    return encoder.encode_genotypes(data)
