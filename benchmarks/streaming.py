"""``python -m benchmarks.streaming [--source SIMS] [--counts 10000,100000,1000000] [--quick] [--json FILE]``

Peak memory and throughput of training from shards (``genomics train
--stream``) against training on arrays in memory, as the number of
simulations grows.

For each total count N, a folder of N replicates is made from the shards of
``--source`` (by default, a few Pilosocereus simulations of Perez et al.
2022's design: 7 models, 64 haplotypes, 195 SNPs): each scenario's source
shards are copied, as distinct files, until the scenario has its share of N.
The copies repeat the source's replicates, which changes nothing about the cost
of reading, decompressing and encoding them; the point is the number of files
and replicates the reader indexes and the memory it needs.

Every measurement runs in a fresh process (its peak resident memory is
``ru_maxrss``), the configurations interleaved round after round:

- ``stream N``: ``ShardReader`` + ``ShardBatches`` (a background thread
  reads and encodes the next batches) into ``fit``;
- ``memory N``: ``load_simulations`` and ``encode_data`` of all N, then
  ``fit`` on the arrays (only where they fit in memory: see ``--memory-max``).

Both train Perez's network (the ``perez`` preset, batch 250) for ``--steps``
steps after ``--warmup`` steps; throughput is replicates per second of the
timed steps, from the end of the first to the end of the last (the steady
state: a real epoch of 1M replicates has 4,000 steps, so its start and end,
where the stream plans the next epoch's shard order, are left out). The
figures go to the JSON file.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEREZ = os.path.join(ROOT, "examples", "perez2022_pilosocereus")
#: Perez's preprocessing (examples/perez2022_pilosocereus/run.py)
ENCODING = {"coding": "zero_one", "polarisation": "major_minor", "row_sort": "none", "distance_channel": False}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(mode: str, folder: str, network: str, batch_size: int, warmup: int, steps: int, shards: int) -> dict:
    """One measurement (run in its own process): prepare the data, train warmup + steps steps, time the steps."""
    import numpy  # noqa: PLC0415 - the parent process stays light

    import minidl  # noqa: PLC0415
    from genomics.learning import networks as models  # noqa: PLC0415
    from genomics import pipeline
    from genomics.encoding.encoder import Encoder  # noqa: PLC0415
    from genomics.simulation.store import ShardReader  # noqa: PLC0415
    from genomics.simulation.run import load_simulations  # noqa: PLC0415
    from genomics.learning.batches.streaming import ShardBatches, encode_from_shards  # noqa: PLC0415

    began = time.perf_counter()
    if mode == "stream":
        reader = ShardReader(folder, shards)
        data = reader.data
        encoder = Encoder.for_design(data.design, **ENCODING)
        everything = numpy.arange(len(reader))
        training = ShardBatches(reader, everything, data.labels, encoder, network, batch_size, seed=0)
        shape = encode_from_shards(reader, encoder, everything[:1]).shape[1:]
        x, y = training, None
    else:
        data = load_simulations(folder)
        encoder = Encoder.for_design(data.design, **ENCODING)
        images = pipeline.encode_data(data, encoder)
        shape = images.shape[1:]
        x, y = models.model_input(images, network), data.labels
        del images
    prepared = time.perf_counter() - began
    rss_prepared = peak_rss_mb()
    minidl.random.seed(0)
    model = models.build(network, shape, len(data.scenario_names))
    model.compile(optimizer=minidl.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    shuffle = mode == "memory"  # a stream shuffles itself, shard by shard
    model.fit(x, y, batch_size=batch_size, epochs=1, steps_per_epoch=warmup, shuffle=shuffle, verbose=0)
    if mode == "stream":
        training.on_epoch_end()  # a new shard order: the timed steps do not start on the warm-up's shards
    ends: list = []
    clock = minidl.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, steps_per_epoch=steps + 1, shuffle=shuffle, verbose=0,
              callbacks=[clock])
    # the steps after the first: steady state, without the epoch's start (shuffle, first batch) and end
    seconds = ends[-1] - ends[0]
    return {"mode": mode, "replicates": int(len(data.labels)), "prepare_seconds": prepared,
            "fit_seconds": seconds, "epoch_call_seconds": time.perf_counter() - start, "replicates_per_second": steps * batch_size / seconds,
            "peak_rss_mb_before_fit": rss_prepared, "peak_rss_mb": peak_rss_mb()}


def tiled_folder(source: str, per_scenario: int, out: str) -> str:
    """A simulation folder of ``per_scenario`` replicates per scenario made of copies of ``source``'s shards."""
    with open(os.path.join(source, "manifest.json")) as handle:
        manifest = json.load(handle)
    size = manifest["shard_size"] = min(manifest["shard_size"], manifest["replicates_per_scenario"])
    if manifest["replicates_per_scenario"] % size:
        raise ValueError(f"{source!r}: its replicates per scenario must be a multiple of its shard size {size}")
    per_scenario = -(-per_scenario // size) * size  # whole shards, at least the count asked for
    folder = os.path.join(out, f"tiled-{per_scenario}")
    if os.path.exists(os.path.join(folder, "manifest.json")):
        return folder
    os.makedirs(folder, exist_ok=True)
    for entry in manifest["scenarios"]:
        sources, files = entry["shards"], []
        for k in range(per_scenario // size):
            file = f"{entry['name']}-{k:06d}.npz"
            shutil.copyfile(os.path.join(source, sources[k % len(sources)]), os.path.join(folder, file))
            files.append(file)
        entry["shards"] = files
    manifest["replicates_per_scenario"] = per_scenario
    manifest["tiled_from"] = os.path.abspath(source)
    with open(os.path.join(folder, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
    return folder


def simulate_source(out: str, per_model: int, shard_size: int) -> str:
    from genomics.scenario.scenario import load_toml  # noqa: PLC0415
    from genomics.simulation.run import simulate  # noqa: PLC0415

    folder = os.path.join(out, "source")
    scenarios = [s for path in sorted(glob.glob(os.path.join(PEREZ, "model*.toml"))) for s in load_toml(path)]
    simulate(scenarios, per_model, folder, master_seed=1, shard_size=shard_size, progress=False)
    return folder


def child(mode: str, folder: str, arguments: argparse.Namespace) -> dict:
    command = [sys.executable, "-m", "benchmarks.streaming", "--child", mode, folder, "--network", arguments.network,
               "--batch-size", str(arguments.batch_size), "--warmup", str(arguments.warmup),
               "--steps", str(arguments.steps), "--shards-in-memory", str(arguments.shards_in_memory)]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        return {"mode": mode, "error": (completed.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streaming", description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="a simulation folder whose shards are copied (default: simulate a few "
                                         "of Perez et al.'s Pilosocereus models)")
    parser.add_argument("--counts", default="10000,100000,1000000", help="total replicates of each folder")
    parser.add_argument("--memory-max", type=int, default=100_000,
                        help="largest count also trained in memory (1M Perez images alone would be 50 GB)")
    parser.add_argument("--work", default=os.path.join(ROOT, "benchmarks", "streaming-work"),
                        help="folder for the copies (deleted at the end unless --keep)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--network", default="perez")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--shards-in-memory", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="tiny counts and steps: checks the benchmark runs")
    parser.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "streaming.json"))
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        mode, folder = arguments.child
        print(json.dumps(measure(mode, folder, arguments.network, arguments.batch_size, arguments.warmup,
                                 arguments.steps, arguments.shards_in_memory)))
        return 0
    if arguments.quick:
        arguments.counts, arguments.rounds, arguments.warmup, arguments.steps = "70,280", 1, 1, 2
        arguments.batch_size, arguments.memory_max = 16, 280
    counts = [int(c) for c in arguments.counts.split(",")]
    os.makedirs(arguments.work, exist_ok=True)
    try:
        source = arguments.source or simulate_source(arguments.work, 10 if arguments.quick else 500,
                                                     5 if arguments.quick else 100)
        with open(os.path.join(source, "manifest.json")) as handle:
            scenarios = len(json.load(handle)["scenarios"])
        folders = {count: tiled_folder(source, -(-count // scenarios), arguments.work) for count in counts}
        plan = [(mode, count) for count in counts for mode in ("stream", "memory")
                if mode == "stream" or count <= arguments.memory_max]
        runs: dict = {f"{mode} {count}": [] for mode, count in plan}
        for round_ in range(arguments.rounds):
            for mode, count in plan:
                result = child(mode, folders[count], arguments)
                runs[f"{mode} {count}"].append(result)
                print(f"round {round_ + 1} {mode:>6} {count:>9,}: "
                      + (result["error"] if "error" in result else
                         f"{result['replicates_per_second']:8.1f} replicates/s, peak RSS {result['peak_rss_mb']:8.1f} MB"
                         f", prepared in {result['prepare_seconds']:.1f} s"), flush=True)
    finally:
        if not arguments.keep:
            shutil.rmtree(arguments.work, ignore_errors=True)
    summary = {}
    for key, results in runs.items():
        good = [r for r in results if "error" not in r]
        if not good:
            summary[key] = {"error": results[0]["error"]}
            continue
        rates = [r["replicates_per_second"] for r in good]
        summary[key] = {"replicates": good[0]["replicates"], "rate_median": statistics.median(rates),
                        "rate_max": max(rates), "peak_rss_mb_max": max(r["peak_rss_mb"] for r in good),
                        "prepare_seconds_median": statistics.median(r["prepare_seconds"] for r in good)}
    print(f"\n{'':>16} {'replicates':>10} {'replicates/s (median, best)':>28} {'peak RSS MB':>12} {'prepare s':>10}")
    for key, entry in summary.items():
        if "error" in entry:
            print(f"{key:>16} {entry['error']}")
            continue
        print(f"{key:>16} {entry['replicates']:>10,} {entry['rate_median']:>15.1f} {entry['rate_max']:>12.1f} "
              f"{entry['peak_rss_mb_max']:>12.1f} {entry['prepare_seconds_median']:>10.1f}")
    smallest = min(counts)
    if f"memory {smallest}" in summary and "error" not in summary[f"memory {smallest}"]:
        ratio = summary[f"stream {smallest}"]["rate_median"] / summary[f"memory {smallest}"]["rate_median"]
        print(f"\nstreaming throughput at {smallest:,}: {ratio:.3f} of in-memory (target >= 0.90)")
        summary["stream_over_memory_at_smallest"] = ratio
    settings = {k: getattr(arguments, k) for k in ("network", "batch_size", "warmup", "steps", "shards_in_memory",
                                                    "rounds", "source")}
    with open(arguments.json, "w") as handle:
        json.dump({"settings": settings, "summary": summary, "runs": runs, "cpus": os.cpu_count()}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
