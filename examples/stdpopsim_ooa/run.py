"""stdpopsim's OutOfAfrica_3G09 with priors on its split times: model choice, a posterior, and data made by stdpopsim.

Three scenario files of this folder, each a stdpopsim catalogue model on a
generic 100 kb contig, sampled in YRI, CEU and CHB (5 diploids each):

- ``ooa_split_times.toml``: HomSap/OutOfAfrica_3G09 (Gutenkunst et al. 2009), log-uniform priors on
  T_1 (the CEU-CHB split, catalogue 848 generations) and T_2 (out of Africa, 5600);
- ``ooa_no_eurasian_migration.toml``: the same with no CEU-CHB migration after their split;
- ``ooa_archaic_admixture.toml``: HomSap/OutOfAfricaArchaicAdmixture_5R19 (Ragsdale and Gravel 2019),
  priors on its two split times.

Every step is a ``genomics`` command:

(a) ``genomics simulate`` the three models (training, calibration and test folders), ``genomics train`` a
    model-choice network, ``genomics calibrate`` it, ``genomics evaluate`` it on the test folder;
(b) ``genomics posterior`` of the 3G09 scenario's T_1, T_2 and the expression "T_2 - T_1" (the time between
    the two splits) on its own simulations, with expected coverage and SBC on held-out replicates;
(c) data NOT made by this project: stdpopsim's own engine
    (``stdpopsim.get_engine("msprime").simulate``) at the catalogue's values, ``--stdpopsim-windows``
    independent 100 kb contigs written by tskit into one VCF (one contig each, individuals named
    ``YRI_0``, ... and a population map from the tree sequence); ``genomics predict`` and the posterior on
    it, and whether the catalogue's values fall inside each window's 90% credible interval.

With ``--loci N`` every replicate is N unlinked 100 kb contigs (copies of the scenario files with a
``[[design.loci]]`` of count N, in OUT/scenarios) and stdpopsim's VCF is one data set of N contigs: the
posterior and the prediction are then of the whole data set, not of each window.

    python examples/stdpopsim_ooa/run.py --per-model 1000          # a moderate run
    python examples/stdpopsim_ooa/run.py --quick                   # every step, tiny (checks that it runs)
    python examples/stdpopsim_ooa/run.py --loci 10 --per-model 1000  # whole data sets of 10 contigs

``--quick`` shrinks everything and says so; its figures are those of untrained networks and mean nothing.
The figures go to ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time

import numpy

from genomics.bundle import Bundle
from genomics.cli.main import main as genomics
from genomics.learning.posterior import PosteriorEstimator

HERE = os.path.dirname(os.path.abspath(__file__))
#: the 3G09 scenario first: its posterior is the one estimated
MODELS = [os.path.join(HERE, name) for name in
          ("ooa_split_times.toml", "ooa_no_eurasian_migration.toml", "ooa_archaic_admixture.toml")]
SCENARIO = "ooa_3g09"
TARGETS = ["T_1", "T_2", "T_2 - T_1"]
CATALOGUE = {"T_1": 848.0, "T_2": 5600.0, "T_2 - T_1": 5600.0 - 848.0}  # generations, stdpopsim's HomSap 3G09
SAMPLES = {"YRI": 5, "CEU": 5, "CHB": 5}  # diploid individuals, as the scenario files' design
LENGTH = 100_000  # bases per contig: the scenario files' length
QUICK = {"per_model": 16, "calibration": 6, "test": 6, "posterior_simulations": 48, "epochs": 1,
         "posterior_epochs": 2, "stdpopsim_windows": 2}


def run(command: list[str]) -> None:
    print("\n$ genomics " + " ".join(f'"{word}"' if " " in word else word for word in command), flush=True)
    if genomics(command) != 0:
        sys.exit(f"genomics {command[0]} failed")


def scenario_files(out: str, loci: int) -> list[str]:
    """The scenario files as committed (``loci`` 1), or copies whose design is ``loci`` unlinked contigs."""
    if loci == 1:
        return MODELS
    folder = os.path.join(out, "scenarios")
    os.makedirs(folder, exist_ok=True)
    copies = []
    for path in MODELS:
        with open(path) as source:
            text = source.read()
        if not text.rstrip().endswith("samples = [5, 5, 5]"):
            sys.exit(f"{path}: expected the [design] table to end the file")
        copy = os.path.join(folder, os.path.basename(path))
        with open(copy, "w") as target:
            target.write(text.rstrip() + f'\n\n[[design.loci]]\nname = "contig"\ncount = {loci}\n')
        copies.append(copy)
    return copies


def write_stdpopsim_vcf(out: str, windows: int, seed: int) -> tuple[str, str]:
    """``windows`` independent 100 kb contigs simulated by stdpopsim's msprime engine at the catalogue's values of
    HomSap/OutOfAfrica_3G09 (the model's mutation rate, the species' mean recombination rate), written by tskit
    into one VCF (contigs "1", "2", ...; REF the ancestral allele; positions 1-based) and a population map.

    Returns (VCF path, population-map path).
    """
    import stdpopsim  # noqa: PLC0415 - the example's one optional dependency

    species = stdpopsim.get_species("HomSap")
    model = species.get_demographic_model("OutOfAfrica_3G09")
    contig = species.get_contig(length=LENGTH, mutation_rate=model.mutation_rate)
    engine = stdpopsim.get_engine("msprime")
    header, bodies, names, populations = [], [], [], []
    for window in range(windows):
        trees = engine.simulate(model, contig, SAMPLES, seed=seed + window)
        population_of = [trees.population(individual.population).metadata["name"]
                         for individual in trees.individuals()]
        if not names:
            names = [f"{population}_{i}" for i, population in enumerate(population_of)]
            populations = population_of
        path = os.path.join(out, f"contig_{window + 1}.vcf")
        with open(path, "w") as handle:
            trees.write_vcf(handle, contig_id=str(window + 1), individual_names=names,
                            position_transform=lambda x: numpy.asarray(x, dtype=numpy.int64) + 1)
        with open(path) as handle:
            lines = handle.readlines()
        os.remove(path)
        header += [line for line in lines if line.startswith("##contig")]
        if window == 0:
            start = [line for line in lines if line.startswith("##") and not line.startswith("##contig")]
            column_names = [line for line in lines if line.startswith("#CHROM")]
        bodies += [line for line in lines if not line.startswith("#")]
    vcf_path, popmap_path = os.path.join(out, "stdpopsim_3g09.vcf"), os.path.join(out, "stdpopsim_3g09_populations.txt")
    with open(vcf_path, "w") as handle:
        handle.writelines(start + header + column_names + bodies)
    with open(popmap_path, "w") as handle:
        handle.writelines(f"{name}\t{population}\n" for name, population in zip(names, populations))
    return vcf_path, popmap_path


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="stdpopsim_ooa_out", help="folder for simulations, models and results")
    parser.add_argument("--quick", action="store_true", help="every step, tiny: its figures mean nothing")
    parser.add_argument("--per-model", type=int, default=1000, help="training simulations per model")
    parser.add_argument("--calibration-per-model", type=int, default=300)
    parser.add_argument("--test-per-model", type=int, default=300)
    parser.add_argument("--posterior-simulations", type=int, default=4000,
                        help="simulations of the 3G09 scenario the posterior is fitted on (10%% held out)")
    parser.add_argument("--epochs", type=int, default=30, help="most epochs of the model-choice network")
    parser.add_argument("--posterior-epochs", type=int, default=200, help="most epochs of the posterior network")
    parser.add_argument("--network", default=None, help="genomics train --network (default: genomics chooses from "
                        "the encoding: cnn1d for one contig, cnn2d over the joint spectrum for unlinked --loci)")
    parser.add_argument("--stdpopsim-windows", type=int, default=20,
                        help="independent 100 kb contigs simulated by stdpopsim itself (the external data set)")
    parser.add_argument("--stdpopsim-seed", type=int, default=2009)
    parser.add_argument("--loci", type=int, default=1, help="unlinked 100 kb contigs per replicate (default 1: the "
                        "files as committed); above 1, stdpopsim's VCF is one data set of that many contigs")
    parser.add_argument("--workers", type=int, default=None, help="simulation processes (default: all cores)")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.per_model, arguments.epochs = QUICK["per_model"], QUICK["epochs"]
        arguments.calibration_per_model, arguments.test_per_model = QUICK["calibration"], QUICK["test"]
        arguments.posterior_simulations, arguments.posterior_epochs = (QUICK["posterior_simulations"],
                                                                        QUICK["posterior_epochs"])
        arguments.stdpopsim_windows = QUICK["stdpopsim_windows"]
    if arguments.loci > 1:
        arguments.stdpopsim_windows = arguments.loci
    for name in ("per_model", "calibration_per_model", "test_per_model", "epochs", "posterior_epochs",
                 "stdpopsim_windows", "loci"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(arguments, name)}")
    if arguments.per_model < 8:
        parser.error(f"--per-model must be at least 8 (a validation and a test split), got {arguments.per_model}")
    if arguments.posterior_simulations < 40:
        parser.error(f"--posterior-simulations must be at least 40 (20 to train on and 10 held out), got "
                     f"{arguments.posterior_simulations}")
    return arguments


def main(argv: list[str] | None = None) -> dict:
    arguments = parse(argv)
    out = arguments.out
    os.makedirs(out, exist_ok=True)
    if arguments.quick:
        print(f"quick mode: {arguments.per_model} training, {arguments.calibration_per_model} calibration and "
              f"{arguments.test_per_model} test simulations per model, {arguments.posterior_simulations} for the "
              f"posterior, {arguments.epochs} epoch(s): it checks that every step runs; its figures mean nothing")
    workers = [] if arguments.workers is None else ["--workers", str(arguments.workers)]
    began = time.perf_counter()
    models = scenario_files(out, arguments.loci)
    folders = (("train", models, arguments.per_model, 1), ("calibration", models, arguments.calibration_per_model, 2),
               ("test", models, arguments.test_per_model, 3),
               ("posterior_simulations", models[:1], arguments.posterior_simulations, 4))
    for folder, models, replicates, seed in folders:
        run(["simulate", *models, "--replicates", str(replicates), "--out", os.path.join(out, folder),
             "--simulation-seed", str(seed), "--shard-size", "500", "--quiet", *workers])
    results = {"out": out, "quick": arguments.quick, "loci": arguments.loci,
               "simulations_per_model": arguments.per_model,
               "posterior_simulations": arguments.posterior_simulations,
               "simulation_seconds": time.perf_counter() - began}
    results["choice"] = model_choice(out, arguments)
    vcf_path, popmap = write_stdpopsim_vcf(out, arguments.stdpopsim_windows, arguments.stdpopsim_seed)
    results["stdpopsim_data"] = {"vcf": vcf_path, "popmap": popmap, "windows": arguments.stdpopsim_windows,
                                 "seed": arguments.stdpopsim_seed, "catalogue_values": CATALOGUE}
    results["choice"]["stdpopsim_data"] = predict_external(out, vcf_path, popmap)
    results["posterior"] = posterior(out, vcf_path, popmap, arguments)
    results["total_seconds"] = time.perf_counter() - began
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print_summary(results)
    return results


def model_choice(out: str, arguments: argparse.Namespace) -> dict:
    """(a) Train on OUT/train, calibrate on OUT/calibration, evaluate on OUT/test."""
    run_dir = os.path.join(out, "choice")
    began = time.perf_counter()
    network = ["--network", arguments.network] if arguments.network else []
    run(["train", os.path.join(out, "train"), "--out", run_dir, *network,
         "--epochs", str(arguments.epochs), "--validation-fraction", "0.2", "--test-fraction", "0.05",
         "--calibration-fraction", "0", "--patience", "8", "--quiet"])
    trained = time.perf_counter() - began
    bundle = os.path.join(run_dir, "calibrated.npz")
    run(["calibrate", os.path.join(run_dir, "model.npz"), os.path.join(out, "calibration"), "--out", bundle,
         "--quiet"])
    evaluation_path = os.path.join(run_dir, "test_evaluation.json")
    run(["evaluate", bundle, os.path.join(out, "test"), "--out", evaluation_path, "--quiet"])
    with open(evaluation_path) as handle:
        evaluation = json.load(handle)
    calibrated = [name for name in evaluation["scores"] if name.startswith("calibrated")][0]
    return {"network": arguments.network or "chosen by genomics train", "test_samples": evaluation["samples"],
            "scenario_names": evaluation.get("scenario_names"),
            "test_accuracy": evaluation["scores"][calibrated]["accuracy"],
            "test_ece_calibrated": evaluation["scores"][calibrated]["ece"],
            "temperature": Bundle.load(bundle).temperature, "confusion_matrix": evaluation["confusion_matrix"],
            "training_seconds": trained}


def predict_external(out: str, vcf_path: str, popmap: str) -> dict:
    """(c) ``genomics predict`` on stdpopsim's VCF: the mean probability of each scenario and windows won."""
    table = os.path.join(out, "stdpopsim_predictions.csv")
    run(["predict", os.path.join(out, "choice", "calibrated.npz"), "--vcf", vcf_path, "--popmap", popmap,
         "--out", table, "--quiet"])
    with open(table) as handle:
        rows = list(csv.DictReader(handle))
    names = [key for key in rows[0] if key.startswith("ooa_")]
    probabilities = numpy.array([[float(row[name]) for name in names] for row in rows])
    won = numpy.bincount(probabilities.argmax(axis=1), minlength=len(names)) / len(rows)
    return {"windows": len(rows), "mean_probability": dict(zip(names, probabilities.mean(axis=0).tolist())),
            "share_of_windows_won": dict(zip(names, won.tolist())), "table": table}


