"""The ``genomics`` command: simulate, train, evaluate, predict, calibrate, compare, check, abc, demo.

    genomics demo                                   # the whole workflow on built-in scenarios, in one folder
    genomics simulate three_populations --replicates 1000 --out sims
    genomics train sims --out run
    genomics evaluate run/model.npz other_sims
    genomics predict run/model.npz data.vcf.gz --popmap populations.txt
    genomics compare sims run/model.npz             # the CNN beside ABC on the same held-out replicates
    genomics check sims --matrix data.txt           # is any scenario adequate for the data?
    genomics abc sims --matrix data.txt             # ABC posteriors and Bayes factors
    genomics scenario from-ms "ms 20 1 -t {theta} -I 2 10 10 -ej {T} 2 1" --priors "theta=uniform(1,15),T=uniform(0,2)"
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import os
import signal
import sys
import time
from dataclasses import asdict, fields
from typing import Any

import numpy

from genomics.baselines import abc, adequacy, comparison
from genomics.scenario import catalogue, ms
from genomics.learning import checkpoint, regression
from genomics.simulation import cluster, resources
from genomics import interrupts
from genomics.observed import readers, vcf
from genomics import pipeline
from genomics.bundle import Bundle
from genomics.encoding.encoder import LAYOUTS, Encoder
from genomics.learning.networks import KINDS
from genomics.observed.files import ObservedFiles, describe, read_observed
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations, shards_in, simulate
from genomics.pipeline import TrainingConfig


def _integer_at_least(low: int, expected: str) -> Any:
    """An argparse type: an integer >= ``low``; anything else is an error naming the option."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _integer_at_least(1, "a positive integer")
_seed = _integer_at_least(0, "an integer >= 0")


def _add_dataclass_options(parser: argparse.ArgumentParser, title: str, settings: type,
                           from_design: bool = False) -> None:
    """One option per field of a settings dataclass, with the field's default, choices and help: defaults live there.

    ``from_design``: options left out are None, so that the default comes
    from the data's design (``Encoder.for_design``) rather than the field.
    """
    group = parser.add_argument_group(title)
    for setting in fields(settings):
        default = None if from_design else setting.default
        shown = f"default {setting.default}" + (", or the design's" if from_design else "")
        option = "--" + setting.name.replace("_", "-")
        if setting.type in (bool, "bool"):  # a switch: --x turns it on, --no-x off
            group.add_argument(option, dest=setting.name, action="store_const", const=True, default=default,
                               help=f"{setting.metadata['help']} ({shown})")
            group.add_argument("--no-" + option[2:], dest=setting.name, action="store_const", const=False,
                               help=f"leave out {setting.metadata['help']}")
            continue
        kind = {"float": float, "int": int, "str": str}.get(setting.type, type(setting.default))  # annotations are text
        group.add_argument(option, type=kind, default=default,
                           choices=setting.metadata.get("choices"), help=f"{setting.metadata['help']} ({shown})")


def _settings(settings: type, arguments: argparse.Namespace) -> Any:
    return settings(**{setting.name: getattr(arguments, setting.name) for setting in fields(settings)})


def _given(settings: type, arguments: argparse.Namespace) -> dict:
    """The options of a settings dataclass that the command line gave (not None)."""
    values = {setting.name: getattr(arguments, setting.name) for setting in fields(settings)}
    return {name: value for name, value in values.items() if value is not None}


def _print_training(result: dict) -> None:
    split = result["split"]
    fresh = result.get("on_the_fly")
    trained = f"{sum(fresh['simulated'])} fresh ({fresh['replicates_per_scenario_per_epoch']} per scenario per " \
              f"epoch, simulated during training)" if fresh else str(split["train"])
    print(f"\nreplicates: {trained} train, {split['validation']} validation (early stopping), "
          f"{split['calibration']} calibration, {split['test']} test")
    if result.get("task") == "regression":
        print(regression.report(result["scores"], result["samples"]))
        if not result["intervals"]:
            print("no calibration split: no interval estimates")
        print(f"\nmodel bundle: {result['bundle']}")
        for picture in result["pictures"]:
            print(f"picture: {picture}")
        return
    calibrated = result["calibration"]
    if "ensemble" in result:
        members = result["ensemble"]
        accuracies = numpy.array(members["member_test_accuracy"])
        print(f"ensemble of {members['members']} networks (init seeds {members['init_seeds']}): test accuracy of "
              f"each {', '.join(f'{a:.4f}' for a in accuracies)} (mean {accuracies.mean():.4f}, sd "
              f"{accuracies.std(ddof=1):.4f}); mean sd of the members' probabilities {members['mean_member_sd']:.4f}")
        print("the ensemble's values: the mean of the members' calibrated probabilities, calibrated once more")
    if calibrated:
        print(f"temperature scaling on the calibration split: T = {calibrated['temperature']:.3f} (log-loss "
              f"{calibrated['log_loss_before']:.4f} -> {calibrated['log_loss_after']:.4f})")
    else:
        print("no calibration split: the network's outputs are raw softmax values, not calibrated probabilities")
    print(result["evaluation"].report())
    print(f"\nmodel bundle: {result['bundle']}")
    for picture in result["pictures"]:
        print(f"picture: {picture}")


def command_simulate(arguments: argparse.Namespace) -> None:
    scenarios = catalogue.resolve(arguments.scenarios)
    resources.check_simulation(scenarios, arguments.replicates, arguments.shard_size, arguments.out,
                               len(shards_in(arguments.out)))
    pipeline.prepare_output_folder(arguments.out)
    if arguments.missing_like:
        if not arguments.popmap:
            raise ValueError("--missing-like needs --popmap (two columns: sample population)")
        rates = vcf.missing_rates(arguments.missing_like, vcf.read_population_map(arguments.popmap),
                                  scenarios[0].design.populations)
        scenarios = [scenario.with_missing({"per_call": rates}) for scenario in scenarios]
        print("missing calls per population, as in " + arguments.missing_like + ": "
              + ", ".join(f"{name} {rate:.3f}" for name, rate in rates.items()))
    cluster.check_options(arguments.scheduler, arguments.dask_local, arguments.workers)
    print(f"simulating {arguments.replicates} replicates of each of {', '.join(s.name for s in scenarios)} "
          f"(master seed {arguments.seed}) into {arguments.out}, "
          f"{cluster.describe(arguments.scheduler, arguments.dask_local, arguments.workers)}")
    with _cluster(arguments) as executor:
        simulate(scenarios, arguments.replicates, arguments.out, master_seed=arguments.seed,
                 shard_size=arguments.shard_size, executor=executor, workers=arguments.workers)


