"""Everything the ``genomics`` command prints about a result: one function per kind of result.

Numbers are labelled (each column or value says which scenario or method it is) and names are never cut:
columns are as wide as their longest name.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy

from genomics.learning import posterior_checks, regression
from genomics.learning.evaluation import RAW
from genomics.observed.files import describe

LABEL = 32  # width of the row labels of the tables


def _width(names: list[str], least: int = 10) -> int:
    """The width of a table's value columns: its longest name and two spaces."""
    return max([least, *(len(name) for name in names)]) + 2


def _header(first: str, names: list[str], label: int = LABEL) -> str:
    width = _width(names)
    return first.ljust(label) + "".join(f"{name:>{width}}" for name in names)


def _row(first: str, values: Any, names: list[str], number: str = ".3f", label: int = LABEL) -> str:
    width = _width(names)
    return first.ljust(label) + "".join(f"{value:>{width}{number}}" for value in values)


def _texts(first: str, texts: list[str], names: list[str], label: int = LABEL) -> str:
    width = _width(names)
    return first.ljust(label) + "".join(f"{text:>{width}}" for text in texts)


def pictures(paths: list[str]) -> None:
    for picture in paths:
        print(f"picture: {picture}")


def notes(lines: list[str]) -> None:
    for note in lines:
        print(f"note: {note}")


def training(result: dict) -> None:
    """What ``genomics train`` did: the split, calibration, the evaluation, the bundle and pictures."""
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
        pictures(result["pictures"])
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
    calibration_warning(result["evaluation"])
    print(f"\nmodel bundle: {result['bundle']}")
    pictures(result["pictures"])


def evaluation(result: Any) -> None:
    """``genomics evaluate``: a classification's report, or a regression's scores (a dict)."""
    if isinstance(result, dict):
        print(regression.report(result["scores"], result["samples"]))
    else:
        print(result.report())
        calibration_warning(result)


def calibration_warning(result: Any) -> None:
    """A warning when the calibrated probabilities score worse than the raw softmax on held-out replicates
    (expected calibration error or log-loss): the temperature did not carry over from the calibration split."""
    raw = result.scores.get(RAW)
    calibrated = [name for name in result.scores if name.startswith("calibrated")]
    if raw is None or not calibrated:
        return
    after = result.scores[calibrated[0]]
    worse = [f"{label} {raw[key]:.4f} -> {after[key]:.4f}" for key, label in (("ece", "ECE"), ("log_loss", "log-loss"))
             if after[key] > raw[key]]
    if worse:
        print("WARNING: on these held-out replicates the calibration made the probabilities worse "
              f"({'; '.join(worse)}): the temperature fitted on the calibration split does not carry over "
              "(too few calibration replicates?)")


def calibration(result: dict, simulations: str, out: str) -> None:
    print(f"temperature scaling on {result['replicates']} replicates of {simulations}: "
          f"T = {result['temperature']:.3f} (log-loss {result['log_loss_before']:.4f} -> "
          f"{result['log_loss_after']:.4f}); calibrated bundle: {out}")


def data_sets(data: list, labels: list[str]) -> None:
    """One line per observed data set read: its label and what it holds."""
    for label, data_set in zip(labels, data):
        print(f"{label}: {describe(data_set)}")


def vcf_prediction(result: dict) -> None:
    """``genomics predict`` on the windows of a VCF: what was kept, then one row per window."""
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
    print(_header("window", names))
    for row in result["windows"]:
        print(_row(f"{row['chromosome']}:{row['start']}-{row['end']} ({row['snps']} SNPs)", row["values"], names))
    summary(result["summary"], names, "windows", result["output"] == "estimates")
    adequacy_rows(result["windows"], names, lambda row: f"{row['chromosome']}:{row['start']}-{row['end']}")


def summary(result: dict, names: list[str], rows: str, estimates: bool = False) -> None:
    """Mean, median, range (and for probabilities the share won) over the windows or data sets."""
    number = ".4g" if estimates else ".3f"
    if result["rows"] > 1:
        print(_row(f"mean over {result['rows']} {rows}", result["mean"], names, number))
        print(_row("median", result["median"], names, number))
        bound = "{:.4g}" if estimates else "{:.3f}"
        print(_texts("2.5-97.5% range", [bound.format(lo) + "-" + bound.format(hi)
                                         for lo, hi in zip(result["low"], result["high"])], names))
        if not estimates:
            print(_row(f"share of {rows} won", result["wins"], names))
    if not estimates:
        print(f"\nhighest mean: {names[int(numpy.argmax(result['mean']))]}")