def posterior(out: str, vcf_path: str, popmap: str, arguments: argparse.Namespace) -> dict:
    """(b) and (c): the 3G09 posterior with its coverage and SBC, and on stdpopsim's VCF, per window."""
    folder = os.path.join(out, "posterior")
    began = time.perf_counter()
    run(["posterior", os.path.join(out, "posterior_simulations"), "--scenario", SCENARIO,
         "--targets", ",".join(TARGETS), "--out", folder, "--epochs", str(arguments.posterior_epochs),
         "--held-out", "0.2" if arguments.quick else "0.1", "--vcf", vcf_path, "--popmap", popmap, "--quiet"])
    seconds = time.perf_counter() - began
    calibration = PosteriorEstimator.load(os.path.join(folder, "posterior.npz")).calibration or {}
    held_out = {target: {"coverage": entry["coverage"], "sbc_p_value": entry["sbc"]["p_value"]}
                for target, entry in calibration.get("targets", {}).items()}
    with open(os.path.join(folder, "posterior.csv")) as handle:
        rows = list(csv.DictReader(handle))
    external = {}
    for target in TARGETS:
        mine = [row for row in rows if row["target"] == target]
        inside = [float(row["low_90"]) <= CATALOGUE[target] <= float(row["high_90"]) for row in mine]
        external[target] = {"catalogue": CATALOGUE[target], "windows": len(mine),
                            "catalogue_inside_90": int(sum(inside)),
                            "median_of_posterior_medians": float(numpy.median([float(r["median"]) for r in mine])),
                            "mean_90_interval": [float(numpy.mean([float(r["low_90"]) for r in mine])),
                                                 float(numpy.mean([float(r["high_90"]) for r in mine]))]}
    return {"targets": TARGETS, "held_out_simulations": calibration.get("simulations", 0), "held_out": held_out,
            "stdpopsim_data": external, "seconds": seconds}


