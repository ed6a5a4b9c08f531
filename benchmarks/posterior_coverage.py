"""``python -m benchmarks.posterior_coverage [--quick] [--train N] [--held-out M] [--json FILE]``

Is the neural posterior of ``genomics posterior`` calibrated on the designs
the project ships? For each of two designs, one scenario each:

- ``demo``: the built-in ``divergence`` scenario of ``genomics demo``
  (three populations of 20 haplotypes, one 200 kb locus; 7 parameters:
  N_A, N_B, N_C, N_AB, N_ANC, T1, dT, all log-uniform);
- ``perez``: ``examples/perez2022_pilosocereus/model1_splitter.toml``
  (Perez et al. 2022's model 1: 64 haplotypes in 5 populations, 14 loci of
  fixed segregating sites, coalescent units; 4 parameters: root, f1, f2, f3),

it simulates N training replicates (master seed 1) and M held-out
replicates (master seed 2) of the scenario, fits the posterior on the
training ones (``fit_posterior``, nothing held out there), and on the M
held-out ones reports:

- expected coverage of the central 50/80/90/95% credible intervals per
  parameter, its deviation from nominal, and the binomial noise of a
  calibrated posterior's coverage, sqrt(a (1 - a) / M);
- the SBC rank test of ``posterior_checks`` (chi-square on 10 bins, per
  parameter, Bonferroni over the parameters at family-wise level 0.05);
- posterior predictive checks (``genomics.baselines.posterior_predictive``)
  of the first K held-out data sets: per-statistic p-values, the
  distance's tail share and the verdict.

The acceptance check asks for every level of every parameter within 0.03
of nominal. For a calibrated posterior the deviation at level a is noise of
sd sqrt(a (1 - a) / M): 0.016 at a = 0.5 with M = 1,000; M >= 2,500
(sd 0.010) keeps 0.03 at three standard deviations.

    python -m benchmarks.posterior_coverage --quick          # every step on a few replicates (the tests run it)
    python -m benchmarks.posterior_coverage --train 2000 --held-out 1000 --json out.json
    python -m benchmarks.posterior_coverage --designs demo --held-out-seed 2,3,4   # one fit, three held-out sets
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from typing import Any

import numpy

from genomics.baselines import posterior_predictive
from genomics.learning.posterior import PosteriorSettings, fit_posterior
from genomics.learning.posterior_features import simulated_window_statistics
from genomics.learning.quantile_recalibration import MAPS
from genomics.scenario import catalogue
from genomics.simulation.run import load_simulations, simulate
from genomics.simulation.store import simulated_genotypes

HERE = os.path.dirname(os.path.abspath(__file__))
DESIGNS = {"demo": "divergence",
           "perez": os.path.join(HERE, "..", "examples", "perez2022_pilosocereus", "model1_splitter.toml")}
TOLERANCE = 0.03


def coverage_table(report: dict) -> dict:
    """Per parameter and level: coverage, deviation from nominal, the binomial sd; the largest deviation."""
    table, largest = {}, 0.0
    for target, entry in report["targets"].items():
        table[target] = {}
        for level in report["levels"]:
            deviation = entry["coverage"][level] - float(level)
            largest = max(largest, abs(deviation))
            table[target][level] = {"coverage": entry["coverage"][level], "deviation": deviation,
                                    "binomial_sd": entry["coverage_standard_error"][level]}
    return {"by_target": table, "largest_deviation": largest, "within_tolerance": largest <= TOLERANCE}


def sbc_table(report: dict) -> dict:
    """The SBC test's rule and, per parameter, its p-value, verdict and rank counts."""
    return {"test": report["sbc_test"], "by_target": {target: {"p_value": entry["sbc"]["p_value"],
                                                               "uniform": entry["sbc"]["uniform"],
                                                               "counts": entry["sbc"]["counts"]}
                                                      for target, entry in report["targets"].items()}}


