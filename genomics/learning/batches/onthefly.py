"""Training on fresh simulations every epoch (``genomics train --on-the-fly N``), as ImaGene trains.

A fixed training set is seen again and again, and a network that needs many
epochs learns its replicates by heart. Drawing new replicates each epoch
removes that: every training step sees data the network has never fitted,
and the simulations used grow with the epochs (N per scenario per epoch).

``FreshSimulations`` is a ``minidl.training.data.PyDataset``. Epoch e's replicates are
simulated in worker processes while epoch e - 1 trains: at the start of an
epoch it waits for that epoch's shards (usually already done), keeps their
int8 calls and positions, and hands the next epoch's shards to the workers;
each batch is encoded when ``fit`` asks for it. Memory holds the calls of two
epochs of replicates at most (one training, one simulated) and the batches
in flight, never an epoch of float32 images.

Seeds: replicate r of scenario s in epoch e has the seed
``SeedSequence([master_seed, s, r, e + 1])``: four entropy words where the
simulation folder's replicates have three (``genomics.simulation.run.replicate_seed``),
so no fresh replicate repeats a replicate of the folder, and the same
command draws the same fresh replicates. Validation, calibration and test
replicates stay those of the folder.
"""

from __future__ import annotations

import math

import numpy

from genomics import interrupts
from genomics.learning import networks as models
from genomics.encoding.encoder import Encoder
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import shard_replicates, simulate_shard
from genomics.errors import SettingError
from minidl.training.data import PyDataset

#: replicates per task handed to a worker
CHUNK = 50


def fresh_seed(master_seed: int, scenario_index: int, replicate_index: int, epoch: int) -> int:
    """A seed in [1, 2^32) for replicate ``replicate_index`` of scenario ``scenario_index`` drawn for ``epoch``."""
    state = numpy.random.SeedSequence([master_seed, scenario_index, replicate_index, epoch + 1]).generate_state(1)[0]
    return int(state) or 1


class FreshSimulations(PyDataset):
    """(network input, label) batches of ``per_scenario`` new replicates of each scenario, every epoch.

    ``specs``: the scenarios' definitions (a simulation folder's manifest);
    ``labels`` are their indices. The workers are processes
    (``workers``, default 1: on a small machine training keeps the other cores)
    that die with this one (``interrupts.worker_pool``). ``first_epoch``: the
    epoch a resumed training starts at (its replicates are that epoch's).
    """

    def __init__(self, specs: list[dict], per_scenario: int, encoder: Encoder, network: str, batch_size: int,
                 master_seed: int, seed: int, workers: int | None = 1, first_epoch: int = 0) -> None:
        super().__init__(workers=1, max_queue_size=4)
        if not isinstance(per_scenario, int) or per_scenario < 1:
            raise SettingError(f"{{on_the_fly}} must be a positive number of replicates per scenario, "
                               f"got {per_scenario!r}")
        self.specs, self.per_scenario, self.encoder, self.network = specs, per_scenario, encoder, network
        self.batch_size, self.master_seed, self.seed = int(batch_size), int(master_seed), int(seed)
        self.scenarios = [Scenario(spec) for spec in specs]  # checked (one smoke simulation each) once, here
        self.design = self.scenarios[0].design
        self.epoch = first_epoch  # a resumed training starts at its next epoch
        self.simulated = 0  # replicates simulated for the epochs begun so far
        self._pool = interrupts.worker_pool(workers)  # the workers die with this process
        self._pending = {first_epoch: self._submit(first_epoch)}
        self._calls: tuple | None = None  # this epoch's (genotypes, positions, sequence lengths)
        self._labels: numpy.ndarray | None = None
        self._order: numpy.ndarray | None = None

    def _submit(self, epoch: int) -> list:
        """Hand epoch ``epoch``'s replicates to the workers, ``CHUNK`` at a time."""
        return [(s, self._pool.submit(simulate_shard, scenario,
                                      [fresh_seed(self.master_seed, s, r, epoch)
                                       for r in range(first, min(first + CHUNK, self.per_scenario))]))
                for s, scenario in enumerate(self.scenarios) for first in range(0, self.per_scenario, CHUNK)]

    def _prepare(self) -> None:
        """This epoch's replicates (waiting for the workers if need be), their calls kept and their order
        shuffled; the next epoch's simulations started."""
        if self._calls is not None:
            return
        tasks = self._pending.pop(self.epoch)
        self._pending[self.epoch + 1] = self._submit(self.epoch + 1)
        genotypes, positions, lengths, labels = [], [], [], []
        for scenario, future in tasks:
            arrays = future.result()
            for g, p in shard_replicates(arrays, self.design):
                genotypes.append(g)
                positions.append(p)
                labels.append(scenario)
            lengths.extend(arrays["sequence_length"].tolist())
        self._calls = (genotypes, positions, numpy.array(lengths))
        self._labels = numpy.array(labels)
        self._order = numpy.random.default_rng([self.seed, self.epoch]).permutation(len(self._labels))
        self.simulated += len(self._labels)

    def __len__(self) -> int:
        return math.ceil(self.per_scenario * len(self.specs) / self.batch_size)

    def on_epoch_begin(self) -> None:
        self._prepare()

    def __getitem__(self, batch: int) -> tuple:
        self._prepare()
        positions = self._order[batch * self.batch_size : (batch + 1) * self.batch_size]
        genotypes, sites, lengths = self._calls
        images, _ = self.encoder.encode_many([genotypes[p] for p in positions], [sites[p] for p in positions],
                                             lengths[positions], self.design.haplotype_populations)
        return models.model_input(images, self.network), self._labels[positions]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._calls = self._labels = self._order = None

    def close(self, terminate: bool = False) -> None:
        """Stop the workers (the epoch simulated ahead is dropped); ``terminate``: without waiting for the
        tasks they are running (after an interruption)."""
        if terminate:
            interrupts.terminate_pool(self._pool)
            return
        for tasks in self._pending.values():
            for _, future in tasks:
                future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
