"""``genomics posterior`` with the model choice (``--scenario all``) and with a saved posterior (``--estimator``).

The joint posterior (``genomics.learning.joint_posterior``) is fitted when
``--scenario all`` is given, or when ``--scenario`` is left out and the
folder holds several scenarios. Its outputs are the single-scenario ones
with a scenario column: posterior.npz (the joint file), calibration_<s>.png
(one per scenario) and calibration_model_averaged.png, and with data
posterior.csv (a row per data set, scenario and target with P(s | data),
then the model-averaged rows) and posterior.json (the same, nested).
``--bundle`` takes P(s | data) from a trained model-choice bundle instead
of the posterior's own classifier.
"""

from __future__ import annotations

import argparse
import csv
import json
import os

import numpy

from genomics.bundle import Bundle
from genomics.cli import report
from genomics.learning import posterior_checks
from genomics.learning.joint_posterior import (ALL, AVERAGED, JointPosterior, describe_averaged, describe_classifier,
                                               fit_joint_posterior, joint_calibration, joint_splits, load_posterior)
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings
from genomics.pipeline.encode import encode_genotypes
from genomics.pipeline.outputs import model_outputs
from genomics.progress import reporting
from genomics.simulation.run import load_simulations
from genomics.simulation.store import simulated_genotypes


def is_joint(scenario: str | None, scenario_names: list[str]) -> bool:
    """Whether ``--scenario`` asks for the joint posterior: ``all``, or left out on a folder of several."""
    return scenario == ALL or (scenario is None and len(scenario_names) > 1)


def saved_posterior(arguments: argparse.Namespace, targets: list[str] | None,
                    observed: bool) -> PosteriorEstimator | JointPosterior | None:
    """The posterior of ``--estimator FILE`` (checked before anything is written), or None without one."""
    if not arguments.estimator:
        return None
    if arguments.scenario or targets:
        raise ValueError("--estimator applies a saved posterior with the scenarios and targets it was fitted on; "
                         "leave out --scenario and --targets")
    if not observed:
        raise ValueError("--estimator applies a saved posterior to observed data: give them (--vcf, --trees, "
                         "--matrix, --ms or --alignments)")
    return load_posterior(arguments.estimator)


def fit(arguments: argparse.Namespace, settings: PosteriorSettings, targets: list[str] | None,
        bundle: Bundle | None = None) -> JointPosterior:
    """Fit the joint posterior, write it and its checks' pictures, and print the checks (with ``bundle``'s
    P(s | x) too when one is given)."""
    with reporting("fitting the joint posterior of every scenario", quiet=arguments.quiet):
        joint = fit_joint_posterior(arguments.simulations, targets, settings, arguments.held_out,
                                    arguments.calibration_share)
    report.written(joint.save(os.path.join(arguments.out, "posterior.npz")),
                   f"the joint posterior of {', '.join(joint.scenarios)} and their parameters")
    if joint.calibration:
        pictures = []
        print(describe_classifier(joint.calibration["classifier"]))
        for scenario, calibration in joint.calibration["scenarios"].items():
            if calibration:
                print(f"\nscenario {scenario}:")
                report.posterior_calibration(calibration)
                pictures.append(posterior_checks.plot_calibration(
                    calibration, os.path.join(arguments.out, f"calibration_{scenario}.png")))
        averaged = joint.calibration[AVERAGED]
        if averaged:
            print()
            print(describe_averaged(averaged))
            merged = {"levels": next(iter(averaged.values()))["levels"],
                      "targets": {target: entry["targets"][target] for target, entry in averaged.items()}}
            pictures.append(posterior_checks.plot_calibration(
                merged, os.path.join(arguments.out, "calibration_model_averaged.png")))
        report.pictures(pictures)
    else:
        print("no held-out checks: fewer than 10 held-out replicates in all (raise --held-out or simulate more)")
    if bundle is not None:
        bundle_check(bundle, joint, arguments)
    return joint


def observed(joint: JointPosterior, out: str, data_sets: list, labels: list[str],
             bundle: Bundle | None = None) -> list[PosteriorEstimator]:
    """Print and write each data set's joint posterior (P(s | data) from ``bundle`` when given); returns each
    data set's most probable scenario's posterior."""
    given = None
    if bundle is not None and sorted(bundle.scenario_names) != sorted(joint.scenarios):
        raise ValueError(f"the bundle {bundle.path} chooses among {', '.join(bundle.scenario_names)} but the joint "
                         f"posterior among {', '.join(joint.scenarios)}")
    if bundle is not None:
        values, output = bundle_probabilities(bundle, data_sets)
        given = [dict(zip(bundle.scenario_names, row.tolist())) for row in values]
    rows = joint.summary_rows(data_sets, labels, probabilities=given)
    summaries = {label: joint.summary(data, probabilities=given[number] if given else None)
                 for number, (label, data) in enumerate(zip(labels, data_sets))}
    for label, summary in summaries.items():
        if given:
            summary["source"] = state = f"from the bundle {bundle.path}: {output}"
        else:
            state = (f"temperature-scaled, T = {summary['temperature']:.3g}" if summary["calibrated"]
                     else "NOT calibrated: no temperature was fitted")
        print(f"{label}: P(scenario | data) " + ", ".join(f"{name} {p:.3f}" for name, p in
                                                          summary["probabilities"].items()) + f" ({state})")
    print_rows(rows)
    report.written(_write_csv(os.path.join(out, "posterior.csv"), rows),
                   f"{len(rows)} rows, one per data set, scenario and target, then the model-averaged targets")
    with open(os.path.join(out, "posterior.json"), "w") as handle:
        json.dump(summaries, handle, indent=1)
    report.written(os.path.join(out, "posterior.json"), "each data set's scenario probabilities and posteriors")
    by_name = {estimator.scenario: estimator for estimator in joint.estimators}
    chosen = [by_name.get(max(summary["probabilities"], key=summary["probabilities"].get))
              for summary in summaries.values()]
    for label, estimator in zip(labels, chosen):
        if estimator is None:
            print(f"{label}: its most probable scenario fixes every parameter; no posterior predictive check")
    return chosen