def print_summary(results: dict) -> None:
    choice = results["choice"]
    print(f"\nmodel choice ({choice['network']}, {results['simulations_per_model']:,} training simulations per "
          f"model): calibrated test accuracy {choice['test_accuracy']:.3f} on {choice['test_samples']} test "
          f"simulations (chance {1 / len(MODELS):.3f}), ECE {choice['test_ece_calibrated']:.4f}, "
          f"T = {choice['temperature']:.3f}")
    external = choice["stdpopsim_data"]
    what = f"{external['windows']} windows of 100 kb" if results["loci"] == 1 else \
        f"one data set of {results['loci']} contigs of 100 kb"
    print(f"stdpopsim's own simulations at the catalogue's values ({what}):")
    for name, probability in external["mean_probability"].items():
        won = external["share_of_windows_won"][name]
        print(f"  {name:<34} mean probability {probability:.3f}, share of data sets won {won:.2f}")
    post = results["posterior"]
    print(f"posterior of {', '.join(post['targets'])} in {SCENARIO} ({results['posterior_simulations']:,} "
          f"simulations; {post['held_out_simulations']} held out):")
    for target in post["targets"]:
        check = post["held_out"].get(target)
        coverage = ", ".join(f"{float(level):.0%} {value:.3f}" for level, value in check["coverage"].items()) \
            if check else "(too few held out)"
        data = post["stdpopsim_data"][target]
        print(f"  {target:<10} held-out coverage {coverage}; SBC p = {check['sbc_p_value']:.3g}" if check else
              f"  {target:<10} {coverage}")
        print(f"  {'':<10} stdpopsim data: catalogue {data['catalogue']:g} inside the 90% interval in "
              f"{data['catalogue_inside_90']} of {data['windows']} data sets; median of medians "
              f"{data['median_of_posterior_medians']:.0f}")
    print(f"total {results['total_seconds'] / 60:.1f} min; results in {results.get('out', 'OUT')}/results.json")


if __name__ == "__main__":
    main()
