"""``python -m benchmarks.streaming_memory --train SIMS --held-out SIMS [--counts 12,48] [--quick] [--json FILE]``

Peak resident memory of ``genomics train --stream``, ``genomics calibrate`` and ``genomics evaluate`` on the
steppe study's design (``examples/kirschner_steppe``: 270 haplotypes, one-SNP loci, 15% missing calls, the
study's network and encoding), as the number of simulations grows. ``--in-memory`` measures instead
``genomics train`` without ``--stream`` (the folder read whole) and ``genomics compare`` of the bundle it
trained (ABC rejection and the hybrid, scored on the tiled ``--held-out`` folder), each with ``--code``'s
``genomics``.

For each count C per model, folders of C replicates per model are made of copies of the shards of ``--train``
and of ``--held-out`` (``benchmarks.streaming.tiled_folder``: the copies repeat the source's replicates, which
changes nothing about the cost of reading, decompressing, encoding and scoring them). The bundle is trained on
the tiled ``--train`` folder (one epoch, ``--stream``), then calibrated and evaluated on the tiled
``--held-out`` folder (another master seed, as ``calibrate`` requires). Each command runs in its own process,
and its peak RSS is that process's ``ru_maxrss``. ``--code DIR`` runs the same commands with the ``genomics``
of another checkout (e.g. one from before ``evaluate`` and ``calibrate`` streamed) for a before/after figure.

``--quick`` simulates its own tiny sources (100 loci, 4 replicates per model) and tiles them to 4 and 8 per
model: it checks that the benchmark runs (the default test suite runs it), its figures mean little.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPPE = os.path.join(ROOT, "examples", "kirschner_steppe")
#: a command run in a child process, which prints its own peak RSS (Linux: ru_maxrss in KiB) as the last line
CHILD = ("import json, resource, sys, time\n"
         "from genomics.cli.main import main\n"
         "start = time.perf_counter()\n"
         "code = main(sys.argv[1:])\n"
         "print(json.dumps({'code': code, 'seconds': time.perf_counter() - start,\n"
         "                  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n")


def run_command(arguments: list[str], code_root: str) -> dict:
    """One ``genomics`` command in a fresh process using the package of ``code_root``: its seconds and peak RSS."""
    environment = {**os.environ, "PYTHONPATH": code_root}
    done = subprocess.run([sys.executable, "-c", CHILD, *arguments], cwd=code_root, capture_output=True, text=True,
                          env=environment)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or json.loads(lines[-1])["code"] != 0:
        raise RuntimeError(f"genomics {' '.join(arguments[:1])} failed: "
                           + ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1])
    return json.loads(lines[-1])


def steppe_network(network: str | None = None) -> list[str]:
    """The study's encoding and ``network`` (default the study's network)."""
    sys.path.insert(0, STEPPE)
    import run as steppe  # noqa: PLC0415 - examples/kirschner_steppe/run.py

    return ["--network", network or steppe.NETWORK, *steppe.STEPPE_ENCODING]


def simulate_sources(work: str, loci: int, per_model: int) -> tuple[str, str]:
    """(train, held-out) folders of ``per_model`` replicates of the steppe models with ``loci`` loci, 15% missing."""
    sys.path.insert(0, STEPPE)
    import run as steppe  # noqa: PLC0415
    from genomics.cli.main import main  # noqa: PLC0415

    models = steppe.scenario_files(work, loci, 0.15)
    folders = []
    for name, seed in (("train", 1), ("held_out", 2)):
        folder = os.path.join(work, name)
        if main(["simulate", *models, "--replicates", str(per_model), "--out", folder, "--simulation-seed", str(seed),
                 "--shard-size", str(per_model), "--workers", "1", "--quiet"]) != 0:
            raise RuntimeError("simulating the sources failed")
        folders.append(folder)
    return folders[0], folders[1]


def measure_in_memory(count: int, train_source: str, held_out_source: str, work: str, batch_size: int,
                      code_root: str, network: str | None = None, only_train: bool = False) -> dict:
    """Peak RSS and seconds of ``train`` (no ``--stream``: one epoch, batch 32, ``network`` or the study's) and of
    ``compare`` of its bundle with ``count`` replicates per model, both run with the ``genomics`` of ``code_root``."""
    from benchmarks.streaming import tiled_folder  # noqa: PLC0415

    train = tiled_folder(train_source, count, os.path.join(work, "train_tiles"))
    held_out = tiled_folder(held_out_source, count, os.path.join(work, "held_out_tiles"))
    run_dir = os.path.join(work, f"memory-run-{count}")
    shutil.rmtree(run_dir, ignore_errors=True)
    commands = {
        "train": ["train", train, "--out", run_dir, *steppe_network(network), "--epochs", "1", "--batch-size", "32",
                  "--validation-fraction", "0.25", "--test-fraction", "0.01", "--calibration-fraction", "0",
                  "--quiet"],
        "compare": ["compare", train, os.path.join(run_dir, "model.npz"), "--test-simulations", held_out,
                    "--methods", "rejection", "--per-scenario", "5", "--tolerance", "0.2", "--batch-size",
                    str(batch_size), "--quiet"],
    }
    if only_train:
        del commands["compare"]
    results = {}
    for name, arguments in commands.items():
        results[name] = run_command(arguments, code_root)
        print(f"  {name}: {results[name]['peak_rss_mb']:.0f} MB peak RSS, {results[name]['seconds']:.1f} s",
              flush=True)
    return {"per_model": count, "replicates": 3 * count, **results}


def measure(count: int, train_source: str, held_out_source: str, work: str, batch_size: int,
            code_root: str, trained: str | None = None, fresh_masks: bool = False) -> dict:
    """Peak RSS and seconds of train --stream, calibrate and evaluate with ``count`` replicates per model
    (``trained``: a bundle to calibrate and evaluate, training left out)."""
    from benchmarks.streaming import tiled_folder  # noqa: PLC0415

    train = None if trained else tiled_folder(train_source, count, os.path.join(work, "train_tiles"))
    held_out = tiled_folder(held_out_source, count, os.path.join(work, "held_out_tiles"))
    run_dir = os.path.join(work, f"run-{count}")
    shutil.rmtree(run_dir, ignore_errors=True)
    bundle, calibrated = trained or os.path.join(run_dir, "model.npz"), os.path.join(run_dir, "calibrated.npz")
    commands = {
        "train --stream": ["train", train, "--out", run_dir, *steppe_network(), "--epochs", "1", "--stream",
                           "--batch-size", "32", "--validation-fraction", "0.25", "--test-fraction", "0.01",
                           "--calibration-fraction", "0", "--quiet", *(["--fresh-masks"] if fresh_masks else [])],
        "calibrate": ["calibrate", bundle, held_out, "--out", calibrated, "--batch-size", str(batch_size)],
        "evaluate": ["evaluate", calibrated, held_out, "--out", os.path.join(run_dir, "evaluation.json"),
                     "--batch-size", str(batch_size)],
    }
    if trained:
        os.makedirs(run_dir)
        del commands["train --stream"]
    results = {}
    for name, arguments in commands.items():
        if code_root != ROOT and name != "train --stream":  # an older checkout may lack --batch-size
            arguments = arguments[:-2]
        results[name] = run_command(arguments, code_root if name != "train --stream" else ROOT)
        print(f"  {name}: {results[name]['peak_rss_mb']:.0f} MB peak RSS, {results[name]['seconds']:.1f} s",
              flush=True)
    return {"per_model": count, "replicates": 3 * count, **results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--train", help="a steppe simulation folder to train on (tiled)")
    parser.add_argument("--held-out", help="a steppe simulation folder of another master seed (tiled) for "
                                           "calibrate and evaluate")
    parser.add_argument("--counts", default="12,48", help="replicates per model, comma-separated (multiples of "
                                                          "the sources' shard size)")
    parser.add_argument("--batch-size", type=int, default=256, help="calibrate and evaluate's --batch-size")
    parser.add_argument("--code", default=ROOT, help="the checkout whose genomics runs calibrate and evaluate "
                                                      "(default this one)")
    parser.add_argument("--bundle", help="calibrate and evaluate this bundle of the steppe design (trained on "
                                         "another master seed than --held-out's); training is left out")
    parser.add_argument("--work", help="folder for the tiled copies and runs (default a temporary one, removed)")
    parser.add_argument("--in-memory", action="store_true", help="measure train without --stream and compare "
                                                                  "instead (both with --code's genomics)")
    parser.add_argument("--network", help="--in-memory: train this network on the study's encoding instead of the "
                                          "study's network (e.g. cnn1d: minutes where the study's takes hours)")
    parser.add_argument("--only-train", action="store_true", help="--in-memory: leave compare out (its summary "
                                                                   "statistics take about a second a replicate)")
    parser.add_argument("--quick", action="store_true", help="tiny sources simulated here: checks the benchmark runs")
    parser.add_argument("--fresh-masks", action="store_true", help="train with a new mask of missing calls for "
                                                                    "every replicate at every epoch (the study's remedy)")
    parser.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "streaming_memory.json"))
    arguments = parser.parse_args(argv)
    work = arguments.work or tempfile.mkdtemp(prefix="streaming_memory-")
    try:
        if arguments.quick:
            train, held_out = simulate_sources(work, loci=100, per_model=4)
            counts = [4, 8]
        elif not ((arguments.train or arguments.bundle) and arguments.held_out):
            parser.error("give --train and --held-out steppe simulation folders (or --quick)")
        else:
            train, held_out = arguments.train, arguments.held_out
            counts = [int(text) for text in arguments.counts.split(",")]
        rows = []
        for count in counts:
            print(f"{count} replicates per model ({3 * count} in all):", flush=True)
            if arguments.in_memory:
                rows.append(measure_in_memory(count, train, held_out, work, arguments.batch_size,
                                              os.path.abspath(arguments.code), arguments.network,
                                              arguments.only_train))
            else:
                rows.append(measure(count, train, held_out, work, arguments.batch_size, os.path.abspath(arguments.code),
                                    arguments.bundle and os.path.abspath(arguments.bundle), arguments.fresh_masks))
    finally:
        if not arguments.work:
            shutil.rmtree(work, ignore_errors=True)
    report = {"date": time.strftime("%Y-%m-%d"), "quick": arguments.quick, "in_memory": arguments.in_memory,
              "network": arguments.network, "fresh_masks": arguments.fresh_masks,
              "batch_size": arguments.batch_size,
              "code": os.path.abspath(arguments.code), "rows": rows}
    with open(arguments.json, "w") as handle:
        json.dump(report, handle, indent=1)
    print(f"written: {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