def print_rows(rows: list[dict]) -> None:
    """The joint table: per data set, scenario and target, P(s | data) and the posterior in natural units."""
    levels = [key[4:] for key in _columns(rows) if key.startswith("low_")]
    print("data set".ljust(report.LABEL) + "scenario".ljust(16) + "P(s|data)".rjust(10) + "  target".ljust(16)
          + "mean".rjust(12) + "median".rjust(12) + "sd".rjust(12) + "".join(f"{level}% interval".rjust(26)
                                                                           for level in levels))
    for row in rows:
        start = (str(row["data_set"])[:report.LABEL - 1].ljust(report.LABEL) + row["scenario"][:15].ljust(16)
                 + f"{row['probability']:10.3f}  ")
        if "mean" not in row:
            print(start + "(every parameter fixed)")
            continue
        print(start + str(row["target"])[:13].ljust(14)
              + "".join(f"{row[key]:12.4g}" for key in ("mean", "median", "sd"))
              + "".join(f"[{row['low_' + level]:.4g}, {row['high_' + level]:.4g}]".rjust(26) for level in levels))
    if any(row["scenario"] == AVERAGED for row in rows):
        print(f"({AVERAGED}: the mixture of the scenarios' posteriors of a target they share, weighted by "
              "P(s | data) renormalised over those scenarios; its P(s|data) column is their summed probability)")


def _columns(rows: list[dict]) -> list[str]:
    """The CSV's columns: those of the fullest row (a scenario without parameters has its probability only)."""
    return list(max(rows, key=len))


def _write_csv(path: str, rows: list[dict]) -> str:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=_columns(rows))
        writer.writeheader()
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------- P(s | data) from a trained model-choice bundle
def model_choice_bundle(arguments: argparse.Namespace, joint: bool, index: object) -> Bundle | None:
    """The bundle of ``--bundle FILE`` (a ``genomics train`` classifier of the folder's scenarios), checked before
    any fit; None without one. ``joint``: whether the posterior is (or will be) the joint one."""
    if not arguments.bundle:
        return None
    if not joint:
        raise ValueError("--bundle gives P(scenario | data) to the joint posterior: use it with --scenario all "
                         "(or --estimator with a joint posterior.npz)")
    bundle = Bundle.load(arguments.bundle)
    if bundle.is_regression:
        raise ValueError(f"{arguments.bundle!r} is a regression bundle; --bundle takes a model-choice bundle "
                         "('genomics train' without --task regression)")
    bundle.check_same_scenarios(index.manifest, arguments.simulations)
    return bundle


def bundle_probabilities(bundle: Bundle, data_sets: list) -> tuple[numpy.ndarray, str]:
    """((data sets, scenarios) of the bundle's output, its name: calibrated probabilities or raw softmax)."""
    images = numpy.stack([encode_genotypes(bundle.encoder, data)[0] for data in data_sets])
    values, output, _ = model_outputs(bundle, images)
    return values, output


def bundle_check(bundle: Bundle, joint: JointPosterior, arguments: argparse.Namespace) -> dict | None:
    """The joint posterior's held-out checks with the bundle's P(s | x) instead of its classifier's, printed;
    None (said why) when the bundle trained on simulations of this folder's seed (its scores would flatter it)."""
    data = load_simulations(arguments.simulations)
    if bundle.master_seed == data.manifest.get("master_seed"):
        print(f"the bundle {arguments.bundle} was trained on simulations of this folder's master seed "
              f"({bundle.master_seed}): the held-out replicates here may be its training replicates, so its "
              "P(scenario | data) is not scored on them ('genomics evaluate' scores it on its own test split)")
        return None
    held, _, _ = joint_splits(data.labels, arguments.held_out, arguments.calibration_share, arguments.init_seed)
    if len(held) < 10:
        return None
    genotypes = [simulated_genotypes(data, int(i)) for i in held]
    probabilities, output = bundle_probabilities(bundle, genotypes)
    windows = numpy.stack([joint.windows_of(item)[0] for item in genotypes])
    check = joint_calibration(joint, windows, numpy.asarray(data.labels)[held], [data.parameters[i] for i in held],
                              arguments.init_seed, probabilities=probabilities)
    scores = check["classifier"]
    print(f"\nwith the bundle's P(scenario | data) ({output}) on the same {scores['replicates']} held-out "
          f"replicates: accuracy {scores['accuracy']:.3f}, ECE {scores['ece']:.3f}, log-loss {scores['log_loss']:.3f}")
    if check[AVERAGED]:
        print(describe_averaged(check[AVERAGED]))
    return check
