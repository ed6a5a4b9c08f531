"""One function per command: read the parsed options, call the library once, print through ``report``.

Each takes the ``argparse.Namespace`` of its subcommand (``genomics.cli.parser``); errors of bad input are
raised (``ValueError``) and become one line in ``genomics.cli.main``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from dataclasses import asdict
from typing import Any

from genomics import interrupts, pipeline
from genomics.baselines import abc, comparison, posterior_predictive, runs
from genomics.cli import joint_command, options, report
from genomics.demo import DemoSettings, run_demo
from genomics.encoding.encoder import Encoder
from genomics.learning import posterior, posterior_checks
from genomics.learning.joint_posterior import JointPosterior
from genomics.learning.posterior import PosteriorSettings
from genomics.learning.quantile_recalibration import split_sentence
from genomics.observed import readers, vcf, vcf_zarr
from genomics.observed.files import read_observed
from genomics.progress import reporting
from genomics.report import write_report
from genomics.scenario import catalogue, ms
from genomics.scenario.scenario import Scenario
from genomics.simulation import cluster, resources
from genomics.simulation.run import load_simulations, shards_in, simulate
from genomics.simulation.store import ShardReader


def command_demo(arguments: argparse.Namespace) -> None:
    run_demo(arguments.out, options.settings_of(DemoSettings, arguments), arguments.workers,
             announce=report.demo_step, reporting=lambda label: reporting(label, quiet=arguments.quiet))


def command_simulate(arguments: argparse.Namespace) -> None:
    scenarios = catalogue.resolve(arguments.scenarios)
    resources.check_simulation(scenarios, arguments.replicates, arguments.shard_size, arguments.out,
                               len(shards_in(arguments.out)))
    pipeline.prepare_output_folder(arguments.out)
    if arguments.missing_like:
        scenarios = _missing_like(scenarios, arguments.missing_like, arguments.popmap)
    cluster.check_options(arguments.scheduler, arguments.dask_local, arguments.workers)
    print(f"simulating {arguments.replicates} replicates of each of {', '.join(s.name for s in scenarios)} "
          f"(simulation seed {arguments.simulation_seed}) into {arguments.out}, "
          f"{cluster.describe(arguments.scheduler, arguments.dask_local, arguments.workers)}")
    with reporting("simulated", quiet=arguments.quiet) as progress, options.cluster(arguments) as executor:
        simulate(scenarios, arguments.replicates, arguments.out, master_seed=arguments.simulation_seed,
                 shard_size=arguments.shard_size, executor=executor, workers=arguments.workers,
                 progress=progress or False)


def _missing_like(scenarios: list[Scenario], path: str, popmap: str | None) -> list[Scenario]:
    """``simulate --missing-like VCF``: every scenario with the VCF's per-population rates of missing calls."""
    if not popmap:
        raise ValueError("--missing-like needs --popmap (two columns: sample population)")
    rates = vcf.missing_rates(path, vcf.read_population_map(popmap), scenarios[0].design.populations)
    print(f"missing calls per population, as in {path}: "
          + ", ".join(f"{name} {rate:.3f}" for name, rate in rates.items()))
    return [scenario.with_missing({"per_call": rates}) for scenario in scenarios]


def command_train(arguments: argparse.Namespace) -> None:
    config = options.settings_of(pipeline.TrainingConfig, arguments)
    encoder_settings = options.given(Encoder, arguments)
    pipeline.prepare_output_folder(arguments.out)
    with interrupts.FolderLock(arguments.out):  # one training per folder
        report.training(pipeline.train(arguments.simulations, arguments.out, config, encoder_settings,
                                       verbose=0 if arguments.quiet else 2, resume=arguments.resume))


def command_evaluate(arguments: argparse.Namespace) -> None:
    options.prepare_output_file(arguments.out)
    with reporting("encoded for evaluation", quiet=arguments.quiet) as progress:
        evaluation = pipeline.evaluate(arguments.bundle, arguments.simulations, arguments.batch_size, progress)
    report.evaluation(evaluation)
    if arguments.out:
        _write_json(arguments.out, evaluation if isinstance(evaluation, dict) else evaluation.to_dict())
    if arguments.out and not isinstance(evaluation, dict):  # a classification: its pictures beside the JSON
        stem = os.path.splitext(os.path.basename(arguments.out))[0]
        report.pictures(pipeline.evaluation_pictures(os.path.dirname(os.path.abspath(arguments.out)), evaluation,
                                                     prefix=f"{stem}_"))