def command_train(arguments: argparse.Namespace) -> None:
    config, encoder_settings = _settings(TrainingConfig, arguments), _given(Encoder, arguments)
    pipeline.prepare_output_folder(arguments.out)
    with interrupts.FolderLock(arguments.out), _cluster(arguments) as executor:  # one training per folder
        _print_training(pipeline.train(arguments.simulations, arguments.out, config, encoder_settings,
                                       executor=executor, resume=arguments.resume))


def _prepare_output_file(path: str | None) -> None:
    """Check that ``path``'s folder can be written before any work starts."""
    if path:
        pipeline.prepare_output_folder(os.path.dirname(os.path.abspath(path)))
        if os.path.isdir(path):
            raise ValueError(f"--out {path!r} is a folder; give a file name")


def command_evaluate(arguments: argparse.Namespace) -> None:
    _prepare_output_file(arguments.out)
    evaluation = pipeline.evaluate(arguments.bundle, arguments.simulations)
    if isinstance(evaluation, dict):  # a regression bundle
        print(regression.report(evaluation["scores"], evaluation["samples"]))
        if arguments.out:
            with open(arguments.out, "w") as handle:
                json.dump(evaluation, handle, indent=1)
        return
    print(evaluation.report())
    if arguments.out:
        with open(arguments.out, "w") as handle:
            json.dump(evaluation.to_dict(), handle, indent=1)
        stem = os.path.splitext(os.path.basename(arguments.out))[0]
        for picture in pipeline.evaluation_pictures(os.path.dirname(os.path.abspath(arguments.out)), evaluation,
                                                    prefix=f"{stem}_"):
            print(f"picture: {picture}")


def _print_prediction(result: dict) -> None:
    report = result["report"]
    print(f"VCF: {report['sites_in_vcf']} sites; kept {report['sites_kept']} biallelic SNPs with at most "
          f"{report['max_missing']:g} of their calls missing ({report['missing_calls_kept']} missing calls kept; "
          f"dropped {report['dropped_not_biallelic_snp']} not biallelic SNPs, "
          f"{report['dropped_missing_calls']} with more missing calls)")
    for warning in report.get("warnings", []):  # what was dropped besides multiallelic sites and indels
        print(f"VCF: {warning}")
    if report.get("sorted_by_position"):
        print("the VCF's records were not in position order: they were sorted")
    if report.get("unphased_heterozygous_calls"):
        print(f"{report['unphased_heterozygous_calls']} unphased heterozygous calls: their alleles fill each "
              "individual's two rows in file order")
    print(f"haplotypes used per population: {report['haplotypes_per_population']} "
          f"(samples available: {report['samples_used']})")
    names = result["columns"]
    step = "" if result["step"] == result["window_length"] else f", every {result['step']:g} bp"
    print(f"\n{result['output']} per window of {result['window_length']:g} bp{step}:")
    print("window".ljust(32) + "".join(f"{name[:24]:>26}" for name in names))
    for row in result["windows"]:
        label = f"{row['chromosome']}:{row['start']}-{row['end']} ({row['snps']} SNPs)"
        print(label.ljust(32) + "".join(f"{p:>26.3f}" for p in row["values"]))
    _print_summary(result["summary"], names, "windows", result["output"] == "estimates")


def _print_summary(summary: dict, names: list[str], rows: str, estimates: bool = False) -> None:
    number = "{:>26.4g}" if estimates else "{:>26.3f}"
    if summary["rows"] > 1:
        print(f"mean over {summary['rows']} {rows}".ljust(32) + "".join(number.format(p) for p in summary["mean"]))
        print("median".ljust(32) + "".join(number.format(p) for p in summary["median"]))
        bound = "{:.4g}" if estimates else "{:.3f}"
        print("2.5-97.5% range".ljust(32) + "".join(f"{bound.format(lo) + '-' + bound.format(hi):>26}"
                                                      for lo, hi in zip(summary["low"], summary["high"])))
        if not estimates:
            print(f"share of {rows} won".ljust(32) + "".join(f"{w:>26.3f}" for w in summary["wins"]))
    if not estimates:
        print(f"\nhighest mean: {names[int(numpy.argmax(summary['mean']))]}")


def _print_data_set_prediction(result: dict) -> None:
    names = result["columns"]
    print(f"{result['output']} per data set:")
    print("data set".ljust(24) + "sites  missing" + "".join(f"{name[:24]:>26}" for name in names))
    for row in result["data_sets"]:
        print(f"{row['data_set'][:23]:<24}{row['sites']:>5}  {row['missing_fraction']:>7.3f}"
              + "".join(f"{p:>26.4g}" for p in row["values"]))
        for level in ("0.5", "0.9"):
            if f"low_{level}" in row:
                print(f"  {float(level):.0%} interval (conformal):".ljust(38) + "".join(
                    f"{f'{lo:.4g}-{hi:.4g}':>26}" for lo, hi in zip(row[f"low_{level}"], row[f"high_{level}"])))
        if "subsets" in row:
            print(f"  median of {row['subsets']} random SNP subsets (seed {row['subset_seed']}); 2.5-97.5%:".ljust(38)
                  + "".join(f"{f'{lo:.3f}-{hi:.3f}':>26}" for lo, hi in zip(row["low"], row["high"])))
            print("  share of subsets won:".ljust(38) + "".join(f"{w:>26.3f}" for w in row["wins"]))
    _print_summary(result["summary"], names, "data sets", result["output"] == "estimates")
    if result["output"] == "estimates":
        return
    if not result["output"].startswith("calibrated"):
        print("(this bundle was trained without a calibration split: the values are the network's raw softmax, "
              "not calibrated probabilities)")


