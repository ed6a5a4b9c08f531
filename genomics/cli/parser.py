"""The ``genomics`` command line's parser: one subcommand per job, each bound to its ``commands`` function.

Seeds have one option per meaning: ``--simulation-seed`` (the master seed of simulations), ``--split-seed``
(which replicates train, validate, calibrate and test), ``--init-seed`` (initial weights, dropout, shuffles),
``--abc-seed`` (the held-out subsample ABC is scored on and its neuralnet networks), ``--haplotype-seed``
(individuals subsampled from a VCF) and ``--subset-seed`` (random SNP subsets).
"""

from __future__ import annotations

import argparse

from genomics import pipeline
from genomics.baselines.comparison import AbcSettings
from genomics.cli import commands, options
from genomics.cli.options import (add_cluster_options, add_data_options, add_dataclass_options, add_seed,
                                  positive_int, seed)
from genomics.demo import DemoSettings
from genomics.encoding.encoder import Encoder
from genomics.learning.posterior import HEADS, PosteriorSettings
from genomics.learning.quantile_recalibration import (AUTO_EMPIRICAL_FROM, EMPIRICAL_FEWEST, METHODS,
                                                      RECALIBRATION_FEWEST, RECALIBRATION_SHARE)
from genomics.pipeline.encode import BATCH_SIZE
from genomics.scenario import catalogue

ABC_SEED = "seed of the held-out replicates ABC is scored on and of its neuralnet networks"


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="genomics", description="Tell demographic scenarios apart with CNNs trained on msprime simulations.",
        epilog="Start with 'genomics demo'; each command has its own --help.")
    subcommands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_demo, _simulate, _train, _evaluate, _predict, _abc, _check, _calibrate, _compare, _posterior,
                _report, _scenario, _design_from_alignments):
        add(subcommands)
    for leaf in _leaves(main_parser):
        leaf.add_argument("--quiet", action="store_true",
                          help="no progress lines (the count/total, rate and time left of long steps)")
    return main_parser


