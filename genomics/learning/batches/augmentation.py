"""Fresh missing calls at every epoch: the training replicates, re-masked and encoded batch by batch.

Under a design with missing calls (``[design.missing]``), each simulated
replicate has one mask, drawn from its ``mask_seed``. A network trained on
fixed masks can learn them; drawing a new mask of the same design (the
same per-population rates, per call or per individual and locus) at every
epoch shows it the missingness as noise, every call sometimes present and
sometimes absent. ``FreshMasks`` is a ``minidl.training.data.PyDataset``: batch b of
epoch e re-masks its replicates' complete calls with seeds drawn from
(seed, e, b), encodes them as the training images were encoded, and hands
them to ``fit``; the validation, calibration and test replicates keep their
simulated masks, as observed data do. It needs simulations whose shards
keep the complete calls (``genomics simulate`` writes them since shards
gained ``mask_seeds``).
"""

from __future__ import annotations

import math

import numpy

from genomics.learning import networks as models
from genomics.encoding.encoder import Encoder
from genomics.simulation.loci import with_missing_calls
from genomics.simulation.run import SimulatedData
from minidl.training.data import PyDataset


def check_fresh_masks(data: SimulatedData, where: str = "--fresh-masks") -> None:
    """One sentence, before any long work, when the simulations cannot give fresh masks."""
    if data.design is None or data.design.missing is None:
        raise ValueError(f"{where}: the design has no missing calls ([design.missing]): there is no mask to redraw")
    if data.complete_genotypes is None:
        raise ValueError(f"{where}: these simulations keep only their masked calls (shards written before "
                         "mask_seeds existed); simulate them again into a new folder")


class FreshMasks(PyDataset):
    """Batches of (network input, label) for ``replicates``, re-masked each epoch (see the module docstring).

    ``replicates``: indices into ``data``; ``labels``: their targets, in the same order.
    """

    def __init__(self, data: SimulatedData, replicates: numpy.ndarray, labels: numpy.ndarray, encoder: Encoder,
                 network: str, batch_size: int, seed: int, workers: int = 1) -> None:
        check_fresh_masks(data)
        super().__init__(workers=workers, max_queue_size=4)
        self.data, self.replicates, self.labels = data, numpy.asarray(replicates), numpy.asarray(labels)
        self.encoder, self.network, self.batch_size, self.seed = encoder, network, int(batch_size), int(seed)
        self.epoch = 0
        self._order = numpy.random.default_rng([self.seed, 0]).permutation(len(self.replicates))

    def __len__(self) -> int:
        return math.ceil(len(self.replicates) / self.batch_size)

    def masked(self, position: int, generator: numpy.random.Generator) -> numpy.ndarray:
        """Replicate ``replicates[position]``'s complete calls under a fresh mask drawn from ``generator``."""
        index = int(self.replicates[position])
        return with_missing_calls(self.data.complete_genotypes[index], self.data.design,
                                  self.data.site_counts[index], int(generator.integers(1, 2**63 - 1)))

    def __getitem__(self, batch: int) -> tuple:
        positions = self._order[batch * self.batch_size : (batch + 1) * self.batch_size]
        generator = numpy.random.default_rng([self.seed, self.epoch, batch])
        genotypes = [self.masked(int(p), generator) for p in positions]
        indices = self.replicates[positions]
        images, _ = self.encoder.encode_many(genotypes, [self.data.positions[i] for i in indices],
                                             self.data.sequence_lengths[indices], self.data.haplotype_populations)
        return models.model_input(images, self.network), self.labels[positions]

    def on_epoch_end(self) -> None:
        """The next epoch: new masks (its seed), and the replicates regrouped into new batches (``fit`` is told
        not to shuffle: the dataset does)."""
        self.epoch += 1
        self._order = numpy.random.default_rng([self.seed, self.epoch]).permutation(len(self.replicates))