def data_set_prediction(result: dict) -> None:
    """``genomics predict`` on data sets (matrix, ms, alignments, a VCF of loci): one row per data set."""
    names = result["columns"]
    print(f"{result['output']} per data set:")
    label = max([24, *(len(row["data_set"]) + 2 for row in result["data_sets"])])
    print(_header("data set".ljust(label) + "sites  missing", names, label + 14))
    for row in result["data_sets"]:
        print(_row(f"{row['data_set']:<{label}}{row['sites']:>5}  {row['missing_fraction']:>7.3f}", row["values"],
                   names, ".4g", label + 14))
        for level in ("0.5", "0.9"):
            if f"low_{level}" in row:
                print(_texts(f"  {float(level):.0%} interval (conformal):", [
                    f"{lo:.4g}-{hi:.4g}" for lo, hi in zip(row[f"low_{level}"], row[f"high_{level}"])], names,
                    label + 14))
        if "subsets" in row:
            print(_texts(f"  median of {row['subsets']} random SNP subsets (seed {row['subset_seed']}); 2.5-97.5%:",
                         [f"{lo:.3f}-{hi:.3f}" for lo, hi in zip(row["low"], row["high"])], names, label + 14))
            print(_row("  share of subsets won:", row["wins"], names, ".3f", label + 14))
    summary(result["summary"], names, "data sets", result["output"] == "estimates")
    adequacy_rows(result["data_sets"], names, lambda row: row["data_set"])
    if result["output"] != "estimates" and not result["output"].startswith("calibrated"):
        print("(this bundle was trained without a calibration split: the values are the network's raw softmax, "
              "not calibrated probabilities)")


def adequacy_rows(rows: list[dict], names: list[str], label_of: Callable[[dict], str]) -> None:
    """``predict --check``: for each window or data set, the tail share of each scenario, labelled."""
    if not rows or "adequacy" not in rows[0]:
        return
    print("\nadequacy: share of each scenario's simulations at least as far from its centre as the data "
          "(higher: the data look more like that scenario)")
    width = max(len(label_of(row)) for row in rows) + 2
    print(_header("", names, width + 20) + "   verdict")
    for row in rows:
        check = row["adequacy"]
        verdict = "ok" if check["adequate"] else "OUTSIDE every scenario"
        print(_row(f"{label_of(row)}".ljust(width) + "summary statistics", check["tail_share"], names, ".3f",
                   width + 20) + f"   {verdict}")
        if check.get("embedding_tail_share"):
            print(_row("".ljust(width) + "network embedding", check["embedding_tail_share"], names, ".3f",
                       width + 20))
    if not all(row["adequacy"]["adequate"] for row in rows):
        print("WARNING: some data lie outside 99% of every scenario's simulations: their model choice is not to be "
              "trusted")


def scores(results: dict, budgets: dict) -> None:
    """One line per method: accuracy, log-loss, Brier, ECE on its replicates, and its simulation budget."""
    width = max(len(name) for name in results) + 2
    print("method".ljust(width) + "replicates  accuracy  log-loss   Brier     ECE   simulations used")
    for name, result in results.items():
        score = next(iter(result.scores.values()))
        print(name.ljust(width) + f"{result.samples:>10d}  {score['accuracy']:8.3f}  {score['log_loss']:8.4f}  "
              f"{score['brier']:6.4f}  {score['ece']:6.4f}   {budgets.get(name, '')}")


