"""Kirschner, Perez et al.'s steppe study (Euphorbia seguieriana): model choice among 3 models, end to end.

Simulates the three scenario files of this folder (made by ``genomics scenario
from-ms`` from the published ms commands: 1,000 unlinked one-SNP loci over
160 extrazonal + 110 zonal haplotypes), with the study's 15% of calls
missing (``--missing``: the files themselves have none, so the run writes
copies of them with a ``[design.missing] per_call`` section); trains the
study's network (``steppe_network.py:build_network``, through ``genomics
train --network FILE.py:FUNCTION``) and the exchangeable network on the
training folder; calibrates each (temperature scaling) on fresh
calibration simulations and evaluates it on fresh test simulations. Every
step is a ``genomics`` command; the figures go to ``OUT/results.json``.

    python examples/kirschner_steppe/run.py --per-model 300      # a pilot
    python examples/kirschner_steppe/run.py --per-model 2500     # a quarter of the published budget
    python examples/kirschner_steppe/run.py                      # the published 10,000 per model
    python examples/kirschner_steppe/run.py --quick              # every step, tiny (checks that it runs)

``--quick`` shrinks everything and says so: 100 of the 1,000 loci, 8
training, 4 calibration and 4 test simulations per model, 1 epoch. Its
accuracies are those of an untrained network and mean nothing.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

from genomics.bundle import Bundle
from genomics.cli.main import main as genomics

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sorted(glob.glob(os.path.join(HERE, "model*.toml")))
NETWORK = os.path.join(HERE, "steppe_network.py") + ":build_network"
LOCI = 1000  # the study's ms 270 1000 -s 1: the scenario files' count
PUBLISHED = {"simulations_per_model": 10000, "test_accuracy_calibrated": 0.982, "temperature": 1.097}
#: the study's network's encoding, after the study's coding of its data (-1/+1, missing 0, SNPs x haplotypes): ms's
#: 0 (ancestral) / 1 (derived) coded -1/+1, the haplotypes in sampled order, no distances (one SNP per unlinked
#: locus), no missing-call channel, every SNP kept.
STEPPE_ENCODING = ["--coding", "plus_minus", "--polarisation", "ancestral", "--row-sort", "none",
                   "--no-distance-channel", "--no-missing-channel", "--selection", "all"]
QUICK = {"per_model": 8, "calibration": 4, "test": 4, "epochs": 1, "loci": 100}


def run(command: list[str]) -> None:
    print("\n$ genomics " + " ".join(command), flush=True)
    if genomics(command) != 0:
        sys.exit(f"genomics {command[0]} failed")


def scenario_files(out: str, loci: int, missing: float) -> list[str]:
    """The scenario files as committed, or copies with ``loci`` loci and/or a per-call missing rate."""
    if loci == LOCI and missing == 0:
        return MODELS
    folder = os.path.join(out, "scenarios")
    os.makedirs(folder, exist_ok=True)
    copies = []
    for path in MODELS:
        with open(path) as source:
            text = source.read()
        if f"count = {LOCI}\n" not in text:
            sys.exit(f"{path}: expected one locus entry with count = {LOCI}")
        text = text.replace(f"count = {LOCI}\n", f"count = {loci}\n")
        if missing:
            text = text.replace("\n[[demes]]", f"\n[design.missing]\nper_call = {missing!r}\n\n[[demes]]", 1)
        copy = os.path.join(folder, os.path.basename(path))
        with open(copy, "w") as target:
            target.write(text)
        copies.append(copy)
    return copies


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="kirschner_steppe_out", help="folder for simulations, models and results")
    parser.add_argument("--quick", action="store_true",
                        help="every step, tiny: 100 loci, 8/4/4 simulations per model, 1 epoch")
    parser.add_argument("--per-model", type=int, default=10000, help="training simulations per model (the study's "
                        "10,000); 25%% of them validate (early stopping)")
    parser.add_argument("--test-per-model", type=int, default=1000, help="fresh test simulations per model")
    parser.add_argument("--calibration-per-model", type=int, default=1000,
                        help="fresh simulations per model on which the temperature is fitted")
    parser.add_argument("--network", choices=["steppe", "exchangeable", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--loci", type=int, default=None,
                        help=f"one-SNP loci per simulation (default the study's {LOCI}; --quick: {QUICK['loci']})")
    parser.add_argument("--missing", type=float, default=0.15, help="share of calls missing (the study's 0.15)")
    parser.add_argument("--workers", type=int, default=None, help="simulation processes (default: all cores)")
    parser.add_argument("--stream", action="store_true", help="train from the shards batch by batch (genomics train "
                        "--stream: images are float32 in memory, about 1.08 MB per replicate of the full design)")
    parser.add_argument("--fresh-masks", action="store_true", help="a new mask of missing calls for every training "
                        "replicate at every epoch (genomics train --fresh-masks; the study's remedy)")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.per_model, arguments.test_per_model = QUICK["per_model"], QUICK["test"]
        arguments.calibration_per_model, arguments.epochs = QUICK["calibration"], QUICK["epochs"]
        arguments.loci = arguments.loci or QUICK["loci"]
    arguments.loci = arguments.loci or LOCI
    for name in ("per_model", "test_per_model", "calibration_per_model", "epochs", "loci"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(arguments, name)}")
    if not 0 <= arguments.missing < 1:
        parser.error(f"--missing must be in [0, 1), got {arguments.missing}")
    if arguments.loci < 60:
        parser.error(f"--loci must be at least 60 (the study's network has a kernel of 50), got {arguments.loci}")
    return arguments


def main(argv: list[str] | None = None) -> dict:
    arguments = parse(argv)
    out = arguments.out
    os.makedirs(out, exist_ok=True)
    if arguments.quick:
        print(f"quick mode: {arguments.loci:,} of the study's {LOCI:,} loci, {arguments.per_model} training, "
              f"{arguments.calibration_per_model} calibration and {arguments.test_per_model} test simulations per "
              f"model, {arguments.epochs} epoch(s): it checks that every step runs; its accuracies mean nothing")
    elif arguments.loci != LOCI:
        print(f"shrunk: {arguments.loci:,} of the study's {LOCI:,} loci per simulation (--loci)")
    workers = [] if arguments.workers is None else ["--workers", str(arguments.workers)]
    models = scenario_files(out, arguments.loci, arguments.missing)
    start = time.perf_counter()
    folders = (("train", arguments.per_model, 1), ("calibration", arguments.calibration_per_model, 2),
               ("test", arguments.test_per_model, 3))
    for folder, replicates, seed in folders:
        run(["simulate", *models, "--replicates", str(replicates), "--out", os.path.join(out, folder),
             "--simulation-seed", str(seed), "--shard-size", "250", *workers])
    results = {"loci": arguments.loci, "missing_per_call": arguments.missing, "quick": arguments.quick,
               "simulations_per_model": arguments.per_model, "published": PUBLISHED,
               "simulation_seconds": time.perf_counter() - start, "runs": []}
    networks = ["steppe", "exchangeable"] if arguments.network == "both" else [arguments.network]
    for network in networks:
        results["runs"].append(train_and_test(out, network, arguments))
    results["total_seconds"] = time.perf_counter() - start
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"\n{arguments.per_model:,} training simulations per model, {arguments.loci} loci, "
          f"{arguments.missing:.0%} of calls missing")
    print("network        test accuracy (raw)   test accuracy (calibrated)   ECE (calibrated)   temperature   "
          "training (min)")
    for entry in results["runs"]:
        print(f"{entry['network']:<14} {entry['test_accuracy_raw']:>19.3f}   {entry['test_accuracy_calibrated']:>26.3f}"
              f"   {entry['test_ece_calibrated']:>16.4f}   {entry['temperature']:>11.3f}   "
              f"{entry['training_seconds'] / 60:>14.1f}")
    print(f"\nKirschner, Perez et al.: {PUBLISHED['test_accuracy_calibrated']} calibrated test accuracy at "
          f"{PUBLISHED['simulations_per_model']:,} per model, T = {PUBLISHED['temperature']}. "
          f"Results in {out}/results.json")
    return results


def train_and_test(out: str, network: str, arguments: argparse.Namespace) -> dict:
    """Train ``network`` on OUT/train, calibrate it on OUT/calibration and evaluate it on OUT/test."""
    run_dir = os.path.join(out, network)
    began = time.perf_counter()
    chosen = ["--network", NETWORK, *STEPPE_ENCODING] if network == "steppe" else ["--network", "exchangeable"]
    # the study: 75% train / 25% validation; the figures are on the fresh test simulations (a 1% split is a check)
    run(["train", os.path.join(out, "train"), "--out", run_dir, *chosen, "--epochs", str(arguments.epochs),
         "--validation-fraction", "0.25", "--test-fraction", "0.01", "--calibration-fraction", "0",
         "--monitor", "val_accuracy", "--patience", "15", "--quiet",
         *(["--stream"] if arguments.stream else []), *(["--fresh-masks"] if arguments.fresh_masks else [])])
    trained = time.perf_counter() - began
    bundle = os.path.join(run_dir, "calibrated.npz")
    run(["calibrate", os.path.join(run_dir, "model.npz"), os.path.join(out, "calibration"), "--out", bundle])
    run(["evaluate", bundle, os.path.join(out, "test"), "--out", os.path.join(run_dir, "test_evaluation.json")])
    with open(os.path.join(run_dir, "test_evaluation.json")) as handle:
        evaluation = json.load(handle)
    calibrated = [name for name in evaluation["scores"] if name.startswith("calibrated")][0]
    raw = [name for name in evaluation["scores"] if not name.startswith("calibrated")][0]
    return {"network": network, "simulations_per_model": arguments.per_model, "test_samples": evaluation["samples"],
            "test_accuracy_raw": evaluation["scores"][raw]["accuracy"],
            "test_accuracy_calibrated": evaluation["scores"][calibrated]["accuracy"],
            "test_ece_calibrated": evaluation["scores"][calibrated]["ece"],
            "temperature": Bundle.load(bundle).temperature,
            "confusion_matrix": evaluation["confusion_matrix"], "test_scores": evaluation["scores"],
            "training_seconds": trained}


if __name__ == "__main__":
    main()
