"""Training batches encoded on the fly from the shards, so that memory does not grow with the training set.

``ShardBatches`` is a ``minidl.training.data.PyDataset``. Each epoch it shuffles the
order of the shards that hold training replicates, then the replicates
within each shard, and cuts the result into batches: consecutive batches
come from one or two shards, so a ``ShardReader`` holding a few shards
serves them, and a background thread encodes the next batches while the
network trains. Memory holds the few shards, the batches in flight and the
model, whatever the number of simulations (``fit`` is told ``shuffle=False``:
the dataset shuffles itself in a shard-friendly way).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy

from genomics.learning import networks as models
from genomics.encoding.encoder import Encoder
from genomics.simulation.store import ShardReader
from minidl.training.data import PyDataset


class ShardBatches(PyDataset):
    """(network input, label) batches of ``replicates`` (indices of ``reader``), re-shuffled shard-wise each epoch.

    ``shuffle=False`` (validation data): the replicates in the order they lie
    in the shards, the same every epoch. ``fresh_masks``: under a design
    with missing calls, each replicate's complete calls get a new mask of
    the design at every epoch (drawn from (seed, epoch, batch), as
    ``genomics.learning.batches.augmentation.FreshMasks`` does in memory)
    instead of its simulated one.
    """

    def __init__(self, reader: ShardReader, replicates: numpy.ndarray, labels: numpy.ndarray, encoder: Encoder,
                 network: str, batch_size: int, seed: int, max_queue_size: int = 4, shuffle: bool = True,
                 fresh_masks: bool = False) -> None:
        if fresh_masks and not reader.can_redraw_masks():
            raise ValueError(f"fresh_masks: the simulations in {reader.directory!r} cannot give fresh masks: "
                             + ("the design has no missing calls" if reader.data.design.missing is None else
                                "their shards keep only the masked calls (written before mask_seeds existed); "
                                "simulate them again into a new folder"))
        super().__init__(workers=1, max_queue_size=max_queue_size)
        self.reader, self.replicates, self.labels = reader, numpy.asarray(replicates), numpy.asarray(labels)
        self.encoder, self.network, self.batch_size, self.seed = encoder, network, int(batch_size), int(seed)
        self.shuffle, self.fresh_masks = shuffle, fresh_masks
        self.epoch = 0  # counts every epoch (the masks change with it), shuffled or not
        self._order = self._plan()

    def _plan(self) -> numpy.ndarray:
        """Positions in ``replicates`` for this epoch: shards in a shuffled order, replicates shuffled in each."""
        shards = self.reader.shard_ids[self.replicates]
        if not self.shuffle:
            return numpy.lexsort((self.reader.places[self.replicates], shards))
        generator = numpy.random.default_rng([self.seed, self.epoch])
        rank = generator.permutation(len(self.reader.files))  # shard k comes rank[k]-th this epoch
        return numpy.lexsort((generator.random(len(shards)), rank[shards]))

    def __len__(self) -> int:
        return math.ceil(len(self.replicates) / self.batch_size)

    def __getitem__(self, batch: int) -> tuple:
        positions = self._order[batch * self.batch_size : (batch + 1) * self.batch_size]
        indices = self.replicates[positions]
        if self.fresh_masks:
            generator = numpy.random.default_rng([self.seed, self.epoch, batch])
            calls = [self.reader.remasked(int(i), int(generator.integers(1, 2**63 - 1))) for i in indices]
            images = _encode_calls(self.reader, self.encoder, calls, indices)
        else:
            images = _encode(self.reader, self.encoder, indices)
        return models.model_input(images, self.network), self.labels[positions]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if self.shuffle:
            self._order = self._plan()


def _encode(reader: ShardReader, encoder: Encoder, indices: numpy.ndarray) -> numpy.ndarray:
    return _encode_calls(reader, encoder, [reader.replicate(int(i)) for i in indices], indices)


def _encode_calls(reader: ShardReader, encoder: Encoder, calls: list, indices: numpy.ndarray) -> numpy.ndarray:
    """Images of replicates ``indices`` whose (genotypes, positions) are ``calls``."""
    images, _ = encoder.encode_many([g for g, _ in calls], [p for _, p in calls], reader.data.sequence_lengths[indices],
                                    reader.data.haplotype_populations)
    return images


def in_shard_order(reader: ShardReader, indices: numpy.ndarray) -> numpy.ndarray:
    """The positions in ``indices`` sorted by where their replicates lie (shard, then place in it)."""
    indices = numpy.asarray(indices)
    return numpy.lexsort((reader.places[indices], reader.shard_ids[indices]))


def encode_from_shards(reader: ShardReader, encoder: Encoder, indices: numpy.ndarray, chunk: int = 256) -> numpy.ndarray:
    """Images of replicates ``indices`` (in that order), read shard after shard (never thrashing the reader)."""
    return map_from_shards(lambda images: images, reader, encoder, indices, chunk)


def map_from_shards(function: Callable[[numpy.ndarray], numpy.ndarray], reader: ShardReader, encoder: Encoder,
                    indices: numpy.ndarray, chunk: int = 1024) -> numpy.ndarray:
    """``function(images)`` of replicates ``indices`` (rows in that order), encoding ``chunk`` replicates at a
    time in shard order: the network's outputs for any number of replicates, with one chunk's images in memory."""
    indices = numpy.asarray(indices)
    if not len(indices):
        raise ValueError("no replicates to encode")
    order = in_shard_order(reader, indices)
    results = None
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        values = function(_encode(reader, encoder, indices[part]))
        if results is None:
            results = numpy.empty((len(indices),) + values.shape[1:], dtype=values.dtype)
        results[part] = values
    return results