def abc_observed(outcome: dict, labels: list[str], tolerance: float) -> None:
    """``genomics abc`` on data: each data set's posterior model probabilities and Bayes factors, per method."""
    names = outcome["scenario_names"]
    notes(outcome["notes"])
    print(f"reference table: {outcome['reference']} simulations; tolerance {tolerance:g}")
    print("(how far to trust these posteriors: 'genomics abc SIMS' scores each method's calibration, its ECE, "
          "on held-out replicates)\n")
    for method, rows in outcome["methods"].items():
        for label, row in zip(labels, rows):
            print(f"{label}, {method}: posterior model probabilities ({row['accepted_count']} accepted)")
            print(_header("", names, 0))
            print(_row("", row["posterior"], names, ".4f", 0))
            best = int(numpy.argmax(row["posterior"]))
            factors = row["bayes_factors"][best]
            print(f"Bayes factors of {names[best]} against each:" + "".join(
                f" {name} {factor:.3g};" for name, factor in zip(names, factors) if name != names[best]) + "\n")


def abc_held_out(outcome: dict, split_seed: int) -> None:
    """``genomics abc`` without data: every method's scores on the held-out replicates."""
    notes(outcome["notes"])
    print(f"ABC on {outcome['scored']} held-out replicates (the test split of 'genomics train --split-seed "
          f"{split_seed}'), reference table of {outcome['reference']} simulations\n")
    scores(outcome["results"], {name: f"{outcome['reference']}" for name in outcome["results"]})
    for name, result in outcome["results"].items():
        print(f"\n{name}\n{result.report()}")


def check(result: dict) -> None:
    """``genomics check`` of one data set: each scenario's tail share, named, and the verdict."""
    names = result["scenario_names"]
    alpha = result["alpha"]
    notes(result["notes"])
    print(f"adequacy: share of each scenario's simulations at least as far from its centre as the data "
          f"(Mahalanobis distance, {result['components']} principal components of {len(result['statistics'])} "
          "statistics):")
    print(_header("", names))
    print(_row("summary statistics", result["tail_share"], names))
    if "embedding_tail_share" in result:
        print(_row("network embedding", result["embedding_tail_share"], names))
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


def comparison(outcome: dict, fresh_test_folder: bool) -> None:
    """``genomics compare``: every method's scores on the same held-out replicates."""
    notes(outcome["notes"])
    source = "the fresh test folder" if fresh_test_folder else "the bundle's test split"
    print(f"every method on the same {outcome['scored']} held-out replicates ({scored_sizes(outcome)}; at most "
          f"{outcome['settings'].per_scenario} per scenario drawn from the {outcome['test']} of {source}); "
          f"CNN values: {outcome['output']}; ABC tolerance {outcome['settings'].tolerance:g}\n")
    scores(outcome["results"], outcome["budgets"])


def scored_sizes(outcome: dict) -> str:
    """The replicates of each scenario that a comparison scored, named: "panmixia 60, divergence 60"."""
    counts = numpy.bincount(outcome["results"]["CNN"].labels, minlength=len(outcome["scenario_names"]))
    return ", ".join(f"{name} {count}" for name, count in zip(outcome["scenario_names"], counts))


def observed_comparison(outcome: dict) -> None:
    """``genomics compare`` with data: the CNN's values and each ABC method's posterior, per data set."""
    names = outcome["columns"]
    print(f"\nthe observed data ({outcome['output']} of the CNN; ABC posteriors on {outcome['reference']} "
          "simulations):")
    label = max([LABEL, *(len(f"{row[0]}: {row[1]}") + 2 for row in outcome["rows"])])
    print(_header("data set", names, label))
    for data_set, method, values in outcome["rows"]:
        print(_row(f"{data_set}: {method}", values, names, ".4f", label))


