"""Seeded, parallel, resumable coalescent simulations of labelled replicates, written as shards.

Every replicate's seed is derived from one master seed, its scenario's index
and its own index (numpy's SeedSequence), so the same command writes the
same bytes, whatever the number of workers. Replicates are grouped in shards
of ``shard_size`` per scenario; each shard is one file, written whole or not
at all, and a re-run skips the shards already on disk. The folder's
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

import concurrent.futures
import errno
import io
import json
import os
import platform
import signal
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import msprime
import numpy
import tskit

from genomics import interrupts
from genomics.progress import Progress
from genomics.simulation import resources
from genomics.scenario.design import SamplingDesign
from genomics.simulation.loci import simulate_loci, with_design_mask, with_missing_calls
from genomics.scenario.scenario import Scenario
from genomics.textfile import path_within

MANIFEST = "manifest.json"
FORMAT = "genomics-simulations"
FORMAT_VERSION = 2


def replicate_seed(master_seed: int, scenario_index: int, replicate_index: int) -> int:
    """A seed in [1, 2^32) for one replicate, independent of how the work is split."""
    state = numpy.random.SeedSequence([master_seed, scenario_index, replicate_index]).generate_state(1)[0]
    return int(state) or 1


def simulate_replicate(scenario: Scenario, seed: int, parameters: dict | None = None,
                       mask: bool = True) -> dict[str, Any]:
    """Draw parameters and simulate every locus of the design (``genomics.simulation.loci``); genotypes and positions, and the
    whole replicate as ``genomics.genotypes.Genotypes`` (``"replicate"``).

    ``mask=False``: also the genotypes before the missing calls (``complete_genotypes``), see ``simulate_loci``.

    ``parameters`` given: use them instead of a draw from the priors (the
    simulation seeds still come from ``seed``), e.g. for several windows of
    one data set.
    """
    generator = numpy.random.default_rng(seed)
    drawn = scenario.draw_parameters(generator)
    parameters = drawn if parameters is None else parameters
    complete = simulate_loci(scenario, parameters, generator, mask=False)
    complete.provenance["seed"] = seed
    replicate = with_design_mask(complete, scenario.design)
    result = {"genotypes": replicate.calls, "positions": replicate.positions, "site_counts": replicate.site_counts,
              "sequence_lengths": replicate.locus_lengths, "mask_seed": replicate.provenance["mask_seed"],
              "replicate": replicate, "parameters": parameters, "sequence_length": replicate.sequence_length}
    if not mask and scenario.design.missing is not None:
        result["complete_genotypes"] = complete.calls
    return result


def simulate_shard(spec: dict, seeds: list[int]) -> dict[str, numpy.ndarray]:
    """Simulate one shard's replicates (runs in a worker process); returns the shard's arrays."""
    scenario = Scenario(spec)
    replicates = [simulate_replicate(scenario, seed, mask=False) for seed in seeds]
    offsets = numpy.cumsum([0] + [r["positions"].size for r in replicates]).astype(numpy.int64)
    haplotypes = sum(scenario.design.haplotypes_per_population)
    complete = [r.get("complete_genotypes", r["genotypes"]) for r in replicates]
    return {
        "genotypes": numpy.concatenate(complete, axis=1) if offsets[-1] else numpy.zeros((haplotypes, 0), numpy.int8),
        "mask_seeds": numpy.array([r["mask_seed"] for r in replicates], dtype=numpy.uint64),
        "positions": numpy.concatenate([r["positions"] for r in replicates]),
        "site_offsets": offsets,
        "locus_site_counts": numpy.stack([r["site_counts"] for r in replicates]),
        "locus_lengths": numpy.stack([r["sequence_lengths"] for r in replicates]),
        "parameters": numpy.array([[r["parameters"][name] for name in scenario.priors] for r in replicates],
                                  dtype=numpy.float64).reshape(len(seeds), len(scenario.priors)),
        "sequence_length": numpy.array([r["sequence_length"] for r in replicates], dtype=numpy.float64),
        "seeds": numpy.array(seeds, dtype=numpy.uint64),
    }


def shard_replicate(arrays: dict, design: SamplingDesign, r: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(genotypes (haplotypes, sites), positions (sites,)) of replicate ``r`` of a shard's arrays, with the
    simulated missing calls applied where the shard keeps complete calls and mask seeds."""
    start, end = arrays["site_offsets"][r], arrays["site_offsets"][r + 1]
    genotypes, seeds = arrays["genotypes"][:, start:end], arrays.get("mask_seeds")
    if design.missing is not None and seeds is not None:
        genotypes = with_missing_calls(genotypes, design, arrays["locus_site_counts"][r], int(seeds[r]))
    return genotypes, arrays["positions"][start:end]


def shard_replicates(arrays: dict, design: SamplingDesign) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """``shard_replicate`` of every replicate of a shard's arrays, in order."""
    return [shard_replicate(arrays, design, r) for r in range(len(arrays["site_offsets"]) - 1)]


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


