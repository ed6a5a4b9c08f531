"""The replicates a trained network is checked on (validation, calibration, test), in memory or read from shards.

``train`` needs three things of its held-out parts: validation data for
``fit`` (early stopping), and the network's logits on the calibration and
test replicates (temperature scaling, then the scores). A folder read whole
gives them as ``genomics.learning.batches.replicates.HeldOutInMemory``
(the calls in memory, images encoded a chunk at a time). ``FromShards``
(``genomics train --stream``) holds only their indices: validation comes as a
``ShardBatches`` dataset in shard order, and logits are computed a chunk of
replicates at a time (``genomics.learning.batches.streaming.map_from_shards``), so memory
holds one chunk of images whatever the number of held-out replicates.
Both give the same numbers for the same replicates.
"""

from __future__ import annotations

from typing import Any

import numpy

from genomics.learning import networks as models
from genomics.learning import ensemble as ensembles
from genomics.encoding.encoder import Encoder
from genomics.simulation.store import ShardReader
from genomics.learning.batches.streaming import ShardBatches, encode_from_shards, map_from_shards

PARTS = ("validation", "calibration", "test")


class FromShards:
    """Held-out parts as replicate indices of a ``ShardReader``, encoded a chunk at a time when needed.

    ``chunk`` (256, the replicates ``predict`` passes through the network at
    once, and ``genomics evaluate``'s default ``--batch-size``): the images in
    memory at a time, 277 MB of float32 for the steppe design (twice that with
    the transposed copy a Conv1D network reads), where 1,024 took 2.2 GB.
    """

    def __init__(self, network: str, reader: ShardReader, encoder: Encoder, indices: dict[str, numpy.ndarray],
                 labels: dict[str, numpy.ndarray], chunk: int = 256) -> None:
        self.network, self.reader, self.encoder = network, reader, encoder
        self.indices, self.labels, self.chunk = indices, labels, chunk
        self.input_shape = encode_from_shards(reader, encoder, indices["validation"][:1]).shape[1:]

    def validation_data(self, batch_size: int) -> ShardBatches:
        return ShardBatches(self.reader, self.indices["validation"], self.labels["validation"], self.encoder,
                            self.network, batch_size, seed=0, shuffle=False)

    def logits(self, model: Any, part: str) -> numpy.ndarray:
        def logits_of(images: numpy.ndarray) -> numpy.ndarray:
            return ensembles.logits(model, models.model_input(images, self.network))

        return map_from_shards(logits_of, self.reader, self.encoder, self.indices[part], self.chunk)