def demo_step(step: str, facts: dict) -> None:
    """What ``genomics demo`` is doing (``genomics.demo.run_demo``'s announcements)."""
    if step == "start":
        print(f"genomics demo: everything goes to {facts['out']}\n")
    elif step == "simulate":
        print("1. simulate the built-in three-population scenarios (msprime)")
        for scenario in facts["scenarios"]:
            print(f"   {scenario.name}: {scenario.description}")
        design = facts["design"]
        print(f"   design: populations {design.populations}, {design.samples} diploid individuals, "
              f"{design.sequence_length:g} bp; {facts['replicates']} replicates per scenario "
              f"(simulation seed {facts['seed']})")
    elif step == "train":
        print(f"\n2. train {facts['networks']} on {facts['seen']}, early stopping on a validation split")
    elif step == "trained":
        print("\n3. evaluate on held-out simulations")
        training(facts["result"])
    elif step == "predict":
        print("\n4. predict on a VCF (a divergence data set from the same simulator, with a seed the training never "
              "saw), and check each window's adequacy")
        print(f"   {facts['vcf']} with {facts['popmap']}; true parameters: "
              + ", ".join(f"{k}={v:.3g}" for k, v in facts["parameters"].items()))
    elif step == "predicted":
        vcf_prediction(facts["result"])
    elif step == "compare":
        print(f"\n5. the CNN beside ABC (per-locus statistics; rejection, mnlogistic, neuralnet) on the same "
              f"test replicates (at most {facts['settings'].per_scenario} per scenario)")
    elif step == "compared":
        print(f"   {facts['result']['scored']} replicates scored: {scored_sizes(facts['result'])}")
        scores(facts["result"]["results"], facts["result"]["budgets"])
    elif step == "finished":
        print(f"\ndemo finished in {facts['seconds']:.0f} s; outputs in {facts['out']}")


def posterior_calibration(calibration: dict) -> None:
    """``genomics posterior``: coverage per credible level and the SBC p-value of each target, on held-out
    replicates (``posterior_checks.describe``), with how to read them."""
    print(posterior_checks.describe(calibration))
    print(f"(a calibrated posterior covers each level's share of the {calibration['simulations']} held-out "
          "replicates, within about two standard errors; ranks that are NOT uniform by the SBC test say the "
          "posterior is over- or under-confident or biased)")


def posterior_summary(rows: list[dict]) -> None:
    """``genomics posterior`` on observed data: per data set and target, the posterior in natural units."""
    levels = [key[4:] for key in rows[0] if key.startswith("low_")]
    print("data set".ljust(LABEL) + "target".ljust(16) + "mean".rjust(12) + "median".rjust(12) + "sd".rjust(12)
          + "".join(f"{level}% interval".rjust(26) for level in levels))
    for row in rows:
        print(str(row["data_set"])[:LABEL - 1].ljust(LABEL) + str(row["target"])[:15].ljust(16)
              + "".join(f"{row[key]:12.4g}" for key in ("mean", "median", "sd"))
              + "".join(f"[{row['low_' + level]:.4g}, {row['high_' + level]:.4g}]".rjust(26) for level in levels))


def posterior_predictive(results: list[dict], labels: list[str]) -> None:
    """``genomics posterior``: per data set, where each observed statistic falls among the posterior predictive
    replicates, and the adequacy check's distances (``genomics.baselines.posterior_predictive``)."""
    for label, result in zip(labels, results):
        distance, prior = result["predictive_distance"], result.get("prior_predictive_distance")
        print(f"\n{label}: posterior predictive check ({result['replicates']} replicates of {result['scenario']}"
              + (f"; drawn from the prior: {', '.join(result['drawn_from_prior'])}" if result["drawn_from_prior"]
                 else "") + ")")
        print("statistic".ljust(16) + "observed".rjust(12) + "predicted".rjust(12) + "sd".rjust(12)
              + "quantile".rjust(10) + "p-value".rjust(10))
        for row in result["statistics"]:
            print(row["statistic"][:15].ljust(16) + "".join(f"{row[key]:12.4g}" for key in
                                                            ("observed", "predicted_mean", "predicted_sd"))
                  + f"{row['quantile']:10.3f}{row['p_value']:10.3f}" + ("  flagged" if row["flagged"] else ""))
        print(f"distance to the replicates: D^2 = {distance['squared_distance']:.3g} on {distance['components']} "
              f"components, tail share {distance['tail_share']:.3f}"
              + (f"; to the scenario's simulations: tail share {prior['tail_share']:.3f}" if prior else ""))
        verdict = "reproduced" if result["reproduced"] else "NOT reproduced"
        print(f"{verdict} (tail share {'>=' if result['reproduced'] else '<'} {result['alpha']:g}); statistics with "
              f"p < {result['statistic_alpha']:g}: {', '.join(result['flagged']) or 'none'}")


def written(path: str, what: str = "") -> None:
    print(f"wrote {path}{': ' + what if what else ''}")
