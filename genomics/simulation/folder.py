"""A simulation folder: its manifest, its shard files, and reading it back.

Replicates are grouped in shards of ``shard_size`` per scenario; each shard
is one file, written whole or not at all (``write_npz``). The folder's
``manifest.json`` records the scenario definitions, the master seed, every
shard's replicates and the package versions that made them.

A shard (``<scenario>-<k>.npz``) holds, for its R replicates:
``genotypes`` (haplotypes, all sites) int8, 1 = derived allele, 0 = ancestral,
complete: under a design with missing calls, ``mask_seeds`` (R,) uint64 say
which calls go missing (``loci.with_missing_calls``), and ``load_simulations``
applies them, so the data read are exactly those simulated, while training
can draw fresh masks of the same design (``genomics.learning.batches.augmentation``); shards
written before ``mask_seeds`` existed hold -1 for missing calls instead;
``positions`` (all sites) float64, each within its locus copy;
``site_offsets`` (R + 1) int64, replicate r owning sites
``site_offsets[r]:site_offsets[r + 1]``; ``locus_site_counts`` and
``locus_lengths`` (R, copies): each locus copy's sites and length, in the
design's order; ``parameters`` (R, P) float64 in the order of the manifest's
``parameter_names``; ``sequence_length`` (R,) (all copies together) and
``seeds`` (R,) uint64.
"""

from __future__ import annotations

import errno
import io
import json
import os
import platform
import zipfile
from dataclasses import dataclass, field

import msprime
import numpy
import tskit

from genomics import interrupts
from genomics.scenario.design import SamplingDesign
from genomics.scenario.scenario import Scenario
from genomics.simulation.replicate import shard_replicates
from genomics.textfile import path_within

MANIFEST = "manifest.json"
FORMAT = "genomics-simulations"
FORMAT_VERSION = 2