def run_design(name: str, scenario_name: str, arguments: argparse.Namespace, work: str) -> list[dict]:
    """Fit the design's posterior once on its training simulations; one result per held-out seed."""
    scenario = catalogue.resolve([scenario_name])[0]
    started = time.perf_counter()
    train = os.path.join(work, f"{name}_train_{arguments.train}")
    simulate([scenario], arguments.train, train, master_seed=1, workers=arguments.workers, progress=False)
    held_out = {}
    for seed in held_out_seeds(arguments.held_out_seed):
        suffix = "" if seed == 2 else f"_seed{seed}"  # seed 2: the folders of earlier runs
        held_out[seed] = os.path.join(work, f"{name}_held_out_{arguments.held_out}{suffix}")
        simulate([scenario], arguments.held_out, held_out[seed], master_seed=seed, workers=arguments.workers,
                 progress=False)
    simulated = time.perf_counter()
    settings = PosteriorSettings(head=arguments.head, epochs=arguments.epochs, patience=arguments.patience,
                                 hidden=arguments.hidden, validation_fraction=arguments.validation_fraction,
                                 recalibration_fraction=arguments.recalibration_fraction)
    estimator = fit_posterior(train, settings=settings, held_out_fraction=0.0)
    trained = time.perf_counter()
    results, fitting = [], {"simulate": simulated - started, "train": trained - simulated}
    for seed, folder in held_out.items():
        result = assess_design(name, scenario, estimator, folder, arguments)
        result["held_out_seed"] = seed
        result["seconds"] = {**fitting, **result["seconds"]}
        results.append(result)
        fitting = {"simulate": 0.0, "train": 0.0}  # later sets: simulated with the first, the same fit
    return results


def held_out_seeds(text: str | int) -> list[int]:
    """``--held-out-seed``: one master seed or several, comma-separated (each an independent held-out set)."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    seeds = [int(part) for part in parts if part.isdigit()]
    if not seeds or len(seeds) != len(parts) or any(seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError(f"--held-out-seed: distinct whole numbers >= 0, comma-separated; got {text!r}")
    return seeds


def assess_design(name: str, scenario: Any, estimator: Any, folder: str, arguments: argparse.Namespace) -> dict:
    """Coverage, SBC (raw and every map) and predictive checks of a fitted posterior on one held-out folder."""
    started = time.perf_counter()
    held = load_simulations(folder)
    indices = numpy.arange(len(held.labels))
    windows = simulated_window_statistics(held, indices)
    values = estimator.space.values([held.parameters[i] for i in indices])
    report = estimator.assess(windows, values, draws=arguments.draws, bins=10, seed=0)
    raw = estimator.assess(windows, values, draws=arguments.draws, bins=10, seed=0, recalibrated=False)
    maps, default = {}, estimator.recalibration
    for method in MAPS if default is not None else ():  # each map fitted on the same draws as the default one
        estimator.recalibration = estimator.fit_recalibration(*estimator.recalibration_data, method,
                                                              PosteriorSettings.seed)
        mapped = estimator.assess(windows, values, draws=arguments.draws, bins=10, seed=0)
        maps[method] = {"recalibration": estimator.recalibration.to_dict(), "coverage": coverage_table(mapped),
                        "sbc": sbc_table(mapped)}
    estimator.recalibration = default
    validation = estimator.assess(*estimator.validation_data, draws=arguments.draws, bins=10, seed=0,
                                  recalibrated=False)  # early stopping's split, scored like the held-out
    mapped_on = estimator.assess(*estimator.recalibration_data, draws=arguments.draws, bins=10, seed=0,
                                 recalibrated=False)  # what the maps were fitted on (the validation split or not)
    assessed = time.perf_counter()
    checks = []
    for i in range(min(arguments.predictive_sets, len(indices))):
        result = posterior_predictive.check_data_set(estimator, scenario, simulated_genotypes(held, i),
                                                     arguments.predictive, seed=i,
                                                     reference=estimator.reference_statistics)
        checks.append({"held_out_replicate": i, "reproduced": result["reproduced"], "flagged": result["flagged"],
                       "smallest_p_value": float(numpy.nanmin([row["p_value"] for row in result["statistics"]])),
                       "p_values": {row["statistic"]: row["p_value"] for row in result["statistics"]},
                       "predictive_tail_share": result["predictive_distance"]["tail_share"],
                       "prior_predictive_tail_share": result["prior_predictive_distance"]["tail_share"]})
    return {"design": name, "scenario": scenario.name, "targets": estimator.space.targets,
            "train": arguments.train, "held_out": arguments.held_out, "epochs_run": len(estimator.history["loss"]),
            "recalibration": estimator.recalibration and estimator.recalibration.to_dict(),
            "recalibration_split": estimator.recalibration_split,
            "split_sizes": {name: len(part) for name, part in estimator.split_indices.items()},
            "coverage": coverage_table(report), "sbc": sbc_table(report),
            "coverage_raw": coverage_table(raw), "sbc_raw": sbc_table(raw), "maps": maps,
            "validation_raw": {"simulations": len(estimator.validation_data[1]),
                               "coverage": coverage_table(validation), "sbc": sbc_table(validation)},
            "recalibration_raw": {"simulations": len(estimator.recalibration_data[1]),
                                  "coverage": coverage_table(mapped_on), "sbc": sbc_table(mapped_on)},
            "predictive": checks, "seconds": {"assess": assessed - started,
                                              "predictive": time.perf_counter() - assessed}}


def summary_of(result: dict) -> dict:
    """Per posterior (raw, each map): the largest coverage deviation and each target's SBC p; the predictive
    checks' verdicts."""
    scored = {"raw": (result["coverage_raw"], result["sbc_raw"])}
    scored.update({method: (entry["coverage"], entry["sbc"]) for method, entry in result.get("maps", {}).items()})
    return {"largest_deviation": {name: coverage["largest_deviation"] for name, (coverage, _) in scored.items()},
            "sbc_p": {name: {target: row["p_value"] for target, row in sbc["by_target"].items()}
                      for name, (_, sbc) in scored.items()},
            "sbc_threshold": result["sbc"]["test"]["threshold"],
            "predictive_reproduced": [check["reproduced"] for check in result["predictive"]]}