def command_predict(arguments: argparse.Namespace) -> None:
    _check_predict_options(arguments)
    design = pipeline.bundle_design(arguments.bundle)
    windows = bool(arguments.vcf) and (design.contiguous or arguments.window is not None) and \
        not vcf_zarr.is_vcf_zarr(arguments.vcf)  # a store is cut by the observed-data readers
    if arguments.vcf and not windows:  # a VCF of one locus per contig or region
        pipeline.check_vcf_polarisation(arguments.bundle, arguments.ref_is_ancestral)
    with reporting("statistics of the --check simulations" if arguments.check else "predicting",
                   quiet=arguments.quiet) as progress:
        check = runs.adequacy_check(arguments.check, arguments.bundle, arguments.check_per_scenario, progress) \
            if arguments.check else None
        result = _predict(arguments, design, windows, check)
    if windows:
        report.vcf_prediction(result)
    else:
        report.data_set_prediction(result)
    if arguments.out and arguments.out.lower().endswith(".csv"):
        pipeline.write_prediction_table(result, arguments.out)
    elif arguments.out:
        _write_json(arguments.out, result)


def _predict(arguments: argparse.Namespace, design: Any, windows: bool, check: Any) -> dict:
    """predict's result: the VCF's windows, or each data set (subsets) read with the bundle's ``design``."""
    if windows:
        return pipeline.predict_vcf(arguments.bundle, arguments.vcf, arguments.popmap, window=arguments.window,
                                    min_snps=arguments.min_snps, seed=arguments.haplotype_seed,
                                    max_missing=arguments.max_missing, ref_is_ancestral=arguments.ref_is_ancestral,
                                    step=arguments.step, check=check)
    data_sets, labels = _read_data_sets(arguments, design, more_sites_allowed=arguments.subsets > 0)
    return pipeline.predict_genotypes(arguments.bundle, data_sets, labels, arguments.subsets, arguments.subset_seed,
                                      check=check, batch_size=arguments.batch_size)


def _check_predict_options(arguments: argparse.Namespace) -> None:
    """predict's options, checked before any work (the VCF given once, windows and steps of at least 1 bp)."""
    options.prepare_output_file(arguments.out)
    if arguments.vcf and arguments.vcf_option:
        raise ValueError("give the VCF once: as the second argument or with --vcf")
    arguments.vcf = arguments.vcf or arguments.vcf_option
    for name in ("window", "step"):
        if getattr(arguments, name) is not None and getattr(arguments, name) < 1:
            raise ValueError(f"--{name} must be at least 1 bp, got {getattr(arguments, name):g}")
    options.observed_files(arguments).check()
    cut_by_readers = arguments.trees or (arguments.vcf and vcf_zarr.is_vcf_zarr(arguments.vcf))
    if cut_by_readers and (arguments.window is not None or arguments.step is not None):
        raise ValueError("--window and --step cut a text VCF; .trees files and VCF Zarr stores are cut into windows "
                         "of the training sequence length")


def command_abc(arguments: argparse.Namespace) -> None:
    settings = options.settings_of(comparison.AbcSettings, arguments)
    tolerances = options.fractions("--tolerances", arguments.tolerances) if arguments.tolerances else [settings.tolerance]
    options.prepare_output_file(arguments.export, "--export")
    observed = bool(options.observed_files(arguments).given)
    with reporting("summary statistics", quiet=arguments.quiet) as progress:  # the whole step, ABC included
        replicates = ShardReader(arguments.simulations)  # a few shards at a time: the table is all that is kept
        data = replicates.data  # the index: labels, names, design
        data_sets, labels = _read_data_sets(arguments, data.design) if observed else ([], [])
        with options.cluster(arguments) as executor:
            table, names = abc.statistics_table(replicates, settings.folded, executor, progress=progress)  # once
        if observed:
            result = comparison.abc_observed(data, table, names, data_sets, settings)
        else:
            split = pipeline.TrainingConfig(test_fraction=arguments.test_fraction, split_seed=arguments.split_seed,
                                            validation_fraction=arguments.validation_fraction,
                                            calibration_fraction=arguments.calibration_fraction)
            result = runs.abc_held_out(data, table, names, settings, tolerances, split)
    if observed:
        report.abc_observed(result, labels, settings.tolerance)
    else:
        report.abc_held_out(result, arguments.split_seed)
    if arguments.export:
        comparison.export_table(arguments.export, table, names, data, replicates.parameter_draws())
        report.written(arguments.export, f"the statistics of {len(table)} simulations")


