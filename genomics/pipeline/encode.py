"""Replicates and observed data sets as the images a network reads."""

from __future__ import annotations

from typing import Any, Callable

import numpy

from genomics.simulation.cluster import gathered
from genomics.encoding.encoder import Encoder
from genomics.genotypes import Genotypes
from genomics.learning.batches.streaming import map_from_shards
from genomics.simulation.run import SimulatedData
from genomics.simulation.store import ShardReader

#: replicates encoded at a time when a command turns a folder into network outputs (``--batch-size``)
BATCH_SIZE = 256


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


def map_encoded(function: Callable[[numpy.ndarray], numpy.ndarray], source: SimulatedData | ShardReader,
                encoder: Encoder, indices: numpy.ndarray | None = None, batch_size: int = BATCH_SIZE,
                progress: Any = None) -> numpy.ndarray:
    """``function(images)`` of the replicates ``indices`` of ``source`` (all by default; rows in that order),
    encoded ``batch_size`` replicates at a time, so that only one batch of float32 images is ever in memory.

    ``source``: a folder read whole (``load_simulations``: its int8 calls are
    encoded a batch at a time) or a ``ShardReader`` (read shard after shard,
    ``genomics.learning.batches.streaming.map_from_shards``). ``function``
    maps images (n, haplotypes, SNPs, channels) to n rows of small outputs
    (logits, estimates); only those are kept. The rows are those of
    ``function(encode_data(data, encoder, indices))`` up to the rounding of
    a network's batched arithmetic. ``progress(done, total)``: replicates
    encoded and mapped so far (``genomics.progress``), after every batch.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch size must be a positive number of replicates, got {batch_size!r}")
    if progress is not None:
        total = len(indices) if indices is not None else \
            len(source) if isinstance(source, ShardReader) else len(source.labels)
        function = _counting(function, progress, total)
    if isinstance(source, ShardReader):
        return map_from_shards(function, source, encoder, numpy.arange(len(source)) if indices is None else indices,
                               batch_size)
    indices = numpy.arange(len(source.labels)) if indices is None else numpy.asarray(indices)
    if not len(indices):
        raise ValueError("no replicates to encode")
    parts = [function(encode_data(source, encoder, indices[start : start + batch_size]))
             for start in range(0, len(indices), batch_size)]
    return numpy.concatenate(parts)


def _counting(function: Callable[[numpy.ndarray], numpy.ndarray], progress: Any,
              total: int) -> Callable[[numpy.ndarray], numpy.ndarray]:
    """``function`` that also reports ``progress(done, total)`` after each batch it maps."""
    done = 0

    def counted(images: numpy.ndarray) -> numpy.ndarray:
        nonlocal done
        rows = function(images)
        done += len(images)
        progress(done, total)
        return rows
    return counted


def encode_genotypes(encoder: Encoder, data: Genotypes) -> tuple[numpy.ndarray, int]:
    """One observed data set (``genomics.genotypes.Genotypes``) as an image and its number of real SNPs
    (``Encoder.encode_genotypes``: refused when the encoding needs positions the data lack)."""
    return encoder.encode_genotypes(data)