def write_npz(path: str, arrays: dict[str, numpy.ndarray]) -> None:
    """An .npz with fixed zip timestamps (so equal arrays give equal bytes), written via a temporary file."""
    temporary = f"{path}.partial"
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                numpy.lib.format.write_array(buffer, numpy.ascontiguousarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:  # interrupted or failed: no half-written file stays behind
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def package_versions() -> dict[str, str]:
    from minidl.core.version import __version__ as minidl_version  # noqa: PLC0415

    return {"python": platform.python_version(), "numpy": numpy.__version__, "msprime": msprime.__version__,
            "tskit": tskit.__version__, "minidl": minidl_version}


@dataclass
class ShardPlan:
    scenario_index: int
    shard_index: int
    first: int
    count: int
    file: str


def plan_shards(scenarios: list[Scenario], replicates: int, shard_size: int) -> list[ShardPlan]:
    plans = []
    for s, scenario in enumerate(scenarios):
        for k, first in enumerate(range(0, replicates, shard_size)):
            count = min(shard_size, replicates - first)
            plans.append(ShardPlan(s, k, first, count, f"{scenario.name}-{k:05d}.npz"))
    return plans


def manifest_for(scenarios: list[Scenario], replicates: int, master_seed: int, shard_size: int) -> dict:
    plans = plan_shards(scenarios, replicates, shard_size)
    return {
        "format": FORMAT, "version": FORMAT_VERSION, "master_seed": master_seed,
        "replicates_per_scenario": replicates, "shard_size": shard_size,
        "seed_rule": "numpy.random.SeedSequence([master_seed, scenario_index, replicate_index]).generate_state(1)[0]",
        "scenarios": [
            {"name": scenario.name, "spec": scenario.spec, "parameter_names": list(scenario.priors),
             "shards": [p.file for p in plans if p.scenario_index == s]}
            for s, scenario in enumerate(scenarios)
        ],
        "versions": package_versions(),
    }


def shards_in(out_dir: str) -> list[str]:
    """The finished shard files of a simulation folder (``.npz``; never a ``.partial``)."""
    return sorted(name for name in os.listdir(out_dir) if name.endswith(".npz")) if os.path.isdir(out_dir) else []


def write_shard(out_dir: str, file: str, arrays: dict[str, numpy.ndarray]) -> None:
    """``write_npz`` of one shard; a full disk becomes one sentence that says what is kept."""
    try:
        write_npz(os.path.join(out_dir, file), arrays)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        raise interrupts.NoSpaceLeft(f"no space left on device while writing shard {file} in {out_dir}; "
                                     f"{len(shards_in(out_dir))} shards kept; rerun to resume") from None


@dataclass
class SimulatedData:
    """Every replicate of a simulation folder, in manifest order."""

    scenario_names: list[str]
    labels: numpy.ndarray                      # (replicates,) scenario index
    genotypes: list[numpy.ndarray]             # each (haplotypes, sites)
    positions: list[numpy.ndarray]
    sequence_lengths: numpy.ndarray
    haplotype_populations: numpy.ndarray       # (haplotypes,) sampled-population index
    population_names: list[str]
    manifest: dict
    site_counts: list[numpy.ndarray] = field(default_factory=list)  # each (locus copies,): sites per copy
    design: SamplingDesign | None = None
    parameters: list[dict] = field(default_factory=list)             # each replicate's parameter draw
    # under a design with missing calls: each replicate's calls before the mask, and the mask's seed
    # (None for folders simulated before shards kept them)
    complete_genotypes: list[numpy.ndarray] | None = None
    mask_seeds: numpy.ndarray | None = None


def load_simulations(directory: str, genotypes: bool = True) -> SimulatedData:
    """Read a folder written by ``simulate``; missing shards are an error naming them.

    ``genotypes=False``: an index only, for reading the shards on demand
    (``genomics.simulation.store.ShardReader``): the labels, sequence lengths, design and
    manifest, held in arrays whose size is a few bytes per replicate; the
    genotypes, positions, site counts and parameter draws are left empty.
    """
    read_calls = genotypes
    manifest_path = os.path.join(directory, MANIFEST)
    if not os.path.exists(manifest_path):
        raise FileNotFoundError(f"{directory!r} holds no {MANIFEST}: not a simulation folder (run genomics simulate)")
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{manifest_path!r} is not a {FORMAT} manifest")
    missing = [f for s in manifest["scenarios"] for f in s["shards"]  # a shard named outside the folder is refused
               if not os.path.exists(path_within(directory, f, "manifest's shard"))]
    if missing:
        raise FileNotFoundError(f"{directory!r} lacks {len(missing)} shards (first: {missing[0]}); re-run the same "
                                "genomics simulate command to finish them")
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(f"{manifest_path!r} has format version {manifest.get('version')}; this genomics reads "
                         f"version {FORMAT_VERSION}: simulate again into a new folder")
    labels, genotypes, positions, lengths, site_counts, parameters = [], [], [], [], [], []
    complete, mask_seeds = [], []
    first = manifest["scenarios"][0]["spec"]  # checked when simulated: its design is read as Scenario reads it
    design = SamplingDesign.from_spec(first["design"], f"scenario {first['name']!r}", lambda value, key: None,
                                      first.get("units", "generations"))
    for index, entry in enumerate(manifest["scenarios"]):
        for file in entry["shards"]:
            path = os.path.join(directory, file)
            try:
                with numpy.load(path, allow_pickle=False) as shard:
                    shard_lengths = shard["sequence_length"]
                    if read_calls:
                        offsets, g, p = shard["site_offsets"], shard["genotypes"], shard["positions"]
                        counts, draws = shard["locus_site_counts"], shard["parameters"]
                        seeds = shard["mask_seeds"] if "mask_seeds" in shard.files else None
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
                raise ValueError(f"cannot read shard {path!r}: {error}") from None
            lengths.append(shard_lengths)
            labels.append(numpy.full(len(shard_lengths), index, dtype=numpy.int64))
            if not read_calls:
                continue
            arrays = {"genotypes": g, "positions": p, "site_offsets": offsets, "locus_site_counts": counts,
                      "mask_seeds": seeds}
            for r, (replicate, replicate_positions) in enumerate(shard_replicates(arrays, design)):
                if design.missing is not None and seeds is not None:  # complete calls and their mask's seed
                    complete.append(g[:, offsets[r] : offsets[r + 1]])
                    mask_seeds.append(int(seeds[r]))
                genotypes.append(replicate)
                positions.append(replicate_positions)
                site_counts.append(counts[r])
                parameters.append(dict(zip(entry["parameter_names"], draws[r].tolist())))
    fresh_masks_possible = read_calls and design.missing is not None and len(complete) == len(genotypes)
    return SimulatedData(
        scenario_names=[s["name"] for s in manifest["scenarios"]], labels=numpy.concatenate(labels),
        genotypes=genotypes, positions=positions, sequence_lengths=numpy.concatenate(lengths).astype(numpy.float64),
        haplotype_populations=design.haplotype_populations, population_names=design.populations,
        manifest=manifest, site_counts=site_counts, design=design, parameters=parameters,
        complete_genotypes=complete if fresh_masks_possible else None,
        mask_seeds=numpy.array(mask_seeds, dtype=numpy.uint64) if fresh_masks_possible else None,
    )
