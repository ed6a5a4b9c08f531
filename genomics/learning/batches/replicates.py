"""Training and held-out batches of a folder read whole, encoded a batch at a time: memory holds calls, not images.

``load_simulations`` keeps each replicate as it lies in its shard: int8
calls (haplotypes, sites) and float64 positions. Encoded, a replicate
becomes a float32 image (haplotypes, n_snps, channels): for the steppe
design 1.08 MB against about 0.1 MB of calls and positions. ``train``
without ``--stream`` used to encode every replicate taking part before
fitting; it now hands ``fit`` a ``ReplicateBatches`` of the training
replicates and one of the validation replicates, each encoding the
``batch_size`` replicates of one batch when asked (in ``fit``'s background
thread, while the network trains on the previous batch), and computes the
logits of the calibration and test replicates ``chunk`` replicates at a
time (``HeldOutInMemory``). Peak memory is then the folder's calls plus
O(batch): ``max_queue_size + 2`` batches of images in flight.

Same batches as arrays. ``fit`` on arrays draws one
``minidl.random.generator().permutation(n)`` when each epoch begins and
cuts it into batches; a shuffled ``ReplicateBatches`` draws that same
permutation at the same moment (``on_epoch_begin``, which ``fit`` calls
where the arrays' adapter draws it; ``fit`` is told ``shuffle=False``, so
it draws nothing else). Encoding is per replicate (a batch's image of a
replicate is its image alone), so with the same seeds training gives the
batches, weights and history that training on the whole-encoded images
gave. Unshuffled (validation), the batches are consecutive slices of the
replicates in the order given, as ``fit`` cuts validation arrays.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy

import minidl
from genomics.encoding.encoder import Encoder
from genomics.learning import ensemble as ensembles
from genomics.learning import networks as models
from genomics.simulation.run import SimulatedData
from minidl.training.data import PyDataset

#: replicates whose images are in memory at once when held-out logits are computed (a multiple of the 256
#: replicates ``networks.logits`` passes through a network at a time, so the logits are those of the whole part)
CHUNK = 256


def images_at_once(batch_size: int, max_queue_size: int = 4) -> int:
    """The most images that training holds at once: the batch training, the one being encoded and
    ``max_queue_size`` encoded ahead, or a chunk of held-out replicates (``CHUNK``), whichever is more."""
    return max((max_queue_size + 2) * batch_size, CHUNK)


def encode_replicates(data: SimulatedData, encoder: Encoder, indices: numpy.ndarray) -> numpy.ndarray:
    """Images (len(indices), haplotypes, n_snps, channels) of replicates ``indices`` of ``data``, in that order."""
    images, _ = encoder.encode_many([data.genotypes[i] for i in indices], [data.positions[i] for i in indices],
                                    data.sequence_lengths[indices], data.haplotype_populations)
    return images


def map_replicates(function: Callable[[numpy.ndarray], numpy.ndarray], data: SimulatedData, encoder: Encoder,
                   indices: numpy.ndarray, chunk: int = CHUNK) -> numpy.ndarray:
    """``function(images)`` of replicates ``indices`` (rows in that order), ``chunk`` replicates encoded at a time;
    ``function`` maps n images to n rows (logits, estimates, embeddings), and only those rows are kept."""
    indices = numpy.asarray(indices)
    if not len(indices):
        raise ValueError("no replicates to encode")
    parts = [function(encode_replicates(data, encoder, indices[start : start + chunk]))
             for start in range(0, len(indices), chunk)]
    return numpy.concatenate(parts)


class ReplicateBatches(PyDataset):
    """(network input, target) batches of replicates ``replicates`` of ``data``, each encoded when asked for.

    ``targets``: one per replicate, in the same order (scenario labels, or a
    regression's scaled parameters). ``shuffle``: a new order every epoch,
    drawn as ``fit`` draws it for arrays (see the module docstring); without,
    the replicates in the order given, the same every epoch.
    """

    def __init__(self, data: SimulatedData, replicates: numpy.ndarray, targets: numpy.ndarray, encoder: Encoder,
                 network: str, batch_size: int, shuffle: bool = True, max_queue_size: int = 4) -> None:
        super().__init__(workers=1, max_queue_size=max_queue_size)
        self.data, self.replicates, self.targets = data, numpy.asarray(replicates), numpy.asarray(targets)
        if len(self.targets) != len(self.replicates):
            raise ValueError(f"{len(self.replicates)} replicates but {len(self.targets)} targets")
        self.encoder, self.network, self.batch_size, self.shuffle = encoder, network, int(batch_size), shuffle
        self._order = numpy.arange(len(self.replicates))

    def __len__(self) -> int:
        return math.ceil(len(self.replicates) / self.batch_size)

    def on_epoch_begin(self) -> None:
        """A shuffled dataset's order for the epoch: the permutation ``fit`` would draw for arrays."""
        if self.shuffle:
            self._order = minidl.random.generator().permutation(len(self.replicates))

    def __getitem__(self, batch: int) -> tuple:
        positions = self._order[batch * self.batch_size : (batch + 1) * self.batch_size]
        images = encode_replicates(self.data, self.encoder, self.replicates[positions])
        return models.model_input(images, self.network), self.targets[positions]


class HeldOutInMemory:
    """Held-out parts (validation, calibration, test) as replicate indices of a folder read whole, encoded a
    ``chunk`` at a time when needed; the same interface and numbers as
    ``genomics.learning.batches.heldout.FromShards``."""

    def __init__(self, network: str, data: SimulatedData, encoder: Encoder, indices: dict[str, numpy.ndarray],
                 labels: dict[str, numpy.ndarray], chunk: int = CHUNK) -> None:
        self.network, self.data, self.encoder = network, data, encoder
        self.indices, self.labels, self.chunk = indices, labels, chunk
        some = next((i for i in indices.values() if len(i)), numpy.arange(1))
        self.input_shape = encode_replicates(data, encoder, numpy.asarray(some)[:1]).shape[1:]

    def validation_data(self, batch_size: int) -> ReplicateBatches:
        return ReplicateBatches(self.data, self.indices["validation"], self.labels["validation"], self.encoder,
                                self.network, batch_size, shuffle=False)

    def logits(self, model: Any, part: str) -> numpy.ndarray:
        """The scenario logits (N, scenarios) of one network or ensemble on ``part``."""
        return map_replicates(lambda images: ensembles.logits(model, models.model_input(images, self.network)),
                              self.data, self.encoder, self.indices[part], self.chunk)