def simulate(scenarios: list[Scenario], replicates: int, out_dir: str, master_seed: int = 1,
             shard_size: int = 100, executor: concurrent.futures.Executor | None = None,
             workers: int | None = None, progress: bool | Callable[[int, int], None] = True) -> dict:
    """Simulate ``replicates`` replicates of every scenario into ``out_dir``; returns the manifest.

    ``executor`` may be any ``concurrent.futures.Executor`` (a Dask client's
    ``get_executor()`` for a cluster); by default a process pool on all cores.
    Shards already present are kept, so an interrupted run resumes. Before
    any work: a plan that cannot fit in memory, or shards that cannot fit on
    the disk, are refused (``genomics.simulation.resources``); a folder that another
    process is writing is refused, naming its pid (``interrupts.FolderLock``).
    SIGTERM ends the run as Ctrl-C does: workers ended, finished shards kept;
    a full disk ends it with ``interrupts.NoSpaceLeft``, finished shards kept.
    ``progress``: ``progress(done, total)`` replicates as each shard is written (``genomics.progress``);
    True: such lines on stdout; False: silent.
    """
    if replicates < 1 or shard_size < 1:
        raise ValueError(f"replicates and shard_size must be >= 1, got {replicates} and {shard_size}")
    designs = {json.dumps(_design_shape(s), sort_keys=True) for s in scenarios}
    if len(designs) > 1:
        raise ValueError("all scenarios of one data set must share the sampled populations, sample sizes, ploidy "
                         "and loci (names, copies and fixed SNP counts), got "
                         + "; ".join(f"{s.name}: {_design_shape(s)}" for s in scenarios))
    if not isinstance(master_seed, int) or master_seed < 0:
        raise ValueError(f"the master seed must be an integer >= 0, got {master_seed!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer (or None for all cores), got {workers!r}")
    resources.check_simulation(scenarios, replicates, shard_size, out_dir, shards_done=len(shards_in(out_dir)))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the output folder {out_dir!r}: {error.strerror or error}") from None
    with interrupts.FolderLock(out_dir):  # one writer at a time: a second run is refused, naming the first
        return _simulate_locked(scenarios, replicates, out_dir, master_seed, shard_size, executor, workers, progress)


def _simulate_locked(scenarios: list[Scenario], replicates: int, out_dir: str, master_seed: int, shard_size: int,
                     executor: concurrent.futures.Executor | None, workers: int | None,
                     progress: bool | Callable[[int, int], None]) -> dict:
    """``simulate`` once the folder's lock is held: write the manifest, run the shards not yet on disk."""
    manifest = manifest_for(scenarios, replicates, master_seed, shard_size)
    manifest_path = os.path.join(out_dir, MANIFEST)
    if os.path.exists(manifest_path):
        with open(manifest_path) as handle:
            existing = json.load(handle)
        same = {k: existing.get(k) for k in ("master_seed", "replicates_per_scenario", "shard_size", "scenarios")}
        if same != {k: manifest[k] for k in same}:
            raise ValueError(f"{out_dir!r} already holds a different simulation (other scenarios, seed or sizes); "
                             "choose another folder or delete it")
    with open(manifest_path, "w") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)

    todo = [p for p in plan_shards(scenarios, replicates, shard_size)
            if not os.path.exists(path_within(out_dir, p.file, "shard"))]  # never a file outside out_dir
    total = replicates * len(scenarios)
    done = total - sum(p.count for p in todo)
    if not todo:
        if progress:
            print(f"all {total} replicates already in {out_dir}")
        return manifest
    own_executor = executor is None
    if own_executor:
        executor = interrupts.worker_pool(workers)
    report = progress if callable(progress) else Progress("simulated", stream=sys.stdout) if progress else None
    if isinstance(report, Progress) and report is not progress:
        report.start()
    if report is not None:
        report(done, total)
    previous_handlers = interrupts.raise_on_signals((signal.SIGTERM,))  # SIGTERM ends it as Ctrl-C does
    futures: dict = {}
    try:
        futures = {
            executor.submit(simulate_shard, scenarios[p.scenario_index].spec,
                            [replicate_seed(master_seed, p.scenario_index, r) for r in range(p.first, p.first + p.count)]): p
            for p in todo
        }
        for future in concurrent.futures.as_completed(futures):
            plan = futures[future]
            _write_shard(out_dir, plan.file, future.result())
            done += plan.count
            if report is not None:
                report(done, total)
    except BaseException:
        if own_executor:  # interrupted: end the workers now rather than leave them running their shards
            interrupts.terminate_pool(executor)
        else:  # a cluster's executor outlives this call: take back the shards not yet begun
            for future in futures:
                future.cancel()
        raise
    finally:
        if own_executor:
            executor.shutdown(cancel_futures=True)
        interrupts.restore_handlers(previous_handlers)
        if report is not None and report is not progress:
            report.finish()
    return manifest


def shards_in(out_dir: str) -> list[str]:
    """The finished shard files of a simulation folder (``.npz``; never a ``.partial``)."""
    return sorted(name for name in os.listdir(out_dir) if name.endswith(".npz")) if os.path.isdir(out_dir) else []


def _write_shard(out_dir: str, file: str, arrays: dict[str, numpy.ndarray]) -> None:
    """``write_npz`` of one shard; a full disk becomes one sentence that says what is kept."""
    try:
        write_npz(os.path.join(out_dir, file), arrays)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        raise interrupts.NoSpaceLeft(f"no space left on device while writing shard {file} in {out_dir}; "
                                     f"{len(shards_in(out_dir))} shards kept; rerun to resume") from None


def _design_shape(scenario: Scenario) -> dict:
    """What every scenario of one data set must share: the shape of the data, not the rates that made it."""
    design = scenario.design
    return {"populations": design.populations, "samples": design.samples, "ploidy": design.ploidy,
            "loci": [(locus.name, locus.count, locus.segregating_sites) for locus in design.loci]}


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
    design = Scenario(manifest["scenarios"][0]["spec"]).design
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
