"""Replicates read from their shards when asked for, with at most a few shards in memory.

``load_simulations`` reads a whole folder; for training sets larger than
memory, ``ShardReader`` keeps only an index (which shard holds replicate i,
and where) and the ``capacity`` most recently used shards, decompressed. A
replicate's calls come out as ``load_simulations`` gives them: the
simulated mask applied under a design with missing calls. Reading shard by
shard, in any order within a few shards, is what ``genomics.learning.batches.streaming``
arranges. ``check_same_scenarios`` refuses a folder whose scenarios are not a
trained bundle's (names and definitions), for every command that scores or
checks a bundle against a folder.
"""

from __future__ import annotations

import collections
import os
import threading
import zipfile
from typing import Any

import numpy

from genomics.genotypes import Genotypes
from genomics.simulation.run import SimulatedData, load_simulations, shard_replicate


class ShardReader:
    """Replicate i of ``directory`` (in ``load_simulations`` order), reading at most ``capacity`` shards at a time.

    The index costs 8 bytes per replicate (its shard's number and its place
    in the shard, int32 each) besides the label and sequence length of
    ``load_simulations(genotypes=False)``: a million replicates take about
    24 MB, and only ``capacity`` shards are ever decompressed.
    """

    def __init__(self, directory: str, capacity: int = 4) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"shards in memory must be a positive integer, got {capacity!r}")
        self.directory, self.capacity = directory, capacity
        self.data: SimulatedData = load_simulations(directory, genotypes=False)  # labels, lengths, design
        manifest = self.data.manifest
        self.files: list[str] = [file for entry in manifest["scenarios"] for file in entry["shards"]]
        per_shard = [min(manifest["shard_size"], manifest["replicates_per_scenario"] - k * manifest["shard_size"])
                     for entry in manifest["scenarios"] for k in range(len(entry["shards"]))]
        self.shard_ids = numpy.repeat(numpy.arange(len(self.files), dtype=numpy.int32), per_shard)
        self.places = numpy.concatenate([numpy.arange(n, dtype=numpy.int32) for n in per_shard])
        if len(self.shard_ids) != len(self.data.labels):
            raise ValueError(f"the shards of {directory!r} hold {len(self.data.labels)} replicates, but its manifest "
                             f"says {len(self.shard_ids)}")
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()
        self.shards_read = 0

    def __len__(self) -> int:
        return len(self.shard_ids)

    def _shard(self, file: str) -> dict:
        with self._lock:
            if file in self._cache:
                self._cache.move_to_end(file)
                return self._cache[file]
        path = os.path.join(self.directory, file)
        try:
            with numpy.load(path, allow_pickle=False) as shard:
                arrays = {key: shard[key] for key in ("genotypes", "positions", "site_offsets", "locus_site_counts",
                                                       "locus_lengths", "seeds")}
                arrays["mask_seeds"] = shard["mask_seeds"] if "mask_seeds" in shard.files else None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise ValueError(f"cannot read shard {path!r}: {error}") from None
        with self._lock:
            self._cache[file] = arrays
            self.shards_read += 1
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return arrays

    def replicate(self, index: int) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(genotypes (haplotypes, sites) with the simulated missing calls, positions (sites,)) of replicate
        ``index`` (``genotypes`` gives the whole ``Genotypes``)."""
        return shard_replicate(self._shard(self.files[self.shard_ids[index]]), self.data.design, self.places[index])

    def can_redraw_masks(self) -> bool:
        """Whether fresh missing-call masks can be drawn: a design with missing calls, and shards that keep the
        complete calls with each replicate's mask seed (``genomics simulate`` writes them since shards gained
        ``mask_seeds``; older shards hold only the masked calls). Reads the first shard."""
        return self.data.design.missing is not None and bool(self.files) and \
            self._shard(self.files[0])["mask_seeds"] is not None

    def remasked(self, index: int, mask_seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(genotypes, positions) of replicate ``index`` as ``replicate`` gives them, but with a fresh mask of
        the design drawn from ``mask_seed`` in place of the simulated one (``can_redraw_masks`` must hold)."""
        return shard_replicate(self._shard(self.files[self.shard_ids[index]]), self.data.design, self.places[index],
                               mask_seed)

    def parameter_draws(self) -> list[dict]:
        """Every replicate's parameter draw ({name: value}, in replicate order), as ``load_simulations`` gives
        them, read from the shards' ``parameters`` arrays alone (no calls are decompressed)."""
        draws = []
        for entry in self.data.manifest["scenarios"]:
            for file in entry["shards"]:
                path = os.path.join(self.directory, file)
                try:
                    with numpy.load(path, allow_pickle=False) as shard:
                        values = shard["parameters"]
                except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
                    raise ValueError(f"cannot read shard {path!r}: {error}") from None
                draws.extend(dict(zip(entry["parameter_names"], row.tolist())) for row in values)
        return draws

    def genotypes(self, index: int) -> Genotypes:
        """Replicate ``index`` as ``Genotypes``: its calls (with the simulated missing calls), positions, loci and
        their lengths, and its scenario and seed."""
        arrays = self._shard(self.files[self.shard_ids[index]])
        place = int(self.places[index])
        calls, positions = shard_replicate(arrays, self.data.design, place)
        design = self.data.design
        return Genotypes(calls, positions, arrays["locus_site_counts"][place], design.haplotype_populations,
                         list(design.populations), ploidy=design.ploidy, locus_lengths=arrays["locus_lengths"][place],
                         provenance={"scenario": self.data.scenario_names[self.data.labels[index]],
                                     "seed": int(arrays["seeds"][place])})