def _observed_files(arguments: argparse.Namespace) -> ObservedFiles:
    """The observed-data option group's values (``_add_data_options``)."""
    return ObservedFiles(vcf=arguments.vcf, popmap=arguments.popmap, matrix=arguments.matrix,
                         orientation=arguments.orientation, populations=arguments.populations, ms=arguments.ms,
                         alignments=arguments.alignments, loci_bed=arguments.loci_bed,
                         invariant_loci=arguments.invariant_loci, locus_sizes=arguments.locus_sizes,
                         seed=arguments.haplotype_seed, max_missing=getattr(arguments, "max_missing", None))


def _read_data_sets(arguments: argparse.Namespace, design: Any, more_sites_allowed: bool = False) -> tuple:
    """(data sets, labels) of the observed-data options, read with the design (``genomics.observed.files``)."""
    data_sets, labels = read_observed(_observed_files(arguments), design, more_sites_allowed)
    for label, data in zip(labels, data_sets):
        print(f"{label}: {describe(data)}")
    return data_sets, labels


def _add_cluster_options(parser: argparse.ArgumentParser, workers_help: str | None) -> None:
    """--workers (local processes, where the command has a pool), --scheduler and --dask-local."""
    group = parser.add_argument_group("where the work runs (genomics.simulation.cluster)")
    if workers_help:
        group.add_argument("--workers", type=_positive_int, default=None, help=workers_help)
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the tasks on the Dask cluster with this scheduler (pip install -e \".[cluster]\")")
    group.add_argument("--dask-local", type=_positive_int, metavar="N",
                       help="start a local Dask cluster of N worker processes for the tasks")


def _cluster(arguments: argparse.Namespace) -> Any:
    """The executor the command line asks for (a context manager; None inside it for no cluster)."""
    return cluster.executor(arguments.scheduler, arguments.dask_local, getattr(arguments, "workers", None))


def _add_data_options(parser: argparse.ArgumentParser, vcf_option: bool = True) -> None:
    """The option group that gives observed data and their loci (predict, check, abc and compare share it)."""
    group = parser.add_argument_group("observed data and their loci (exactly one of a VCF, --matrix, --ms, "
                                      "--alignments)")
    group.add_argument("--vcf", dest="vcf" if vcf_option else "vcf_option",
                       help="VCF or VCF.gz (with --popmap): one locus per contig (or --loci-bed region) under a "
                            "design of loci, windows under a design of one sequence")
    if vcf_option:
        group.add_argument("--haplotype-seed", dest="haplotype_seed", type=_seed, default=0,
                           help="VCF: seed of the individuals used where a population has more than the design")
    group.add_argument("--popmap", help="for a VCF: sample population; for --alignments: sequence population")
    group.add_argument("--loci-bed", metavar="BED", help="VCF: the loci as BED regions (chromosome, 0-based start, "
                                                         "end), instead of one locus per contig")
    group.add_argument("--invariant-loci", type=int, metavar="N",
                       help="VCF of one contig per locus: N loci without variable sites are absent from it "
                            "(default: the design's loci minus the VCF's contigs)")
    group.add_argument("--matrix", help="a 0/1 text matrix (N, ?, - or 9: missing); it has no positions")
    group.add_argument("--locus-sizes", metavar="3,1,2,...|FILE",
                       help="--matrix: the number of SNPs of each locus in order (comma-separated or a file); "
                            "needed for a design of several loci that do not fix their SNPs")
    group.add_argument("--orientation", choices=readers.ORIENTATIONS, default="haplotypes-by-sites",
                       help="rows of --matrix (default haplotypes-by-sites)")
    group.add_argument("--ms", help="ms output: each replicate (or each run of the design's loci) a data set")
    group.add_argument("--alignments", nargs="+", metavar="FILE",
                       help="FASTA, PHYLIP or NEXUS alignments, one per locus in the design's order (with --popmap "
                            "naming sequences)")
    group.add_argument("--populations", help="for --matrix/--ms: name:count blocks in the file's row order, e.g. "
                                             "north:10,south:12 (default: the design's populations and sizes)")


def command_predict(arguments: argparse.Namespace) -> None:
    _prepare_output_file(arguments.out)
    if arguments.vcf and arguments.vcf_option:
        raise ValueError("give the VCF once: as the second argument or with --vcf")
    arguments.vcf = arguments.vcf or arguments.vcf_option
    if arguments.window is not None and arguments.window < 1:
        raise ValueError(f"--window must be at least 1 bp, got {arguments.window:g}")
    if arguments.step is not None and arguments.step < 1:
        raise ValueError(f"--step must be at least 1 bp, got {arguments.step:g}")
    _observed_files(arguments).check()
    design = pipeline.bundle_design(arguments.bundle)
    if arguments.vcf and not (design.contiguous or arguments.window is not None):  # one locus per contig or region
        pipeline.check_vcf_polarisation(arguments.bundle, arguments.ref_is_ancestral)
    if arguments.vcf and (design.contiguous or arguments.window is not None):
        result = pipeline.predict_vcf(arguments.bundle, arguments.vcf, arguments.popmap, window=arguments.window,
                                      min_snps=arguments.min_snps, seed=arguments.haplotype_seed,
                                      max_missing=arguments.max_missing, ref_is_ancestral=arguments.ref_is_ancestral,
                                      step=arguments.step, check=_adequacy_callback(arguments))
        _print_prediction(result)
        _print_adequacy_rows(result["windows"], lambda row: f"{row['chromosome']}:{row['start']}-{row['end']}")
    else:
        data_sets, labels = _read_data_sets(arguments, design, more_sites_allowed=arguments.subsets > 0)
        result = pipeline.predict_genotypes(arguments.bundle, data_sets, labels, arguments.subsets,
                                            arguments.subset_seed, check=_adequacy_callback(arguments))
        _print_data_set_prediction(result)
        _print_adequacy_rows(result["data_sets"], lambda row: row["data_set"])
    if arguments.out and arguments.out.lower().endswith(".csv"):
        pipeline.write_prediction_table(result, arguments.out)
    elif arguments.out:
        with open(arguments.out, "w") as handle:
            json.dump(result, handle, indent=1)