def describe(result: dict) -> str:
    lines = [f"\n{result['design']} ({result['scenario']}): {result['train']} training and {result['held_out']} "
             f"held-out replicates (master seed {result['held_out_seed']}), {result['epochs_run']} epochs"]
    if result.get("recalibration"):
        lines.append("the network's raw posterior:")
        lines += coverage_lines(result["coverage_raw"], result["sbc_raw"], result["held_out"])
        for method, entry in result.get("maps", {}).items():
            where = (result.get("recalibration_split") or {}).get("split", "validation")
            lines.append(f"recalibrated by the {method} map on {entry['recalibration']['simulations']} {where} "
                         f"replicates (fitted: {entry['recalibration']['method']}):")
            lines += coverage_lines(entry["coverage"], entry["sbc"], result["held_out"])
        lines.append(f"the recalibrated posterior (what genomics posterior reports: "
                     f"{result['recalibration']['method']}):")
    lines += coverage_lines(result["coverage"], result["sbc"], result["held_out"])
    if result.get("validation_raw"):
        lines.append(f"the raw posterior on the {result['validation_raw']['simulations']} validation replicates:")
        lines += coverage_lines(result["validation_raw"]["coverage"], result["validation_raw"]["sbc"],
                                result["validation_raw"]["simulations"])
    if (result.get("recalibration_split") or {}).get("split") == "recalibration":
        lines.append(f"the raw posterior on the {result['recalibration_raw']['simulations']} recalibration replicates:")
        lines += coverage_lines(result["recalibration_raw"]["coverage"], result["recalibration_raw"]["sbc"],
                                result["recalibration_raw"]["simulations"])
    for check in result["predictive"]:
        lines.append(f"posterior predictive check of held-out replicate {check['held_out_replicate']}: "
                     f"{'reproduced' if check['reproduced'] else 'NOT reproduced'}, smallest p "
                     f"{check['smallest_p_value']:.3f}, flagged: {', '.join(check['flagged']) or 'none'}, "
                     f"tail shares {check['predictive_tail_share']:.2f} (replicates), "
                     f"{check['prior_predictive_tail_share']:.2f} (simulations)")
    seconds = result["seconds"]
    lines.append("seconds: " + ", ".join(f"{key} {value:.0f}" for key, value in seconds.items()))
    return "\n".join(lines)