def _leaves(command_parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The subcommands that run something (``scenario from-ms``, not ``scenario``)."""
    found = []
    for action in command_parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_leaves(child) or [child])
    return found


def _demo(subcommands: argparse._SubParsersAction) -> None:
    demo = subcommands.add_parser("demo", help="simulate, train, evaluate and predict on built-in scenarios (minutes)",
                                  description="The whole workflow on the built-in three-population scenarios.")
    demo.add_argument("--out", default="genomics_demo", help="folder for every output (default genomics_demo)")
    add_dataclass_options(demo, "the demo's sizes, network and seeds", DemoSettings)
    demo.add_argument("--workers", type=positive_int, default=None, help="simulation processes (default: all cores)")
    demo.set_defaults(run=commands.command_demo)


def _simulate(subcommands: argparse._SubParsersAction) -> None:
    sim = subcommands.add_parser("simulate", help="simulate labelled replicates of scenarios into shards",
                                 description="Simulate replicates of each scenario with msprime, seeded and "
                                             "resumable.")
    sim.add_argument("scenarios", nargs="+", help=f"built-in names ({', '.join(catalogue.SPECS)}), groups "
                     f"({', '.join(catalogue.GROUPS)}) or TOML files")
    sim.add_argument("--replicates", type=positive_int, required=True, help="replicates per scenario")
    sim.add_argument("--out", required=True, help="output folder (re-running resumes it)")
    add_seed(sim, "--simulation-seed", "simulation_seed", 1, "master seed of the simulations", old="--seed")
    sim.add_argument("--shard-size", type=positive_int, default=100,
                     help="replicates per shard file (default 100)")
    add_cluster_options(sim, "processes (default: all cores)")
    sim.add_argument("--missing-like", metavar="VCF", help="give every scenario the per-population rate of missing "
                                                            "calls of this VCF (per call; with --popmap)")
    sim.add_argument("--popmap", help="with --missing-like: two columns, sample population")
    sim.set_defaults(run=commands.command_simulate)


def _train(subcommands: argparse._SubParsersAction) -> None:
    train = subcommands.add_parser("train", help="train a CNN on a simulation folder and evaluate it",
                                   description="Encode, train with early stopping, evaluate on held-out replicates.")
    train.add_argument("simulations", help="folder written by 'genomics simulate'")
    train.add_argument("--out", required=True, help="folder for the model bundle, the evaluation and pictures")
    add_dataclass_options(train, "training", pipeline.TrainingConfig, leave_out=("seed", "split_seed", "init_seed"))
    seeds = train.add_argument_group("seeds")
    seeds.add_argument("--split-seed", type=seed, metavar="SEED",
                       help="seed of the train/validation/calibration/test split (default 0)")
    seeds.add_argument("--init-seed", type=seed, metavar="SEED",
                       help="seed of the initial weights, dropout and shuffles (default 0; ensemble member k: "
                            "this + k)")
    seeds.add_argument("--seed", type=seed, default=0, metavar="SEED",
                       help="deprecated: sets both --split-seed and --init-seed where they are not given")
    add_dataclass_options(train, "encoding of genotype matrices as images", Encoder, from_design=True)
    train.add_argument("--resume", action="store_true",
                       help="go on from the training that stopped in --out (its training-state.npz, written after "
                            "each epoch beside the best model so far), with the same options")
    train.set_defaults(run=commands.command_train)


def _evaluate(subcommands: argparse._SubParsersAction) -> None:
    evaluate = subcommands.add_parser("evaluate", help="accuracy of a trained model on another simulation folder")
    evaluate.add_argument("bundle", help="model.npz written by 'genomics train'")
    evaluate.add_argument("simulations", help="folder written by 'genomics simulate' (same scenarios)")
    evaluate.add_argument("--out", help="write the evaluation as JSON here, with its confusion matrix and "
                                        "reliability diagram as PNGs beside it")
    _add_batch_size(evaluate)
    evaluate.set_defaults(run=commands.command_evaluate)


def _add_batch_size(parser: argparse.ArgumentParser, what: str = "replicates read from the shards") -> None:
    """``--batch-size``: replicates (or subsets) encoded at a time (memory: one batch of images)."""
    parser.add_argument("--batch-size", type=positive_int, default=BATCH_SIZE,
                        help=f"{what} and encoded at a time: memory holds one batch of float32 images, whatever "
                             f"their number (default {BATCH_SIZE})")


def _predict(subcommands: argparse._SubParsersAction) -> None:
    predict = subcommands.add_parser("predict", help="scenario probabilities for observed data (VCF, matrix, ms)",
                                     description="Classify observed data with a trained model bundle: windows of a "
                                                 "VCF, a 0/1 matrix, or ms output.")
    predict.add_argument("bundle", help="model.npz written by 'genomics train'")
    predict.add_argument("vcf", nargs="?", help="VCF, VCF.gz or VCF Zarr store (with --popmap)")
    add_data_options(predict, vcf_option=False)
    predict.add_argument("--ref-is-ancestral", action="store_true",
                         help="VCF: REF is the ancestral allele (needed by a model trained with ancestral "
                              "polarisation)")
    predict.add_argument("--subsets", type=int, default=0,
                         help="--matrix/--alignments with more SNPs than the model takes: predict this many random "
                              "subsets and report the median and 2.5-97.5%% range (default 0: none)")
    add_seed(predict, "--subset-seed", "subset_seed", 0, "seed of the random SNP subsets")
    _add_batch_size(predict, "--subsets drawn")
    predict.add_argument("--window", type=float, help="text VCF: window length in bp (default: the training "
                                                      "sequence length, the only one for --trees and VCF Zarr)")
    predict.add_argument("--min-snps", type=positive_int, default=10,
                         help="skip windows with fewer usable SNPs (default 10)")
    predict.add_argument("--max-missing", type=float, default=None,
                         help="VCF: keep sites with at most this fraction of missing calls (default: 0 for a model "
                              "trained without missing data, 1 for one trained with them)")
    predict.add_argument("--step", type=float, help="text VCF: start a window every STEP bp (default: the window "
                                                    "length; smaller steps overlap windows)")
    add_seed(predict, "--haplotype-seed", "haplotype_seed", 0,
             "VCF: seed for subsampling haplotypes to the trained design", old="--seed")
    predict.add_argument("--check", metavar="SIMS", help="also check each window or data set against these "
                                                        "simulations (see 'genomics check')")
    predict.add_argument("--check-per-scenario", type=positive_int, default=1000,
                         help="with --check: simulations of each scenario used (default 1000)")
    predict.add_argument("--out", help="write the result here: FILE.csv (one row per window or subset, a column "
                                       "per scenario) or JSON (anything else)")
    predict.set_defaults(run=commands.command_predict)


def _abc_options(parser: argparse.ArgumentParser) -> None:
    """The ABC settings (``AbcSettings``), its seed named --abc-seed."""
    group = add_dataclass_options(parser, "ABC", AbcSettings, leave_out=("seed",))
    add_seed(group, "--abc-seed", "seed", 0, ABC_SEED, old="--seed")


def _abc(subcommands: argparse._SubParsersAction) -> None:
    abc_parser = subcommands.add_parser(
        "abc", help="ABC model choice on summary statistics (rejection, mnlogistic, neuralnet)",
        description="Per-locus summary statistics averaged over loci, then R abc's postpr methods. Without observed "
                    "data: scored on held-out replicates (the test split 'genomics train' makes with the same "
                    "split settings). With --matrix, --ms or --alignments: posterior model probabilities and Bayes "
                    "factors of those data.")
    abc_parser.add_argument("simulations", help="folder written by 'genomics simulate'")
    _abc_options(abc_parser)
    split_options = abc_parser.add_argument_group("the held-out split (as 'genomics train' makes it)")
    for name, role in (("test_fraction", "held out for the test (scored here)"),
                       ("validation_fraction", "of the validation split (in the reference table here)"),
                       ("calibration_fraction", "of the calibration split (in the reference table here)")):
        default = getattr(pipeline.TrainingConfig, name)
        split_options.add_argument("--" + name.replace("_", "-"), type=float, default=default,
                                   help=f"share of the replicates {role} (default {default})")
    add_seed(split_options, "--split-seed", "split_seed", 0, "seed of the split, as 'genomics train --split-seed'")
    add_data_options(abc_parser)
    abc_parser.add_argument("--tolerances", metavar="T1,T2,...", help="held-out scoring at each of these "
                                                                     "tolerances (cv4postpr's tols)")
    abc_parser.add_argument("--export", metavar="FILE.csv", help="also write every simulation's statistics (with "
                                                                 "scenario names and parameter draws) as CSV")
    add_cluster_options(abc_parser, None)
    abc_parser.set_defaults(run=commands.command_abc)


def _check(subcommands: argparse._SubParsersAction) -> None:
    check_parser = subcommands.add_parser(
        "check", help="is any scenario adequate for the observed data? (distance to each scenario's simulations)",
        description="Place observed data among each scenario's simulations (summary statistics and, with --bundle, "
                    "the network's embedding) and warn when they lie outside all of them.")
    check_parser.add_argument("simulations", help="folder written by 'genomics simulate'")
    add_data_options(check_parser)
    check_parser.add_argument("--bundle", help="also check the network's penultimate-layer embedding")
    check_parser.add_argument("--alpha", type=float, default=0.01, help="warn below this tail share (default 0.01)")
    check_parser.add_argument("--per-scenario", type=positive_int, default=1000,
                              help="simulations of each scenario used (default 1000)")
    check_parser.add_argument("--posterior-predictive", type=int, default=0, metavar="N",
                              help="also simulate N replicates from the ABC-accepted parameters of the favoured "
                                   "scenario and rank the data's statistics among them (default 0: none)")
    check_parser.add_argument("--out", help="folder for adequacy.json and the PCA picture")
    check_parser.set_defaults(run=commands.command_check)


def _calibrate(subcommands: argparse._SubParsersAction) -> None:
    calibrate_parser = subcommands.add_parser(
        "calibrate", help="fit a bundle's temperature on fresh simulations (bundles trained without calibration)",
        description="Temperature scaling of a trained bundle on every replicate of a fresh simulation folder "
                    "(same scenarios, another --simulation-seed); writes a calibrated copy of the bundle.")
    calibrate_parser.add_argument("bundle", help="model.npz written by 'genomics train'")
    calibrate_parser.add_argument("simulations", help="fresh replicates of the bundle's scenarios")
    calibrate_parser.add_argument("--out", required=True, help="the calibrated bundle to write")
    _add_batch_size(calibrate_parser)
    calibrate_parser.set_defaults(run=commands.command_calibrate)


def _compare(subcommands: argparse._SubParsersAction) -> None:
    compare_parser = subcommands.add_parser(
        "compare", help="the CNN, ABC and the hybrid side by side on the same held-out simulations",
        description="Score a trained bundle, ABC (each method) and hybrid ABC (the CNN's calibrated probabilities "
                    "as statistics) on the same replicates of the bundle's test split.")
    compare_parser.add_argument("simulations", help="the folder the bundle was trained on")
    compare_parser.add_argument("bundle", help="model.npz written by 'genomics train'")
    _abc_options(compare_parser)
    compare_parser.add_argument("--no-hybrid", action="store_true", help="leave out hybrid ABC")
    add_data_options(compare_parser)
    compare_parser.add_argument("--test-simulations", help="score on replicates of this fresh folder (same "
                                                           "scenarios, another seed) instead of the test split")
    compare_parser.add_argument("--out", help="write every evaluation as JSON here")
    _add_batch_size(compare_parser)
    add_cluster_options(compare_parser, None)
    compare_parser.set_defaults(run=commands.command_compare)


def _predictive_replicates(text: str) -> int:
    """``--predictive``: 0 (no check) or a number of replicates >= 20."""
    value = options.integer_at_least(0, "0 (no check) or a number of replicates >= 20")(text)
    if 0 < value < 20:
        raise argparse.ArgumentTypeError(f"expected 0 (no check) or a number of replicates >= 20, got {text!r}")
    return value


def _posterior(subcommands: argparse._SubParsersAction) -> None:
    posterior = subcommands.add_parser(
        "posterior", help="the posterior of a scenario's parameters, or jointly with the model choice",
        description="Fit a neural posterior of a scenario's parameters on its simulations, check its coverage and "
                    "simulation-based calibration on held-out replicates, and, with observed data, give their "
                    "posterior means, medians, sds and credible intervals in the scenario's units. With --scenario "
                    "all, jointly with the model choice: a posterior per scenario, calibrated scenario "
                    "probabilities and model-averaged posteriors of the targets the scenarios share.")
    posterior.add_argument("simulations", help="folder written by 'genomics simulate'")
    posterior.add_argument("--out", required=True, help="folder for posterior.npz, calibration*.png and, with "
                                                        "observed data, posterior.csv (.json when joint) and "
                                                        "predictive.csv/.json/.png")
    posterior.add_argument("--scenario", help="the scenario whose parameters to estimate, or 'all' for the joint "
                           "posterior of the scenario and its parameters: P(scenario | data), each scenario's "
                           "posterior and the model-averaged posterior of targets shared by name (default: the "
                           "folder's only scenario; all when it holds several)")
    posterior.add_argument("--estimator", metavar="FILE", help="apply a saved posterior.npz (one scenario's or the "
                           "joint one) to the observed data instead of fitting one")
    posterior.add_argument("--bundle", metavar="MODEL", help="with the joint posterior: P(scenario | data) from this "
                           "model.npz of 'genomics train' (calibrated when it has a temperature) instead of the "
                           "posterior's own classifier; scored on the held-out replicates unless it trained on them")
    posterior.add_argument("--targets", metavar='"N,T * f"', help="comma-separated prior names or expressions of "
                           "them (default: every prior that is not fixed)")
    defaults = PosteriorSettings()
    group = posterior.add_argument_group("the network and its training")
    group.add_argument("--head", choices=HEADS, default=defaults.head, help="the density: a mixture of diagonal "
                       f"Gaussians, or an affine-coupling flow (for two targets or more; default {defaults.head})")
    for name, text in (("components", "Gaussians of the mixture"), ("hidden", "units of the hidden layers"),
                       ("epochs", "most epochs"), ("patience", "epochs without a better validation loss before "
                                                               "stopping"), ("batch_size", "simulations per batch")):
        group.add_argument(options.option_name(name), type=positive_int, default=getattr(defaults, name),
                           help=f"{text} (default {getattr(defaults, name)})")
    group.add_argument("--spectrum-bins", type=int, default=0, metavar="B",
                       help="add each window's folded site frequency spectrum in B bins to its statistics (the "
                            "signal of a change of size; default 0: none)")
    group.add_argument("--held-out", type=options.share_below(0.5), default=0.1,
                       help="share of the scenario's replicates never trained on, for the coverage and calibration "
                            "checks (default 0.1)")
    group.add_argument("--calibration-share", type=options.share_below(0.5), default=0.1,
                       help="with --scenario all: share of each scenario's replicates that only fits the temperature "
                            "of P(scenario | data) (default 0.1)")
    group.add_argument("--no-recalibrate", dest="recalibrate", action="store_false",
                       help="keep the network's raw posterior (default: each target's marginal is recalibrated on "
                            "replicates not trained on by a monotone map of its PIT, and the map is printed)")
    group.add_argument("--recalibration", choices=METHODS, default=defaults.recalibration,
                       help="the map: empirical (the PIT's smoothed quantile map; probit-affine below "
                            f"{EMPIRICAL_FEWEST} replicates to fit it on), probit-affine (a shift and a scale of the "
                            f"PIT's probit) or auto (empirical from {AUTO_EMPIRICAL_FROM} replicates to fit it on; "
                            f"default {defaults.recalibration})")
    group.add_argument("--recalibration-fraction", type=options.share_below(0.5), default=None, metavar="F",
                       help="share of the replicates held out of training and of early stopping to fit the map on "
                            f"(0: the validation split; default: {RECALIBRATION_SHARE:g} where that is at least "
                            f"{RECALIBRATION_FEWEST} replicates, else the validation split)")
    add_seed(group, "--init-seed", "init_seed", defaults.seed, "seed of the initial weights, the shuffles and the "
             "held-out replicates")
    posterior.add_argument("--predictive", type=_predictive_replicates,
                           default=100, metavar="N", help="with observed data: a posterior predictive check of each "
                           "data set from N replicates simulated with its posterior's draws (0: none; default 100)")
    add_data_options(posterior)
    posterior.set_defaults(run=commands.command_posterior)


def _report(subcommands: argparse._SubParsersAction) -> None:
    report_parser = subcommands.add_parser(
        "report", help="one self-contained HTML page of a run (default RUN_FOLDER/report.html)",
        description="Read the files a run left (bundle, evaluation, ABC, checks, predictions) and write one HTML "
                    "page with its pictures inside it.")
    report_parser.add_argument("run_folder", help="folder written by 'genomics train' or 'genomics demo'")
    report_parser.add_argument("--out", metavar="FILE", help="the page to write (default RUN_FOLDER/report.html)")
    report_parser.set_defaults(run=commands.command_report)


def _scenario(subcommands: argparse._SubParsersAction) -> None:
    scenario = subcommands.add_parser("scenario", help="write scenario files (from an ms command line)")
    scenario_commands = scenario.add_subparsers(dest="scenario_command", required=True, metavar="SUBCOMMAND")
    from_ms = scenario_commands.add_parser(
        "from-ms", help="translate an ms command into a scenario TOML (coalescent units)",
        description="Translate an ms command line into a scenario file. Parameters are written {name} or "
                    "{expression} where ms takes numbers; give their priors with --priors.")
    from_ms.add_argument("command", help='the ms command, quoted: "ms 64 1 -s 26 -t {theta} -I 5 8 12 20 16 8 ..."')
    from_ms.add_argument("--priors", default="", help='the prior of each parameter, e.g. '
                                                      '"theta=uniform(1,15),T=log_uniform(0.01,1)"')
    from_ms.add_argument("--name", default="ms_model", help="the scenario's name (default ms_model)")
    from_ms.add_argument("--loci", help="one entry per locus, comma-separated: S alone (26,3,12) or key=value pairs "
                         "with the keys S, theta, rho, length, count ('theta=2 length=500, theta=1 length=300'); "
                         "without it, ms's replicate count gives the number of loci")
    from_ms.add_argument("--populations", help="names for ms's populations 1, 2, ..., comma-separated")
    from_ms.add_argument("--out", help="write the TOML here (default: print it)")
    from_ms.set_defaults(run=commands.command_scenario_from_ms)


def _design_from_alignments(subcommands: argparse._SubParsersAction) -> None:
    from_alignments = subcommands.add_parser(
        "design-from-alignments", help="the [design] table (loci and their S) of a set of alignments",
        description="Read one alignment per locus and write the design table (populations, haplotypes, one locus "
                    "per file with its number of biallelic segregating sites) to paste into scenario files.")
    from_alignments.add_argument("alignments", nargs="+", help="FASTA, PHYLIP or NEXUS files, one per locus")
    from_alignments.add_argument("--popmap", required=True, help="two columns: sequence name, population")
    from_alignments.add_argument("--name", default="data", help=argparse.SUPPRESS)
    from_alignments.add_argument("--out", help="write the table here (default: print it)")
    from_alignments.set_defaults(run=commands.command_design_from_alignments)


def option_names(arguments_parser: argparse.ArgumentParser, command: str) -> dict[str, str]:
    """dest -> the first long option of the subcommand ``command`` (for errors that name parameters); a nested
    subcommand is named by its own name (``from-ms`` for ``scenario from-ms``)."""
    found = {}
    for action in arguments_parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            for option in action.choices[command]._actions:
                longs = [name for name in option.option_strings if name.startswith("--")]
                if longs and option.dest not in found:
                    found[option.dest] = longs[0]
        elif isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.update({dest: flag for dest, flag in option_names(child, command).items() if dest not in found})
    return found


def every_option(arguments_parser: argparse.ArgumentParser) -> dict[str, str]:
    """dest -> a long option, over every subcommand (the first subcommand that has the dest gives it)."""
    found: dict[str, str] = {}
    for action in arguments_parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices:
                found.update({dest: flag for dest, flag in option_names(arguments_parser, command).items()
                              if dest not in found})
    return found
