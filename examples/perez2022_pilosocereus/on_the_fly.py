"""Pilosocereus, trained on fresh simulations every epoch: test accuracy against the simulations used.

The learning curve of ``run.py`` trains on a fixed set of N simulations per
model, seen for up to 60 epochs. Here every epoch draws new replicates of
the 7 models (``genomics.learning.batches.onthefly.FreshSimulations``: ``--per-epoch`` per
model, simulated in worker processes while the previous epoch trains), so
no replicate is seen twice, and the test accuracy is measured on the same
7,000 fresh test simulations as ``run.py`` (``OUT/test``, master seed 2) each
time the simulations used reach a checkpoint. The network, the encoding and
the batch size are ``run.py``'s for the chosen network; the learning rate
stays at Adam's 0.001, with no early stopping (there is nothing to overfit).

    python examples/perez2022_pilosocereus/on_the_fly.py --out perez2022_out   # after run.py (about 25 min)
    python examples/perez2022_pilosocereus/on_the_fly.py --quick --out /tmp/q   # every step, a minute

Figures go to ``OUT/on_the_fly.json``, printed beside the fixed-set curve of
``efficiency-2026-12-02.json`` for the same network.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import numpy

import minidl
from genomics.learning import networks as models
from genomics import pipeline
from genomics.encoding.encoder import Encoder
from genomics.learning.batches.onthefly import FreshSimulations
from genomics.scenario.scenario import load_toml
from genomics.simulation.run import load_simulations, simulate

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sorted(glob.glob(os.path.join(HERE, "model*.toml")))
#: run.py's encoding (Perez's preprocessing) as Encoder settings
ENCODING = {"coding": "zero_one", "polarisation": "major_minor", "row_sort": "none", "distance_channel": False}
BATCH_SIZE = {"exchangeable": 64}


def fixed_set_curve(network: str) -> dict:
    """simulations per model -> test accuracy of the fixed-set runs recorded in efficiency-2026-12-02.json."""
    path = os.path.join(HERE, "efficiency-2026-12-02.json")
    if not os.path.exists(path):
        return {}
    runs = json.load(open(path))["runs"]
    return {run["simulations_per_model"]: run["test_accuracy"] for run in runs if run["network"] == network}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="perez2022_out", help="run.py's output folder (its test folder is used)")
    parser.add_argument("--network", default="exchangeable")
    parser.add_argument("--per-epoch", type=int, default=500, help="fresh simulations per model per epoch")
    parser.add_argument("--checkpoints", default="1000,2500,5000,10000",
                        help="simulations per model at which the test accuracy is measured")
    parser.add_argument("--workers", type=int, default=2, help="simulation processes")
    parser.add_argument("--seed", type=int, default=1, help="master seed of the fresh simulations")
    parser.add_argument("--quick", action="store_true", help="5 simulations per model per epoch, 2 epochs")
    arguments = parser.parse_args(argv)
    per_epoch, checkpoints = arguments.per_epoch, sorted(int(c) for c in arguments.checkpoints.split(","))
    if arguments.quick:
        per_epoch, checkpoints = 5, [5, 10]
    if any(c % per_epoch for c in checkpoints):
        parser.error(f"every checkpoint must be a multiple of --per-epoch {per_epoch}")
    test_folder = os.path.join(arguments.out, "test")
    if not os.path.exists(os.path.join(test_folder, "manifest.json")):  # run.py's test folder, or a new one
        scenarios = [s for path in MODELS for s in load_toml(path)]
        simulate(scenarios, 5 if arguments.quick else 1000, test_folder, master_seed=2,
                 shard_size=500, workers=arguments.workers, progress=False)
    test = load_simulations(test_folder)
    encoder = Encoder.for_design(test.design, **ENCODING)
    images = pipeline.encode_data(test, encoder)
    test_inputs = models.model_input(images, arguments.network)
    specs = [entry["spec"] for entry in test.manifest["scenarios"]]
    batch_size = BATCH_SIZE.get(arguments.network, 250)
    minidl.random.seed(0)
    model = models.build(arguments.network, images.shape[1:], len(specs),
                         population_sizes=test.design.haplotypes_per_population)
    model.compile(optimizer=minidl.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    fresh = FreshSimulations(specs, per_epoch, encoder, arguments.network, batch_size, master_seed=arguments.seed,
                             seed=0, workers=arguments.workers)
    rows, began = [], time.perf_counter()
    try:
        for epoch in range(max(checkpoints) // per_epoch):
            history = model.fit(fresh, epochs=1, shuffle=False, verbose=0)
            used = (epoch + 1) * per_epoch
            print(f"epoch {epoch + 1}: {used} simulations per model, training loss {history.history['loss'][-1]:.4f} "
                  f"({time.perf_counter() - began:.0f} s)", flush=True)
            if used in checkpoints:
                logits = models.logits(model, test_inputs)
                accuracy = float(numpy.mean(logits.argmax(axis=1) == test.labels))
                rows.append({"simulations_per_model": used, "epochs": epoch + 1, "test_accuracy": accuracy,
                             "seconds": time.perf_counter() - began})
                print(f"  test accuracy on {len(test.labels)} fresh simulations: {accuracy:.4f}", flush=True)
    finally:
        fresh.close()
    fixed = fixed_set_curve(arguments.network)
    print(f"\n{arguments.network}: test accuracy against training simulations per model")
    print("simulations per model   on the fly (each seen once)   fixed set (up to 60 epochs)")
    for row in rows:
        n = row["simulations_per_model"]
        print(f"{n:>21,}   {row['test_accuracy']:>27.4f}   {fixed.get(n, float('nan')):>27.4f}")
    result = {"network": arguments.network, "per_epoch": per_epoch, "batch_size": batch_size,
              "test_replicates": int(len(test.labels)), "rows": rows, "fixed_set": fixed,
              "simulation_workers": arguments.workers, "seed": arguments.seed}
    with open(os.path.join(arguments.out, "on_the_fly.json"), "w") as handle:
        json.dump(result, handle, indent=1)
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
