"""Perez et al. 2022, Pilosocereus aurisetus: species delimitation among 7 models with a CNN, end to end.

Simulates the 7 models (scenario files in this folder, translated from the
published ms commands with ``genomics scenario from-ms``), trains Perez's
network on 1,000 / 2,500 / 10,000 simulations per model (Perez's 75% train /
25% validation), calibrates each on 1,000 fresh simulations per model
(temperature scaling), evaluates it on 1,000 other fresh simulations per
model, predicts the empirical matrix ``Input_Piloso.txt`` (64 haplotypes x
195 SNPs of 14 loci) and, for the largest network, compares it with ABC
(rejection, mnlogistic, neuralnet on per-locus statistics, PCA to 99% of
the variance, tolerance 0.2 as Perez) and hybrid ABC on 100 test
replicates per model. Every step is a ``genomics`` command; the figures go
to ``OUT/results.json`` and are printed beside Perez's.

    python examples/perez2022_pilosocereus/run.py                 # the full reproduction (hours on 2 cores)
    python examples/perez2022_pilosocereus/run.py --quick          # every step on a few simulations (a minute)

``--networks`` trains other networks on the same simulations, for the
learning curve of the efficiency study: ``exchangeable`` (invariant to the
order of the haplotypes within each population), ``perez+permute`` (Perez's
network with the haplotypes shuffled within populations at every step), and
any preset ``NAME`` or ``NAME+permute``; ``--ensemble K`` trains K of each.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

from genomics.cli.main import main as genomics

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = sorted(glob.glob(os.path.join(HERE, "model*.toml")))
MATRIX = os.path.join(HERE, "Input_Piloso.txt")
POPULATIONS = "JFE:8,ITAPMN:12,BOVEDBODA:20,INAMEN:16,COC:8"  # the matrix's row blocks, as in the ms commands
#: Perez et al. 2022's test accuracy on 1,000 fresh simulations per model, by training simulations per model.
PUBLISHED = {1000: 0.879, 2500: 0.892, 10000: 0.930}
#: Perez et al. 2022's ABC (neural-net posterior, tolerance 0.2, 100,000 simulations per model): mean of the
#: diagonal of their cv4postpr confusion matrix (100 pseudo-observed data sets per model).
PUBLISHED_ABC = (56 + 55 + 97 + 90 + 96 + 76 + 54) / 700
#: Perez's preprocessing: 0/1 alleles, the minor allele coded 1 per site, haplotypes in file order, no positions.
ENCODING = ["--coding", "zero_one", "--polarisation", "major_minor", "--row-sort", "none", "--no-distance-channel"]
#: Perez's batch of 250, except for the exchangeable network: its validation accuracy sits on a plateau near
#: 0.75 (models 1/6 and 2/7 not yet told apart) until about epoch 37 with batches of 250 and epoch 17 with 64
#: (2,500 simulations per model, 2026-12-02), at about the same time per epoch.
BATCH_SIZE = {"exchangeable": 64}


def run(command: list[str]) -> None:
    print("\n$ genomics " + " ".join(command), flush=True)
    if genomics(command) != 0:
        sys.exit(f"genomics {command[0]} failed")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="perez2022_out", help="folder for simulations, models and results")
    parser.add_argument("--quick", action="store_true", help="30 simulations per model, 1 epoch: checks every step")
    parser.add_argument("--curve", default="1000,2500,10000", help="training simulations per model to compare")
    parser.add_argument("--test-replicates", type=int, default=1000, help="fresh test simulations per model")
    parser.add_argument("--train-replicates", type=int, default=None,
                        help="training simulations per model in OUT/train (default: the largest point of the curve; "
                             "more lets a later curve reuse the folder)")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--networks", default="perez",
                        help="comma-separated networks for the curve: perez, exchangeable, perez+permute, ...")
    parser.add_argument("--ensemble", type=int, default=1, help="networks per ensemble (their probabilities averaged)")
    parser.add_argument("--no-compare", action="store_true", help="skip the comparison with ABC")
    arguments = parser.parse_args(argv)
    curve = [30] if arguments.quick else [int(n) for n in arguments.curve.split(",")]
    tests, epochs = (30, 1) if arguments.quick else (arguments.test_replicates, arguments.epochs)
    out = arguments.out
    os.makedirs(out, exist_ok=True)
    workers = [] if arguments.workers is None else ["--workers", str(arguments.workers)]
    start = time.perf_counter()
    simulations = max(curve) if arguments.quick or not arguments.train_replicates else arguments.train_replicates
    if simulations < max(curve):
        parser.error(f"--train-replicates {simulations} is below the curve's largest point {max(curve)}")
    run(["simulate", *MODELS, "--replicates", str(simulations), "--out", os.path.join(out, "train"),
         "--simulation-seed", "1", "--shard-size", "500", *workers])
    run(["simulate", *MODELS, "--replicates", str(tests), "--out", os.path.join(out, "test"),
         "--simulation-seed", "2", "--shard-size", "500", *workers])
    run(["simulate", *MODELS, "--replicates", str(tests), "--out", os.path.join(out, "calibration"),
         "--simulation-seed", "3", "--shard-size", "500", *workers])
    simulated = time.perf_counter() - start
    results = {"published_test_accuracy": PUBLISHED, "runs": []}
    networks = [name.strip() for name in arguments.networks.split(",") if name.strip()]
    for network in networks:
        for per_model in curve:
            results["runs"].append(train_and_test(out, network, per_model, epochs, arguments.ensemble))
    per_scenario = "3" if arguments.quick else "100"
    if not arguments.no_compare:
        largest = os.path.join(out, run_name(networks[0], max(curve), arguments.ensemble), "calibrated.npz")
        began = time.perf_counter()
        run(["compare", os.path.join(out, "train"), largest, "--test-simulations", os.path.join(out, "test"),
             "--pca", "0.99", "--tolerance", "0.2", "--per-scenario", per_scenario,
             "--out", os.path.join(out, "compare.json")])
        compared = json.load(open(os.path.join(out, "compare.json")))
        results["comparison"] = {"network": networks[0], "simulations_per_model": max(curve),
                                 "seconds": time.perf_counter() - began,
                                 "accuracy": {name: entry["accuracy"] for name, entry in compared["results"].items()},
                                 "budgets": compared["budgets"], "notes": compared["notes"]}
    results["simulation_seconds"] = simulated
    results["total_seconds"] = time.perf_counter() - start
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print("\nnetwork               simulations per model   test accuracy   ECE (calibrated)   Perez et al. 2022   "
          "training (min)   empirical data -> model (calibrated probability)")
    for entry in results["runs"]:
        n = entry["simulations_per_model"]
        published = f"{PUBLISHED[n]:.3f}" if n in PUBLISHED else "-"
        best = entry["empirical_model"]
        print(f"{entry['network']:<21} {n:>21,}   {entry['test_accuracy']:>13.3f}   {entry['test_ece_calibrated']:>16.4f}   "
              f"{published:>17}   {entry['training_seconds'] / 60:>14.1f}   "
              f"{best} ({entry['empirical_probabilities'][best]:.3f})")
    if "comparison" in results:
        print(f"\nthe same {per_scenario} test replicates per model, {max(curve)} training simulations per model:")
        for name, accuracy in results["comparison"]["accuracy"].items():
            print(f"  {name:<28} {accuracy:.3f}")
    print(f"\nPerez et al. 2022: model 1 (splitter) for the empirical data, softmax 0.999; ABC neuralnet at tolerance 0.2 "
          f"with 100,000 simulations per model: {PUBLISHED_ABC:.3f}. Results in {out}/results.json")
    return results


def run_name(network: str, per_model: int, ensemble: int) -> str:
    """The folder of one training run: cnn_N for Perez's network (as before), else the network's name."""
    name = "cnn" if network == "perez" else network.replace("+", "_")
    return f"{name}_{per_model}" + (f"_ensemble{ensemble}" if ensemble > 1 else "")


def train_and_test(out: str, network: str, per_model: int, epochs: int, ensemble: int) -> dict:
    """Train ``network`` (``NAME`` or ``NAME+permute``) on the first ``per_model`` simulations of each model,
    calibrate it on the calibration folder, evaluate it on the test folder and predict the empirical matrix."""
    run_dir = os.path.join(out, run_name(network, per_model, ensemble))
    kind, _, augment = network.partition("+")
    began = time.perf_counter()
    # Perez: Adam, batch 250 (see BATCH_SIZE), 75% train / 25% validation, the epoch of best validation accuracy kept, the
    # learning rate x0.2 after 20 epochs without improvement. A 1% test split is held out as a check; the
    # figures reported are on the fresh test simulations.
    run(["train", os.path.join(out, "train"), "--out", run_dir, "--network", kind, "--epochs", str(epochs),
         "--batch-size", str(BATCH_SIZE.get(kind, 250)), "--validation-fraction", "0.25", "--test-fraction", "0.01", "--monitor",
         "val_accuracy", "--patience", "15", "--reduce-lr-patience", "20", "--calibration-fraction", "0",
         "--replicates-per-scenario", str(per_model), "--ensemble", str(ensemble),
         *(["--augment", augment] if augment else []), *ENCODING])
    trained = time.perf_counter() - began
    bundle = os.path.join(run_dir, "calibrated.npz")
    run(["calibrate", os.path.join(run_dir, "model.npz"), os.path.join(out, "calibration"), "--out", bundle])
    run(["evaluate", bundle, os.path.join(out, "test"), "--out", os.path.join(run_dir, "test_evaluation.json")])
    run(["predict", bundle, "--matrix", MATRIX, "--populations", POPULATIONS,
         "--out", os.path.join(run_dir, "empirical.json")])
    evaluation = json.load(open(os.path.join(run_dir, "test_evaluation.json")))
    empirical = json.load(open(os.path.join(run_dir, "empirical.json")))
    output = empirical["data_sets"][0]["values"]
    calibrated = [name for name in evaluation["scores"] if name.startswith("calibrated")][0]
    return {
        "network": network, "ensemble": ensemble, "simulations_per_model": per_model,
        "test_accuracy": evaluation["accuracy"], "test_samples": evaluation["samples"],
        "confusion_matrix": evaluation["confusion_matrix"], "test_scores": evaluation["scores"],
        "test_ece_calibrated": evaluation["scores"][calibrated]["ece"],
        "empirical_probabilities": dict(zip(empirical["scenario_names"], output)),
        "empirical_model": empirical["scenario_names"][output.index(max(output))],
        "training_seconds": trained,
    }


if __name__ == "__main__":
    main()