def coverage_lines(coverage: dict, sbc: dict, held_out: int) -> list[str]:
    """The coverage table (per parameter and level, with the deviation) and the SBC verdicts, as lines."""
    levels = list(next(iter(coverage["by_target"].values())))
    lines = ["parameter".ljust(12) + "".join(f"cover {float(level):.0%} (dev)".rjust(20) for level in levels)
             + "   SBC p  ranks"]
    for target, row in coverage["by_target"].items():
        lines.append(target[:11].ljust(12) + "".join(f"{row[level]['coverage']:.3f} ({row[level]['deviation']:+.3f})"
                                                      .rjust(20) for level in levels)
                     + f"{sbc['by_target'][target]['p_value']:8.3f}  "
                     + ("uniform" if sbc["by_target"][target]["uniform"] else "NOT uniform"))
    sds = "  ".join(f"{float(level):.0%}: {math.sqrt(float(level) * (1 - float(level)) / held_out):.3f}"
                    for level in levels)
    lines.append(f"binomial sd of a calibrated coverage: {sds}")
    verdict = "within" if coverage["within_tolerance"] else "NOT within"
    lines.append(f"largest deviation {coverage['largest_deviation']:.3f}: {verdict} {TOLERANCE}; "
                 f"SBC: {sbc['test']['rule']}")
    return lines


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few replicates and epochs: checks every step")
    parser.add_argument("--designs", default="demo,perez", help="comma-separated: demo, perez")
    parser.add_argument("--train", type=int, default=2000, help="training replicates per design")
    parser.add_argument("--held-out", type=int, default=1000, help="held-out replicates per design")
    parser.add_argument("--held-out-seed", default="2",
                        help="master seed of the held-out simulations (another seed: another independent set); "
                             "several, comma-separated: one fit assessed on each set")
    parser.add_argument("--draws", type=int, default=999, help="posterior draws per held-out replicate")
    parser.add_argument("--predictive", type=int, default=100, help="replicates per posterior predictive check")
    parser.add_argument("--predictive-sets", type=int, default=3, help="held-out data sets checked")
    parser.add_argument("--head", default="mixture", choices=("mixture", "flow"))
    parser.add_argument("--epochs", type=int, default=PosteriorSettings.epochs)
    parser.add_argument("--patience", type=int, default=PosteriorSettings.patience)
    parser.add_argument("--hidden", type=int, default=PosteriorSettings.hidden)
    parser.add_argument("--validation-fraction", type=float, default=PosteriorSettings.validation_fraction,
                        help="share of the training replicates kept for early stopping (and the map where no "
                             "recalibration split is held out)")
    parser.add_argument("--recalibration-fraction", type=float, default=None,
                        help="share of the training replicates held out for the map alone (0: the validation "
                             "split; default: as genomics posterior)")
    parser.add_argument("--workers", type=int, default=1, help="simulation processes")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--work", help="keep the simulations in this folder (and resume or reuse them there); "
                                       "default: a temporary folder, removed at the end")
    arguments = parser.parse_args(argv)
    try:
        held_out_seeds(arguments.held_out_seed)
    except ValueError as error:
        parser.error(str(error))
    if arguments.quick:
        arguments.train, arguments.held_out, arguments.draws = 60, 20, 99
        arguments.predictive, arguments.predictive_sets, arguments.epochs, arguments.hidden = 20, 1, 3, 8
    results = {"arguments": vars(arguments), "designs": {}}
    with tempfile.TemporaryDirectory(prefix="posterior_coverage_") as temporary:
        work = arguments.work or temporary
        for name in [text.strip() for text in arguments.designs.split(",")]:
            if name not in DESIGNS:
                parser.error(f"--designs: unknown design {name!r}; known: {', '.join(DESIGNS)}")
            for number, result in enumerate(run_design(name, DESIGNS[name], arguments, work)):
                key = name if number == 0 else f"{name}, held-out seed {result['held_out_seed']}"
                results["designs"][key] = {**result, "summary": summary_of(result)}
                print(describe(result), flush=True)
    if arguments.json:
        with open(arguments.json, "w") as handle:
            json.dump(results, handle, indent=1)
    return results


if __name__ == "__main__":
    main()