def _fractions(option: str, text: str) -> list[float]:
    """Comma-separated numbers in (0, 1]; anything else is one sentence naming the option."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or not all(0 < value <= 1 for value in values):
        raise ValueError(f"{option} must be comma-separated fractions in (0, 1], e.g. 0.05,0.1,0.2; got {text!r}")
    return values


def _print_scores(results: dict, budgets: dict) -> None:
    """One line per method: accuracy, log-loss, Brier, ECE on its replicates, and its simulation budget."""
    width = max(len(name) for name in results) + 2
    print("method".ljust(width) + "replicates  accuracy  log-loss   Brier     ECE   simulations used")
    for name, evaluation in results.items():
        score = next(iter(evaluation.scores.values()))
        print(name.ljust(width) + f"{evaluation.samples:>10d}  {score['accuracy']:8.3f}  {score['log_loss']:8.4f}  "
              f"{score['brier']:6.4f}  {score['ece']:6.4f}   {budgets.get(name, '')}")


def command_abc(arguments: argparse.Namespace) -> None:
    settings = _settings(comparison.AbcSettings, arguments)
    tolerances = _fractions("--tolerances", arguments.tolerances) if arguments.tolerances else [settings.tolerance]
    _prepare_output_file(arguments.export)
    observed = bool(_observed_files(arguments).given)
    config = None if observed else TrainingConfig(
        test_fraction=arguments.test_fraction, validation_fraction=arguments.validation_fraction,
        calibration_fraction=arguments.calibration_fraction, seed=arguments.split_seed)
    data = load_simulations(arguments.simulations)
    data_sets, labels = _read_data_sets(arguments, data.design) if observed else ([], [])
    with _cluster(arguments) as executor:  # once, for the scores and the export alike
        table, names = abc.statistics_table(data, settings.folded, executor)
    if observed:
        outcome = comparison.abc_observed(data, table, names, data_sets, settings)
        scenarios = outcome["scenario_names"]
        for note in outcome["notes"]:
            print(f"note: {note}")
        print(f"reference table: {outcome['reference']} simulations; tolerance {settings.tolerance:g}")
        print("(how far to trust these posteriors: 'genomics abc SIMS' scores each method's calibration, its ECE, "
              "on held-out replicates)\n")
        for method, rows in outcome["methods"].items():
            for label, row in zip(labels, rows):
                print(f"{label}, {method}: posterior model probabilities ({row['accepted_count']} accepted)")
                print("".join(f"{name[:24]:>26}" for name in scenarios))
                print("".join(f"{p:>26.4f}" for p in row["posterior"]))
                best = int(numpy.argmax(row["posterior"]))
                factors = row["bayes_factors"][best]
                print(f"Bayes factors of {scenarios[best]} against each:" + "".join(
                    f" {name} {factor:.3g};" for name, factor in zip(scenarios, factors) if name != scenarios[best])
                      + "\n")
    else:
        reference, scored, _ = comparison.held_out(data, pipeline.split_replicates(data.labels, config),
                                                   settings.per_scenario, settings.seed)
        results, notes = {}, []
        for tolerance in tolerances:  # cv4postpr's tols: one confusion matrix per tolerance
            scores, notes = comparison.score_abc(table, names, data, reference, scored,
                                                 dataclasses.replace(settings, tolerance=tolerance))
            results.update(scores)  # each name says its method and tolerance
        for note in notes:
            print(f"note: {note}")
        print(f"ABC on {len(scored)} held-out replicates (the test split of 'genomics train --split-seed "
              f"{arguments.split_seed}'), reference table of {len(reference)} simulations\n")
        _print_scores(results, {name: f"{len(reference)}" for name in results})
        for name, evaluation in results.items():
            print(f"\n{name}\n{evaluation.report()}")
    if arguments.export:
        comparison.export_table(arguments.export, table, names, data)
        print(f"statistics of {len(table)} simulations written to {arguments.export}")


def _print_check(result: dict) -> None:
    names = result["scenario_names"]
    alpha = result["alpha"]
    for note in result["notes"]:
        print(f"note: {note}")
    print(f"adequacy: share of each scenario's simulations at least as far from its centre as the data "
          f"(Mahalanobis distance, {result['components']} principal components of {len(result['statistics'])} "
          "statistics):")
    print("".join(f"{name[:24]:>26}" for name in names))
    print("".join(f"{share:>26.3f}" for share in result["tail_share"]) + "   summary statistics")
    if "embedding_tail_share" in result:
        print("".join(f"{share:>26.3f}" for share in result["embedding_tail_share"]) + "   network embedding")
    if result["statistics_outside_every_scenario"]:
        print(f"statistics outside the central {1 - alpha:.0%} of every scenario: "
              + ", ".join(result["statistics_outside_every_scenario"]))
    predictive = result.get("posterior_predictive")
    if predictive:
        print(f"posterior predictive check of {predictive['scenario']} ({predictive['replicates']} replicates from "
              f"the parameters of its {predictive['accepted']} closest simulations): "
              + ("every statistic within 2.5-97.5%" if not predictive["outside_95"] else
                 "outside 2.5-97.5%: " + ", ".join(predictive["outside_95"])))
    if result["adequate"]:
        print("the data lie within the simulations of at least one scenario")
    else:
        print(f"WARNING: the data lie outside {1 - alpha:.0%} of every scenario's simulations: no scenario "
              "offered reproduces them, so a model choice among them is not to be trusted")
    if result.get("picture"):
        print(f"picture: {result['picture']}")


def command_check(arguments: argparse.Namespace) -> None:
    if not 0 < arguments.alpha < 1:
        raise ValueError(f"--alpha must be a share in (0, 1), got {arguments.alpha:g}")
    if arguments.posterior_predictive < 0:
        raise ValueError(f"--posterior-predictive must be a number of replicates >= 0, got "
                         f"{arguments.posterior_predictive}")
    if arguments.out:
        pipeline.prepare_output_folder(arguments.out)
    data_sets, labels = _read_data_sets(arguments, load_simulations(arguments.simulations).design)
    reference = adequacy.reference(arguments.simulations, arguments.bundle, arguments.per_scenario)
    for number, (label, data_set) in enumerate(zip(labels, data_sets)):
        print(f"{label}:")
        suffix = "" if len(data_sets) == 1 else f"_{number + 1}"
        picture = os.path.join(arguments.out, f"adequacy_pca{suffix}.png") if arguments.out else None
        result = adequacy.check_data_set(reference, data_set, arguments.alpha, arguments.posterior_predictive,
                                         picture)
        _print_check(result)
        if arguments.out:
            with open(os.path.join(arguments.out, f"adequacy{suffix}.json"), "w") as handle:
                json.dump({k: v for k, v in result.items() if not k.startswith("pca_")}, handle, indent=1)


def _adequacy_callback(arguments: argparse.Namespace) -> Any:
    """predict --check SIMS: a function checking one data set or window against those simulations."""
    if not arguments.check:
        return None
    reference = adequacy.reference(arguments.check, arguments.bundle, arguments.check_per_scenario)
    return lambda data_set: adequacy.summary(adequacy.check_data_set(reference, data_set))


def _print_adequacy_rows(rows: list[dict], label_of: Any) -> None:
    if not rows or "adequacy" not in rows[0]:
        return
    print("\nadequacy (share of each scenario's simulations at least as far from its centre; statistics / "
          "network embedding):")
    for row in rows:
        check = row["adequacy"]
        shares = "  ".join(f"{s:.3f}" for s in check["tail_share"])
        embedded = "  ".join(f"{s:.3f}" for s in check.get("embedding_tail_share", []))
        verdict = "ok" if check["adequate"] else "OUTSIDE every scenario"
        print(f"  {label_of(row)}: {shares} / {embedded}: {verdict}")
    if not all(row["adequacy"]["adequate"] for row in rows):
        print("WARNING: some data lie outside 99% of every scenario's simulations: their model choice is not to be "
              "trusted")


def command_calibrate(arguments: argparse.Namespace) -> None:
    _prepare_output_file(arguments.out)
    calibrated = pipeline.calibrate_bundle(arguments.bundle, arguments.simulations, arguments.out)
    print(f"temperature scaling on {calibrated['replicates']} replicates of {arguments.simulations}: "
          f"T = {calibrated['temperature']:.3f} (log-loss {calibrated['log_loss_before']:.4f} -> "
          f"{calibrated['log_loss_after']:.4f}); calibrated bundle: {arguments.out}")


def command_compare(arguments: argparse.Namespace) -> None:
    _prepare_output_file(arguments.out)
    files = _observed_files(arguments)
    observed = _read_data_sets(arguments, pipeline.bundle_design(arguments.bundle)) if files.given else None
    with _cluster(arguments) as executor:
        outcome = comparison.compare(arguments.simulations, arguments.bundle,
                                     _settings(comparison.AbcSettings, arguments), hybrid=not arguments.no_hybrid,
                                     test_simulations=arguments.test_simulations, executor=executor)
        if observed:
            _print_observed_comparison(arguments, observed, outcome["settings"], executor)
    for note in outcome["notes"]:
        print(f"note: {note}")
    source = "the fresh test folder" if arguments.test_simulations else "the bundle's test split"
    print(f"every method on the same {outcome['scored']} held-out replicates ({outcome['settings'].per_scenario} per "
          f"scenario from {source} of {outcome['test']}); CNN values: {outcome['output']}; ABC tolerance "
          f"{outcome['settings'].tolerance:g}\n")
    _print_scores(outcome["results"], outcome["budgets"])
    if arguments.out:
        with open(arguments.out, "w") as handle:
            json.dump({"scenario_names": outcome["scenario_names"], "notes": outcome["notes"],
                       "settings": asdict(outcome["settings"]), "budgets": outcome["budgets"],
                       "results": {name: evaluation.to_dict() for name, evaluation in outcome["results"].items()}},
                      handle, indent=1)


def _print_observed_comparison(arguments: argparse.Namespace, observed: tuple, settings: Any, executor: Any) -> None:
    """compare with observed data: the CNN's values and each ABC method's posterior for every data set."""
    data_sets, labels = observed
    prediction = pipeline.predict_genotypes(arguments.bundle, data_sets, labels)
    data = load_simulations(arguments.simulations)
    table, names = abc.statistics_table(data, settings.folded, executor)
    posteriors = comparison.abc_observed(data, table, names, data_sets, settings)
    print(f"\nthe observed data ({prediction['output']} of the CNN; ABC posteriors on {posteriors['reference']} "
          "simulations):")
    print("data set".ljust(32) + "".join(f"{name[:24]:>26}" for name in prediction["columns"]))
    for index, (label, entry) in enumerate(zip(labels, prediction["data_sets"])):
        print(f"{label[:22]}: CNN".ljust(32) + "".join(f"{p:>26.4f}" for p in entry["values"]))
        for method, rows in posteriors["methods"].items():
            print(f"{label[:22]}: ABC {method}".ljust(32) + "".join(f"{p:>26.4f}" for p in rows[index]["posterior"]))


def command_scenario_from_ms(arguments: argparse.Namespace) -> None:
    loci = ms.parse_loci(arguments.loci) if arguments.loci else None
    spec = ms.scenario_from_ms(arguments.command, ms.parse_priors(arguments.priors), arguments.name, loci)
    if arguments.populations:
        names = [name.strip() for name in arguments.populations.split(",")]
        spec = ms.rename_populations(spec, names)
    Scenario(spec)  # the translation must be a valid scenario: check before writing anything
    text = ms.to_toml(spec)
    if arguments.out:
        _prepare_output_file(arguments.out)
        with open(arguments.out, "w") as handle:
            handle.write(text)
        print(f"wrote {arguments.out}")
    else:
        print(text, end="")


def command_design_from_alignments(arguments: argparse.Namespace) -> None:
    design = readers.design_from_alignments(arguments.alignments, vcf.read_population_map(arguments.popmap))
    text = ms.to_toml({"name": arguments.name, "priors": {}, "design": design, "demes": []}).split("[design]", 1)[1]
    text = "# the sampling design of the data: paste into a scenario file\n[design]" + text
    if arguments.out:
        _prepare_output_file(arguments.out)
        with open(arguments.out, "w") as handle:
            handle.write(text)
        print(f"wrote {arguments.out}: {len(design['loci'])} loci, "
              f"{sum(locus['segregating_sites'] for locus in design['loci'])} segregating sites")
    else:
        print(text, end="")


def command_demo(arguments: argparse.Namespace) -> None:
    start = time.perf_counter()
    out = arguments.out
    config = TrainingConfig(network=arguments.network, epochs=arguments.epochs, patience=arguments.patience,
                            ensemble=arguments.ensemble, seed=arguments.seed)  # checked first
    layout = arguments.layout
    pipeline.check_layout(config, layout)
    pipeline.prepare_output_folder(out)
    simulations, run = os.path.join(out, "simulations"), os.path.join(out, "run")
    print(f"genomics demo: everything goes to {os.path.abspath(out)}\n")
    print("1. simulate the built-in three-population scenarios (msprime)")
    scenarios = catalogue.resolve(["three_populations"])
    for scenario in scenarios:
        print(f"   {scenario.name}: {scenario.description}")
    design = scenarios[0].design
    print(f"   design: populations {design.populations}, {design.samples} diploid individuals, "
          f"{design.sequence_length:g} bp; {arguments.replicates} replicates per scenario")
    simulate(scenarios, arguments.replicates, simulations, master_seed=arguments.seed, workers=arguments.workers)
    data = load_simulations(simulations)  # read once: every step below takes these replicates
    seen = {"joint_sfs": "the joint site frequency spectrum of the three populations (every SNP of a replicate)",
            "pairwise_sfs": "the joint site frequency spectra of each pair of populations (every SNP of a replicate)"
            }.get(layout) or f"{Encoder().n_snps}-SNP images ({layout})"
    networks = f"an ensemble of {config.ensemble} {config.network} networks" if config.ensemble > 1 \
        else f"a {config.network} network"
    print(f"\n2. train {networks} on {seen}, early stopping on a validation split")
    result = pipeline.train(simulations, run, config, {"layout": layout}, data=data)
    bundle = Bundle.load(result["bundle"])  # read once: every step below takes it
    print("\n3. evaluate on held-out simulations")
    _print_training(result)
    print("\n4. predict on a VCF (a divergence data set from the same simulator, with a seed the training never saw), "
          "and check each window's adequacy")
    vcf_path, popmap_path, parameters = pipeline.write_example_vcf(out, catalogue.get("divergence"),
                                                                   seed=arguments.seed + 10_000)
    print(f"   {vcf_path} with {popmap_path}; true parameters: "
          + ", ".join(f"{k}={v:.3g}" for k, v in parameters.items()))
    check = adequacy.reference_from(data, simulations, bundle, per_scenario=500)
    prediction = pipeline.predict_vcf_windows(
        bundle, vcf_path, popmap_path, check=lambda data_set: adequacy.summary(adequacy.check_data_set(check, data_set)))
    _print_prediction(prediction)
    _print_adequacy_rows(prediction["windows"], lambda row: f"{row['chromosome']}:{row['start']}-{row['end']}")
    settings = comparison.AbcSettings(per_scenario=50, networks=2, seed=arguments.seed)
    print(f"\n5. the CNN beside ABC (per-locus statistics; rejection, mnlogistic, neuralnet) on the same "
          f"{settings.per_scenario} test replicates per scenario")
    outcome = comparison.compare_loaded(data, simulations, bundle, settings, hybrid=False)
    _print_scores(outcome["results"], outcome["budgets"])
    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s; outputs in {os.path.abspath(out)}")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="genomics", description="Tell demographic scenarios apart with CNNs trained on msprime simulations.",
        epilog="Start with 'genomics demo'; each command has its own --help.")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="simulate, train, evaluate and predict on built-in scenarios (minutes)",
                               description="The whole workflow on the built-in three-population scenarios.")
    demo.add_argument("--out", default="genomics_demo", help="folder for every output (default genomics_demo)")
    demo.add_argument("--replicates", type=_positive_int, default=1500, help="replicates per scenario (default 1500)")
    demo.add_argument("--epochs", type=int, default=100, help="most epochs (default 100; early stopping)")
    demo.add_argument("--patience", type=int, default=10,
                      help="epochs without a better validation loss before stopping (default 10)")
    demo.add_argument("--network", choices=KINDS, default="cnn2d", help="the network (default cnn2d)")
    demo.add_argument("--ensemble", type=int, default=3,
                      help="networks trained from successive init seeds, their calibrated probabilities averaged "
                           "(default 3)")
    demo.add_argument("--layout", choices=LAYOUTS, default="joint_sfs",
                      help="the encoding (default joint_sfs: the joint site frequency spectrum)")
    demo.add_argument("--seed", type=_seed, default=1)
    demo.add_argument("--workers", type=_positive_int, default=None, help="simulation processes (default: all cores)")
    demo.set_defaults(run=command_demo)

    sim = commands.add_parser("simulate", help="simulate labelled replicates of scenarios into shards",
                              description="Simulate replicates of each scenario with msprime, seeded and resumable.")
    sim.add_argument("scenarios", nargs="+", help=f"built-in names ({', '.join(catalogue.SPECS)}), groups "
                     f"({', '.join(catalogue.GROUPS)}) or TOML files")
    sim.add_argument("--replicates", type=_positive_int, required=True, help="replicates per scenario")
    sim.add_argument("--out", required=True, help="output folder (re-running resumes it)")
    sim.add_argument("--simulation-seed", "--seed", dest="seed", type=_seed, default=1,
                     help="master seed of the simulations (default 1)")
    sim.add_argument("--shard-size", type=_positive_int, default=100, help="replicates per shard file")
    _add_cluster_options(sim, "processes (default: all cores)")
    sim.add_argument("--missing-like", metavar="VCF", help="give every scenario the per-population rate of missing "
                                                            "calls of this VCF (per call; with --popmap)")
    sim.add_argument("--popmap", help="with --missing-like: two columns, sample population")
    sim.set_defaults(run=command_simulate)

    train = commands.add_parser("train", help="train a CNN on a simulation folder and evaluate it",
                                description="Encode, train with early stopping, evaluate on held-out replicates.")
    train.add_argument("simulations", help="folder written by 'genomics simulate'")
    train.add_argument("--out", required=True, help="folder for the model bundle, the evaluation and pictures")
    _add_dataclass_options(train, "training", TrainingConfig)
    _add_dataclass_options(train, "encoding of genotype matrices as images", Encoder, from_design=True)
    _add_cluster_options(train, None)
    train.add_argument("--resume", action="store_true",
                       help="go on from the training that stopped in --out (its training-state.npz, written after "
                            "each epoch beside the best model so far), with the same options")
    train.set_defaults(run=command_train)

    evaluate = commands.add_parser("evaluate", help="accuracy of a trained model on another simulation folder")
    evaluate.add_argument("bundle", help="model.npz written by 'genomics train'")
    evaluate.add_argument("simulations", help="folder written by 'genomics simulate' (same scenarios)")
    evaluate.add_argument("--out", help="write the evaluation as JSON here, with its confusion matrix and "
                                        "reliability diagram as PNGs beside it")
    evaluate.set_defaults(run=command_evaluate)

    predict = commands.add_parser("predict", help="scenario probabilities for observed data (VCF, matrix, ms)",
                                  description="Classify observed data with a trained model bundle: windows of a "
                                              "VCF, a 0/1 matrix, or ms output.")
    predict.add_argument("bundle", help="model.npz written by 'genomics train'")
    predict.add_argument("vcf", nargs="?", help="VCF or VCF.gz (with --popmap)")
    _add_data_options(predict, vcf_option=False)
    predict.add_argument("--ref-is-ancestral", action="store_true",
                         help="VCF: REF is the ancestral allele (needed by a model trained with ancestral polarisation)")
    predict.add_argument("--subsets", type=int, default=0,
                         help="--matrix/--alignments with more SNPs than the model takes: predict this many random "
                              "subsets and report the median and 2.5-97.5%% range")
    predict.add_argument("--subset-seed", type=_seed, default=0, help="seed of the random SNP subsets")
    predict.add_argument("--window", type=float, help="window length in bp (default: the training sequence length)")
    predict.add_argument("--min-snps", type=_positive_int, default=10, help="skip windows with fewer usable SNPs")
    predict.add_argument("--max-missing", type=float, default=None,
                         help="VCF: keep sites with at most this fraction of missing calls (default: 0 for a model "
                              "trained without missing data, 1 for one trained with them)")
    predict.add_argument("--step", type=float, help="VCF: start a window every STEP bp (default: the window "
                                                    "length; smaller steps overlap windows)")
    predict.add_argument("--haplotype-seed", "--seed", dest="haplotype_seed", type=_seed, default=0,
                         help="VCF: seed for subsampling haplotypes to the trained design")
    predict.add_argument("--check", metavar="SIMS", help="also check each window or data set against these "
                                                        "simulations (see 'genomics check')")
    predict.add_argument("--check-per-scenario", type=_positive_int, default=1000,
                         help="with --check: simulations of each scenario used (default 1000)")
    predict.add_argument("--out", help="write the result here: FILE.csv (one row per window or subset, a column "
                                       "per scenario) or JSON (anything else)")
    predict.set_defaults(run=command_predict)
    abc_parser = commands.add_parser(
        "abc", help="ABC model choice on summary statistics (rejection, mnlogistic, neuralnet)",
        description="Per-locus summary statistics averaged over loci, then R abc's postpr methods. Without observed "
                    "data: scored on held-out replicates (the test split 'genomics train' makes with the same "
                    "split settings). With --matrix, --ms or --alignments: posterior model probabilities and Bayes "
                    "factors of those data.")
    abc_parser.add_argument("simulations", help="folder written by 'genomics simulate'")
    _add_dataclass_options(abc_parser, "ABC", comparison.AbcSettings)
    split_options = abc_parser.add_argument_group("the held-out split (as 'genomics train' makes it)")
    for name in ("test_fraction", "validation_fraction", "calibration_fraction"):
        split_options.add_argument("--" + name.replace("_", "-"), type=float,
                                   default=getattr(TrainingConfig, name))
    split_options.add_argument("--split-seed", type=_seed, default=0)
    _add_data_options(abc_parser)
    abc_parser.add_argument("--tolerances", metavar="T1,T2,...", help="held-out scoring at each of these "
                                                                     "tolerances (cv4postpr's tols)")
    abc_parser.add_argument("--export", metavar="FILE.csv", help="also write every simulation's statistics (with "
                                                                 "scenario names and parameter draws) as CSV")
    _add_cluster_options(abc_parser, None)
    abc_parser.set_defaults(run=command_abc)

    check_parser = commands.add_parser(
        "check", help="is any scenario adequate for the observed data? (distance to each scenario's simulations)",
        description="Place observed data among each scenario's simulations (summary statistics and, with --bundle, "
                    "the network's embedding) and warn when they lie outside all of them.")
    check_parser.add_argument("simulations", help="folder written by 'genomics simulate'")
    _add_data_options(check_parser)
    check_parser.add_argument("--bundle", help="also check the network's penultimate-layer embedding")
    check_parser.add_argument("--alpha", type=float, default=0.01, help="warn below this tail share (default 0.01)")
    check_parser.add_argument("--per-scenario", type=_positive_int, default=1000,
                              help="simulations of each scenario used (default 1000)")
    check_parser.add_argument("--posterior-predictive", type=int, default=0, metavar="N",
                              help="also simulate N replicates from the ABC-accepted parameters of the favoured "
                                   "scenario and rank the data's statistics among them")
    check_parser.add_argument("--out", help="folder for adequacy.json and the PCA picture")
    check_parser.set_defaults(run=command_check)

    calibrate_parser = commands.add_parser(
        "calibrate", help="fit a bundle's temperature on fresh simulations (bundles trained without calibration)",
        description="Temperature scaling of a trained bundle on every replicate of a fresh simulation folder "
                    "(same scenarios, another --simulation-seed); writes a calibrated copy of the bundle.")
    calibrate_parser.add_argument("bundle", help="model.npz written by 'genomics train'")
    calibrate_parser.add_argument("simulations", help="fresh replicates of the bundle's scenarios")
    calibrate_parser.add_argument("--out", required=True, help="the calibrated bundle to write")
    calibrate_parser.set_defaults(run=command_calibrate)

    compare_parser = commands.add_parser(
        "compare", help="the CNN, ABC and the hybrid side by side on the same held-out simulations",
        description="Score a trained bundle, ABC (each method) and hybrid ABC (the CNN's calibrated probabilities "
                    "as statistics) on the same replicates of the bundle's test split.")
    compare_parser.add_argument("simulations", help="the folder the bundle was trained on")
    compare_parser.add_argument("bundle", help="model.npz written by 'genomics train'")
    _add_dataclass_options(compare_parser, "ABC", comparison.AbcSettings)
    compare_parser.add_argument("--no-hybrid", action="store_true", help="leave out hybrid ABC")
    _add_data_options(compare_parser)
    compare_parser.add_argument("--test-simulations", help="score on replicates of this fresh folder (same "
                                                           "scenarios, another seed) instead of the test split")
    compare_parser.add_argument("--out", help="write every evaluation as JSON here")
    _add_cluster_options(compare_parser, None)
    compare_parser.set_defaults(run=command_compare)

    scenario = commands.add_parser("scenario", help="write scenario files (from an ms command line)")
    scenario_commands = scenario.add_subparsers(dest="scenario_command", required=True, metavar="SUBCOMMAND")
    from_ms = scenario_commands.add_parser(
        "from-ms", help="translate an ms command into a scenario TOML (coalescent units)",
        description="Translate an ms command line into a scenario file. Parameters are written {name} or "
                    "{expression} where ms takes numbers; give their priors with --priors.")
    from_ms.add_argument("command", help='the ms command, quoted: "ms 64 1 -s 26 -t {theta} -I 5 8 12 20 16 8 ..."')
    from_ms.add_argument("--priors", default="", help='e.g. "theta=uniform(1,15),T=log_uniform(0.01,1)"')
    from_ms.add_argument("--name", default="ms_model", help="the scenario's name")
    from_ms.add_argument("--loci", help="one entry per locus, comma-separated: S alone (26,3,12) or key=value pairs "
                         "with the keys S, theta, rho, length, count ('theta=2 length=500, theta=1 length=300'); "
                         "without it, ms's replicate count gives the number of loci")
    from_ms.add_argument("--populations", help="names for ms's populations 1, 2, ..., comma-separated")
    from_ms.add_argument("--out", help="write the TOML here (default: print it)")
    from_ms.set_defaults(run=command_scenario_from_ms)

    from_alignments = commands.add_parser(
        "design-from-alignments", help="the [design] table (loci and their S) of a set of alignments",
        description="Read one alignment per locus and write the design table (populations, haplotypes, one locus "
                    "per file with its number of biallelic segregating sites) to paste into scenario files.")
    from_alignments.add_argument("alignments", nargs="+", help="FASTA, PHYLIP or NEXUS files, one per locus")
    from_alignments.add_argument("--popmap", required=True, help="two columns: sequence name, population")
    from_alignments.add_argument("--name", default="data", help=argparse.SUPPRESS)
    from_alignments.add_argument("--out", help="write the table here (default: print it)")
    from_alignments.set_defaults(run=command_design_from_alignments)
    return main_parser


def _what_was_kept(arguments: argparse.Namespace, before: tuple | None, nothing: str = "") -> str:
    """What an interrupted or failed command left in its output folder, as the end of a sentence (``nothing``
    when a training wrote no model); ``before``: the model file's ``checkpoint.bundle_stamp`` when it started."""
    if arguments.command == "train":
        kept = checkpoint.describe_kept(arguments.out, before) if os.path.isdir(arguments.out) else None
        return "; " + kept if kept else nothing
    if arguments.command == "simulate" and os.path.isdir(arguments.out):
        return f"; {len(shards_in(arguments.out))} shards kept in {arguments.out}; rerun the same command to resume"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Run one command; SIGINT and SIGTERM end it with one line saying what was kept, and no process it started
    outlives it (``genomics.interrupts``). The exit status: 0 done, 2 bad input, 1 a full disk, 128 + the
    signal's number when stopped by one (130 Ctrl-C, 143 SIGTERM)."""
    arguments = parser().parse_args(argv)
    out = getattr(arguments, "out", None)
    started = checkpoint.bundle_stamp(out) if arguments.command == "train" and isinstance(out, str) else None
    already_running = set(interrupts.descendants())
    handlers = interrupts.raise_on_signals()
    try:
        arguments.run(arguments)
    except KeyboardInterrupt as error:
        signum = interrupts.signal_of(error)
        print(f"genomics {arguments.command}: stopped by {signal.Signals(signum).name}"
              f"{_what_was_kept(arguments, started, '; no epoch had finished: no model was kept')}", file=sys.stderr)
        return 128 + signum
    except (ValueError, FileNotFoundError) as error:
        print(f"genomics {arguments.command}: error: {error}"
              f"{_what_was_kept(arguments, started) if arguments.command == 'train' else ''}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        if isinstance(error, interrupts.NoSpaceLeft):  # its sentence says what was kept
            print(f"genomics {arguments.command}: error: {error}", file=sys.stderr)
            return 1
        where = f" while writing {error.filename}" if error.filename else ""
        print(f"genomics {arguments.command}: error: {error.strerror or 'no space left on device'}{where}"
              f"{_what_was_kept(arguments, started)}", file=sys.stderr)
        return 1
    finally:
        interrupts.end_descendants(already_running)
        interrupts.restore_handlers(handlers)
    return 0