def command_check(arguments: argparse.Namespace) -> None:
    if not 0 < arguments.alpha < 1:
        raise ValueError(f"--alpha must be a share in (0, 1), got {arguments.alpha:g}")
    if arguments.posterior_predictive < 0:
        raise ValueError(f"--posterior-predictive must be a number of replicates >= 0, got "
                         f"{arguments.posterior_predictive}")
    if arguments.out:
        pipeline.prepare_output_folder(arguments.out)
    data_sets, labels = _read_data_sets(arguments, load_simulations(arguments.simulations, genotypes=False).design)
    with reporting("summary statistics", quiet=arguments.quiet) as progress:
        results = runs.check_data_sets(arguments.simulations, arguments.bundle, data_sets, arguments.per_scenario,
                                       arguments.alpha, arguments.posterior_predictive, arguments.out, progress)
    for label, result in zip(labels, results):
        print(f"{label}:")
        report.check(result)


def command_calibrate(arguments: argparse.Namespace) -> None:
    options.prepare_output_file(arguments.out)
    with reporting("encoded for calibration", quiet=arguments.quiet) as progress:
        calibrated = pipeline.calibrate_bundle(arguments.bundle, arguments.simulations, arguments.out,
                                               arguments.batch_size, progress)
    report.calibration(calibrated, arguments.simulations, arguments.out)


def command_compare(arguments: argparse.Namespace) -> None:
    options.prepare_output_file(arguments.out)
    settings = options.settings_of(comparison.AbcSettings, arguments)
    given = options.observed_files(arguments).given
    observed = _read_data_sets(arguments, pipeline.bundle_design(arguments.bundle)) if given else None
    with reporting("summary statistics", quiet=arguments.quiet) as progress, options.cluster(arguments) as executor:
        outcome = comparison.compare(arguments.simulations, arguments.bundle, settings,
                                     hybrid=not arguments.no_hybrid, test_simulations=arguments.test_simulations,
                                     executor=executor, progress=progress, batch_size=arguments.batch_size)
        if observed:
            report.observed_comparison(runs.compare_observed(arguments.simulations, arguments.bundle, *observed,
                                                             outcome["settings"], executor, progress))
    report.comparison(outcome, fresh_test_folder=bool(arguments.test_simulations))
    if arguments.out:
        _write_json(arguments.out, {
            "scenario_names": outcome["scenario_names"], "notes": outcome["notes"],
            "settings": asdict(outcome["settings"]), "budgets": outcome["budgets"],
            "results": {name: evaluation.to_dict() for name, evaluation in outcome["results"].items()}})


def _posterior_settings(arguments: argparse.Namespace) -> PosteriorSettings:
    return PosteriorSettings(head=arguments.head, components=arguments.components, hidden=arguments.hidden,
                             epochs=arguments.epochs, patience=arguments.patience, batch_size=arguments.batch_size,
                             seed=arguments.init_seed, spectrum_bins=arguments.spectrum_bins,
                             recalibrate=arguments.recalibrate,
                             recalibration=arguments.recalibration,
                             recalibration_fraction=arguments.recalibration_fraction)


def command_posterior(arguments: argparse.Namespace) -> None:
    settings = _posterior_settings(arguments)
    targets = [text.strip() for text in arguments.targets.split(",") if text.strip()] if arguments.targets else None
    observed = bool(options.observed_files(arguments).given)
    estimator = joint_command.saved_posterior(arguments, targets, observed)  # --estimator FILE: no fit
    pipeline.prepare_output_folder(arguments.out)
    index = load_simulations(arguments.simulations, genotypes=False)  # the index only
    data_sets, labels = _read_data_sets(arguments, index.design) if observed else ([], [])  # refused before training
    joint = isinstance(estimator, JointPosterior) or (estimator is None and joint_command.is_joint(
        arguments.scenario, list(index.scenario_names)))
    bundle = joint_command.model_choice_bundle(arguments, joint, index)  # --bundle FILE: its P(s | data)
    if estimator is None:
        estimator = joint_command.fit(arguments, settings, targets, bundle) if joint else \
            _fit_posterior(arguments, settings, targets)
    if not observed:
        return
    chosen = joint_command.observed(estimator, arguments.out, data_sets, labels, bundle) if joint else \
        _posterior_of_data_sets(estimator, arguments.out, data_sets, labels)  # each data set's posterior to check
    if arguments.predictive:
        _posterior_predictive(chosen, arguments, data_sets, labels)


def _posterior_of_data_sets(estimator: posterior.PosteriorEstimator, out: str, data_sets: list,
                            labels: list[str]) -> list[posterior.PosteriorEstimator]:
    """One scenario's posterior of each data set, printed and written to ``out``/posterior.csv."""
    rows = estimator.summary_rows(data_sets, labels)
    report.posterior_summary(rows)
    report.written(_write_rows(os.path.join(out, "posterior.csv"), rows), f"{len(rows)} rows, one per data set "
                   "and target")
    return [estimator] * len(data_sets)