def simulated_genotypes(data: SimulatedData, index: int) -> Genotypes:
    """Replicate ``index`` of a folder read whole (``load_simulations``) as ``Genotypes``. The loci's lengths are
    known where the design fixes them (or for one sequence); drawn lengths are not kept in memory (None)."""
    design = data.design
    counts = numpy.asarray(data.site_counts[index])
    lengths = None
    if design.contiguous:
        lengths = numpy.array([data.sequence_lengths[index]])
    elif all(isinstance(locus.sequence_length, (int, float)) for locus in design.loci):
        lengths = numpy.repeat([float(locus.sequence_length) for locus in design.loci],
                               [locus.count for locus in design.loci])
    return Genotypes(data.genotypes[index], data.positions[index], counts, design.haplotype_populations,
                     list(design.populations), ploidy=design.ploidy,
                     locus_lengths=lengths if lengths is not None and lengths.size == counts.size else None,
                     provenance={"scenario": data.scenario_names[data.labels[index]], "replicate": int(index)})


def check_same_scenarios(metadata: dict, manifest: dict, folder: str) -> None:
    """Refuse a simulation folder whose scenarios are not a bundle's: the same names in the same order, and the
    same definitions (priors, design, demography; only the description may differ).

    ``metadata``: the bundle's (``scenario_names`` and, since bundles record them, ``scenario_specs``);
    ``manifest``: the folder's. The sentence names the scenario and the first key that differs.
    """
    names = [entry.get("name") for entry in manifest.get("scenarios", [])]
    if names != metadata["scenario_names"]:
        raise ValueError(f"{folder!r} holds scenarios {names} but the model was trained on "
                         f"{metadata['scenario_names']} (same names, same order)")
    for name, trained, entry in zip(names, metadata.get("scenario_specs") or [], manifest["scenarios"]):
        difference = _first_difference(trained, entry.get("spec"))
        if difference is not None:
            key, expected, found = difference
            raise ValueError(f"{folder!r}: scenario {name!r} has the model's name but another definition: {key} is "
                             f"{_short(found)} there and {_short(expected)} in the model's training scenarios; "
                             "simulate the bundle's own scenarios")


def _first_difference(expected: Any, found: Any) -> tuple[str, Any, Any] | None:
    """(key path, expected value, found value) of the first place two specifications differ, or None."""
    pending = collections.deque([("", expected, found)])
    while pending:
        key, a, b = pending.popleft()
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), key=str):
                if not (key == "" and k == "description"):
                    pending.append((f"{key}.{k}" if key else str(k), a.get(k, "(absent)"), b.get(k, "(absent)")))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            pending.extend((f"{key}[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b)))
        elif a != b or isinstance(a, bool) != isinstance(b, bool):
            return key, a, b
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
