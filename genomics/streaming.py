"""Training batches encoded on the fly from the shards, so that memory does not grow with the training set.

``ShardBatches`` is a ``minidl.data.PyDataset``. Each epoch it shuffles the
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

import numpy

from genomics import models
from genomics.encode import Encoder
from genomics.shards import ShardReader
from minidl.data import PyDataset


class ShardBatches(PyDataset):
    """(network input, label) batches of ``replicates`` (indices of ``reader``), re-shuffled shard-wise each epoch."""

    def __init__(self, reader: ShardReader, replicates: numpy.ndarray, labels: numpy.ndarray, encoder: Encoder,
                 network: str, batch_size: int, seed: int, max_queue_size: int = 4) -> None:
        super().__init__(workers=1, max_queue_size=max_queue_size)
        self.reader, self.replicates, self.labels = reader, numpy.asarray(replicates), numpy.asarray(labels)
        self.encoder, self.network, self.batch_size, self.seed = encoder, network, int(batch_size), int(seed)
        self.epoch = 0
        self._order = self._plan()

    def _plan(self) -> numpy.ndarray:
        """Positions in ``replicates`` for this epoch: shards in a shuffled order, replicates shuffled in each."""
        generator = numpy.random.default_rng([self.seed, self.epoch])
        by_shard: dict = {}
        for position, index in enumerate(self.replicates):
            by_shard.setdefault(self.reader.shard_of(int(index)), []).append(position)
        shards = list(by_shard)
        order = [position for k in generator.permutation(len(shards))
                 for position in generator.permutation(by_shard[shards[k]])]
        return numpy.array(order, dtype=numpy.int64)

    def __len__(self) -> int:
        return math.ceil(len(self.replicates) / self.batch_size)

    def __getitem__(self, batch: int) -> tuple:
        positions = self._order[batch * self.batch_size : (batch + 1) * self.batch_size]
        indices = self.replicates[positions]
        calls = [self.reader.replicate(int(i)) for i in indices]
        images, _ = self.encoder.encode_many([g for g, _ in calls], [p for _, p in calls],
                                             self.reader.data.sequence_lengths[indices],
                                             self.reader.data.haplotype_populations)
        return models.model_input(images, self.network), self.labels[positions]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._order = self._plan()


def encode_from_shards(reader: ShardReader, encoder: Encoder, indices: numpy.ndarray, chunk: int = 256) -> numpy.ndarray:
    """Images of replicates ``indices`` (in that order), read shard after shard (never thrashing the reader)."""
    indices = numpy.asarray(indices)
    by_location = sorted(range(len(indices)), key=lambda k: reader.locations[int(indices[k])])
    images = None
    for start in range(0, len(by_location), chunk):
        part = by_location[start : start + chunk]
        chosen = indices[part]
        calls = [reader.replicate(int(i)) for i in chosen]
        encoded, _ = encoder.encode_many([g for g, _ in calls], [p for _, p in calls],
                                         reader.data.sequence_lengths[chosen], reader.data.haplotype_populations)
        if images is None:
            images = numpy.empty((len(indices),) + encoded.shape[1:], dtype=encoded.dtype)
        images[part] = encoded
    if images is None:
        raise ValueError("no replicates to encode")
    return images