def _fit_posterior(arguments: argparse.Namespace, settings: PosteriorSettings,
                   targets: list[str] | None) -> posterior.PosteriorEstimator:
    """One scenario's posterior, written with its checks and their picture."""
    with reporting(f"fitting the posterior in {arguments.scenario}", quiet=arguments.quiet):  # lines while it fits
        estimator = posterior.fit_posterior(arguments.simulations, arguments.scenario, targets, settings,
                                            arguments.held_out)
    report.written(estimator.save(os.path.join(arguments.out, "posterior.npz")),
                   f"the posterior of {', '.join(estimator.space.targets)} in scenario {estimator.scenario}")
    if estimator.recalibration is not None:
        print(estimator.recalibration.describe())
        print(split_sentence(estimator.recalibration_split))
    if estimator.calibration:
        report.posterior_calibration(estimator.calibration)
        report.pictures([posterior_checks.plot_calibration(estimator.calibration,
                                                           os.path.join(arguments.out, "calibration.png"))])
    return estimator


def _posterior_predictive(estimators: list[posterior.PosteriorEstimator], arguments: argparse.Namespace,
                          data_sets: list, labels: list[str]) -> None:
    """``genomics posterior --predictive N``: each data set's check (with its posterior, ``estimators``), printed
    and written as CSV, JSON, pictures. A data set whose posterior is None (a scenario without free parameters)
    is left out."""
    kept = [(estimator, data, label) for estimator, data, label in zip(estimators, data_sets, labels)
            if estimator is not None]
    if not kept:
        return
    estimators, data_sets, labels = (list(part) for part in zip(*kept))
    results = [posterior_predictive.check_data_set(
        estimator, posterior_predictive.scenario_of(arguments.simulations, estimator.scenario), data,
        arguments.predictive, seed=arguments.init_seed, reference=estimator.reference_statistics)
        for estimator, data in zip(estimators, data_sets)]
    report.posterior_predictive(results, labels)
    out = arguments.out
    rows = posterior_predictive.rows(results, labels)
    report.written(_write_rows(os.path.join(out, "predictive.csv"), rows), f"{len(rows)} rows, one per data set "
                   "and statistic")
    _write_json(os.path.join(out, "predictive.json"),
                {label: posterior_predictive.summary(result) for label, result in zip(labels, results)})
    report.written(os.path.join(out, "predictive.json"), "each data set's check and distances")
    report.pictures([posterior_predictive.plot_predictive(result, os.path.join(out, f"predictive_{i + 1}.png"),
                                                          f"{label}: posterior predictive check")
                     for i, (label, result) in enumerate(zip(labels, results))])


def command_report(arguments: argparse.Namespace) -> None:
    report.written(write_report(arguments.run_folder, arguments.out), "the run's report")


def command_scenario_from_ms(arguments: argparse.Namespace) -> None:
    loci = ms.parse_loci(arguments.loci) if arguments.loci else None
    spec = ms.scenario_from_ms(arguments.command, ms.parse_priors(arguments.priors), arguments.name, loci)
    if arguments.populations:
        spec = ms.rename_populations(spec, [name.strip() for name in arguments.populations.split(",")])
    Scenario(spec)  # the translation must be a valid scenario: check before writing anything
    _write_text(arguments.out, ms.to_toml(spec))


def command_design_from_alignments(arguments: argparse.Namespace) -> None:
    design = readers.design_from_alignments(arguments.alignments, vcf.read_population_map(arguments.popmap))
    text = ms.to_toml({"name": arguments.name, "priors": {}, "design": design, "demes": []}).split("[design]", 1)[1]
    _write_text(arguments.out, "# the sampling design of the data: paste into a scenario file\n[design]" + text,
                f"{len(design['loci'])} loci, "
                f"{sum(locus['segregating_sites'] for locus in design['loci'])} segregating sites")


def _read_data_sets(arguments: argparse.Namespace, design: Any, more_sites_allowed: bool = False) -> tuple:
    """(data sets, labels) of the observed-data options, read with the design, each described on a line."""
    data_sets, labels = read_observed(options.observed_files(arguments), design, more_sites_allowed)
    report.data_sets(data_sets, labels)
    return data_sets, labels


def _write_rows(path: str, rows: list[dict]) -> str:
    """``rows`` (dicts of the same keys) as a CSV file; returns its path."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_json(path: str, value: Any) -> None:
    with open(path, "w") as handle:
        json.dump(value, handle, indent=1)


def _write_text(path: str | None, text: str, what: str = "") -> None:
    """``text`` into ``path`` (its folder checked first), or printed without one."""
    if not path:
        print(text, end="")
        return
    options.prepare_output_file(path)
    with open(path, "w") as handle:
        handle.write(text)
    report.written(path, what)
