"""``simulate``: seeded, parallel, resumable simulation of labelled replicates into a folder of shards.

Replicates are simulated a shard at a time by workers
(``genomics.simulation.replicate``) and written whole or not at all
(``genomics.simulation.folder``); a re-run skips the shards already on
disk, and a run asking for more replicates of the same scenarios tops the
folder up (``top_up_plan``): the result is the folder a fresh run of that
many replicates would write, byte for byte.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import sys
from typing import Callable

from genomics import interrupts
from genomics.progress import Progress
from genomics.scenario.scenario import Scenario
from genomics.simulation import resources
from genomics.simulation.folder import (
    FORMAT, FORMAT_VERSION, MANIFEST, ShardPlan, SimulatedData, load_simulations, manifest_for, package_versions,
    plan_shards, shards_in, write_npz, write_shard,
)
from genomics.simulation.replicate import (
    replicate_seed, shard_replicate, shard_replicates, simulate_replicate, simulate_shard,
)
from genomics.textfile import path_within

#: Names that moved to folder.py and replicate.py, still imported from here by older code.
__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "ShardPlan", "SimulatedData", "load_simulations", "manifest_for",
           "package_versions", "plan_shards", "replicate_seed", "shard_replicate", "shard_replicates", "shards_in",
           "simulate", "simulate_replicate", "simulate_shard", "write_npz"]


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
        stale = top_up_plan(existing, manifest, out_dir)
        if progress and existing.get("replicates_per_scenario") != replicates:
            print(f"topping up {out_dir}: {existing.get('replicates_per_scenario')} -> {replicates} replicates "
                  "per scenario", flush=True)
        for file in stale:  # before the new manifest: an interrupted top-up then redoes them
            os.remove(path_within(out_dir, file, "shard"))
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
            executor.submit(simulate_shard, scenarios[p.scenario_index],
                            [replicate_seed(master_seed, p.scenario_index, r) for r in range(p.first, p.first + p.count)]): p
            for p in todo
        }
        for future in concurrent.futures.as_completed(futures):
            plan = futures[future]
            write_shard(out_dir, plan.file, future.result())
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


def top_up_plan(existing: dict, manifest: dict, out_dir: str) -> list[str]:
    """The shard files of ``out_dir`` (whose manifest is ``existing``) to simulate again so that the folder becomes
    what a fresh run of ``manifest`` writes; a folder that cannot become it is refused in one sentence.

    The rule: the same master seed, shard size and scenarios (names, definitions and parameters, in the same
    order), and at least as many replicates per scenario as the folder holds. Replicate r of scenario s has the
    seed ``replicate_seed(master_seed, s, r)`` whatever the number asked for, so the replicates already there are
    those of the larger run: only the missing ones are simulated, plus a last shard that held fewer than
    ``shard_size`` replicates, which is simulated again whole (its first replicates come out the same).
    """
    if existing.get("format") != FORMAT or existing.get("version") != FORMAT_VERSION:
        raise ValueError(f"{out_dir!r} holds a {MANIFEST} of format {existing.get('format')!r} version "
                         f"{existing.get('version')!r}, not {FORMAT!r} version {FORMAT_VERSION}: choose another "
                         "folder or delete it")
    for key, what in (("master_seed", "master seed"), ("shard_size", "shard size")):
        if existing.get(key) != manifest[key]:
            raise ValueError(f"{out_dir!r} was simulated with the {what} {existing.get(key)!r}, not "
                             f"{manifest[key]!r}: give the same {what} to resume or top it up, or another folder")
    old = [entry.get("name") for entry in existing.get("scenarios", [])]
    new = [entry["name"] for entry in manifest["scenarios"]]
    if old != new:
        raise ValueError(f"{out_dir!r} holds the scenarios {old}, not {new}: only the same scenarios, in the same "
                         "order, can resume or top up a folder; choose another folder")
    fresh = json.loads(json.dumps(manifest["scenarios"]))  # as it reads back from the file
    for before, now in zip(existing["scenarios"], fresh):
        differing = sorted(key for key in set(before["spec"]) | set(now["spec"])
                           if before["spec"].get(key) != now["spec"].get(key))
        if differing or before.get("parameter_names") != now["parameter_names"]:
            raise ValueError(f"scenario {now['name']!r} differs from the one {out_dir!r} was simulated with (in "
                             f"{', '.join(differing) or 'its parameter order'}): only the same scenarios can resume "
                             "or top up a folder; choose another folder")
    had, wanted = existing.get("replicates_per_scenario"), manifest["replicates_per_scenario"]
    size = manifest["shard_size"]
    if not isinstance(had, int) or had > wanted:
        raise ValueError(f"{out_dir!r} holds {had} replicates per scenario, more than the {wanted} asked for: a "
                         f"top-up only adds replicates; ask for {had} or more, or choose another folder")
    stale = []
    for entry in existing["scenarios"]:
        for k, file in enumerate(entry.get("shards", [])):
            if min(size, had - k * size) != min(size, wanted - k * size):
                stale.append(file)
    return stale


def _design_shape(scenario: Scenario) -> dict:
    """What every scenario of one data set must share: the shape of the data, not the rates that made it."""
    design = scenario.design
    return {"populations": design.populations, "samples": design.samples, "ploidy": design.ploidy,
            "loci": [(locus.name, locus.count, locus.segregating_sites) for locus in design.loci]}
