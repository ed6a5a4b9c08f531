"""The sections of a run's report, each an HTML fragment built from a ``RunFolder`` (``genomics.report.html``
puts them on one page).

Every section function takes the run folder and returns (title, HTML body); a section whose files the run
lacks returns one line saying what is absent and which command writes it. Numbers are written with the
precision the run's files give them meaning at (three decimals for shares and scores).
"""

from __future__ import annotations

import html
import os
from typing import Any, Callable

from genomics.report.figures import embedded_file, figure
from genomics.report.run_folder import RunFolder
from minidl import plot


def escape(value: Any) -> str:
    return html.escape(str(value))


def number(value: Any) -> str:
    """A number as a report shows it: integers as they are, others with three significant decimals."""
    if isinstance(value, bool) or value is None:
        return escape(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.3g}"
    return escape(value)


def table(header: list, rows: list[list], caption: str = "") -> str:
    """An HTML table; every cell escaped (numbers through ``number``)."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{number(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    caption = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def absent(what: str) -> str:
    return f'<p class="absent">Absent: {escape(what)}</p>'


def prior_text(prior: Any) -> str:
    """A prior's specification as a reader writes it: ``{"log_uniform": [1000, 100000]}`` -> "log_uniform 1000 to
    100000"; a fixed number as itself."""
    if isinstance(prior, dict):
        return "; ".join(f"{kind} " + (" to ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in values)
                                      if isinstance(values, list) else str(values)) for kind, values in prior.items())
    return f"{prior:g}" if isinstance(prior, (int, float)) else str(prior)


def settings_section(run: RunFolder) -> str:
    metadata = run.metadata
    if not metadata:
        return absent("no bundle (model.npz) in this folder, so no training settings; genomics train writes one.")
    training = metadata.get("training", {})
    config = training.get("config", {})
    rows = [["network", metadata.get("network")], ["task", metadata.get("task", "classification")],
            ["simulations", training.get("simulations")],
            ["replicates per scenario", training.get("replicates_per_scenario")],
            ["split (replicates)", ", ".join(f"{k} {v}" for k, v in training.get("split", {}).items())],
            ["epochs run", training.get("epochs_run")], ["kept epoch (best validation)", training.get("best_epoch")]]
    rows += [[key, value] for key, value in config.items() if value is not None and key not in ("network", "task")]
    bundles = ", ".join(sorted(run.bundles)) or "none"
    return f"<p>Run folder <code>{escape(os.path.abspath(run.path))}</code>; bundles: {escape(bundles)}.</p>" + \
        table(["setting", "value"], rows)


def scenarios_section(run: RunFolder) -> str:
    from genomics.report.demography import draw_demography  # noqa: PLC0415 - msprime and demes are heavy
    from genomics.scenario.scenario import Scenario  # noqa: PLC0415

    metadata = run.metadata
    specs = metadata.get("scenario_specs") or []
    if not specs:
        return absent("the bundle holds no scenario definitions (scenario_specs).")
    parts = []
    for spec in specs:
        priors = [[name, prior_text(value)] for name, value in spec.get("priors", {}).items()]
        try:
            picture = figure(lambda path, spec=spec: draw_demography(Scenario(spec), path),
                             f"the demography of {spec.get('name')}")
        except Exception as error:  # a definition this version cannot read: said, not crashed on
            picture = absent(f"a picture of {spec.get('name')!r}: its definition could not be read ({error}).")
        parts.append(f'<div class="scenario"><h3>{escape(spec.get("name"))}</h3>'
                     f'<p>{escape(spec.get("description", ""))}</p>{picture}'
                     + table(["parameter", "prior"], priors) + "</div>")
    return '<div class="grid">' + "".join(parts) + "</div>"


def encoding_section(run: RunFolder) -> str:
    metadata = run.metadata
    if "encoder" not in metadata:
        return absent("the bundle holds no encoder settings.")
    design = metadata.get("design", {})
    return table(["encoder setting", "value"], [[k, v] for k, v in metadata["encoder"].items()]) + \
        table(["sampling design", "value"], [[k, v] for k, v in design.items() if not isinstance(v, (list, dict))]
              + [[k, ", ".join(map(str, v))] for k, v in design.items() if isinstance(v, list)
                 and not any(isinstance(x, dict) for x in v)])


def training_section(run: RunFolder) -> str:
    evaluation, metadata = run.evaluation, run.metadata
    histories = evaluation.get("member_histories") or ([evaluation["history"]] if evaluation.get("history") else [])
    ensemble = metadata.get("ensemble") or {}
    kept = ensemble.get("member_best_epochs") or [metadata.get("training", {}).get("best_epoch")]
    if not histories:
        return absent("no training history (evaluation.json's history); genomics train writes it.")
    members = ensemble.get("members", 1)
    names = [f"member {k + 1} (init seed {seed})" for k, seed in enumerate(ensemble.get("init_seeds", []))] or None
    text = ""
    if members > 1 and len(histories) < members:
        text = (f"<p>The run folder holds the curves of member 1 only (evaluation.json's history); the table gives "
                f"every one of the {members} members' epochs run and kept epoch.</p>")
    picture = figure(lambda path: plot.training_curves(histories, path, (names or [])[:len(histories)] or None,
                                                       kept[:len(histories)]),
                     "training and validation curves with the kept epoch ringed")
    if members > 1:
        seeds = ensemble.get("init_seeds", [None] * members)
        rows = [[f"member {k + 1}", seeds[k], ensemble.get("member_epochs_run", [None] * members)[k], kept[k],
                 ensemble.get("member_test_accuracy", [None] * members)[k],
                 ensemble.get("member_temperatures", [None] * members)[k]] for k in range(members)]
        text += table(["member", "init seed", "epochs run", "kept epoch", "test accuracy", "temperature"], rows)
    return picture + text


def calibration_section(run: RunFolder) -> str:
    evaluation, metadata = run.evaluation, run.metadata
    scores = evaluation.get("scores") or metadata.get("training", {}).get("test_scores")
    if not scores:
        return absent("no held-out scores (evaluation.json); genomics train or evaluate --out writes them.")
    if evaluation.get("task") == "regression" or metadata.get("task") == "regression":
        estimates = run.picture("estimates")  # train writes it for a regression: estimated against true
        return "<p>Held-out scores of the parameter estimates.</p>" + table(
            ["parameter", *next(iter(scores.values())).keys()], [[name, *row.values()] for name, row in scores.items()]
        ) + (embedded_file(estimates, "estimated against true values, held-out replicates") if estimates else "")
    calibration = metadata.get("calibration") or evaluation.get("calibration")
    text = absent("no temperature was fitted (no calibration split); genomics calibrate fits one.") \
        if not calibration else (
        f"<p>{escape(calibration.get('method', 'temperature scaling'))} on {calibration.get('replicates')} "
        f"calibration replicates: T = {number(calibration.get('temperature'))}; log-loss there "
        f"{number(calibration.get('log_loss_before'))} before, {number(calibration.get('log_loss_after'))} after.</p>")
    eces = [row.get("ece") for row in scores.values()]
    if len(eces) > 1 and None not in eces and eces[-1] > eces[0]:
        text += '<p class="warning">Calibration made the held-out ECE worse ' \
                f"({number(eces[0])} before, {number(eces[-1])} after).</p>"
    text += table(["output", "accuracy", "log-loss", "Brier", "ECE (10 bins)"],
                  [[name, row.get("accuracy"), row.get("log_loss"), row.get("brier"), row.get("ece")]
                   for name, row in scores.items()], f"held-out test replicates: {evaluation.get('samples', '')}")
    if evaluation.get("reliability"):
        text += figure(lambda path: plot.reliability_diagram(evaluation["reliability"], path,
                                                             "Reliability on held-out replicates"),
                       "reliability diagram")
    return text


def confusion_section(run: RunFolder) -> str:
    evaluation = run.evaluation
    if "confusion_matrix" not in evaluation:
        return absent("no confusion matrix (evaluation.json); a classification run's train or evaluate writes it.")
    counts, names = evaluation["confusion_matrix"], evaluation["scenario_names"]
    rates = evaluation.get("confusion_rates") or [[c / max(sum(row), 1) for c in row] for row in counts]
    rows = [[name, *(f"{c} ({r:.0%})" for c, r in zip(count_row, rate_row)), sum(count_row)]
            for name, count_row, rate_row in zip(names, counts, rates)]
    title = f"Confusion matrix of {sum(map(sum, counts))} held-out simulations"
    text = figure(lambda path: plot.confusion_matrix(counts, path, names, title),
                  "confusion matrix with counts and row rates")
    text += table(["true \\ predicted", *names, "replicates"], rows, "counts (share of the true scenario)")
    if "precision" in evaluation:
        text += table(["scenario", "precision", "recall", "F1"],
                      [[n, p, r, f] for n, p, r, f in zip(names, evaluation["precision"], evaluation["recall"],
                                                          evaluation["f1"])])
    return text


def abc_section(run: RunFolder) -> str:
    if not run.comparisons:
        return absent("no comparison with ABC; genomics compare SIMULATIONS BUNDLE --out RUN/comparison.json "
                      "writes one.")
    text = ""
    for name, comparison in run.comparisons.items():
        rows = []
        for method, result in comparison["results"].items():
            for output, row in result.get("scores", {}).items():
                rows.append([method, "" if output == method else output, result.get("accuracy"), row.get("log_loss"),
                             row.get("brier"), row.get("ece"), comparison.get("budgets", {}).get(method)])
        text += table(["method", "output", "accuracy", "log-loss", "Brier", "ECE", "simulations"], rows, name)
        text += "".join(f"<p>{escape(note)}</p>" for note in comparison.get("notes", []))
    return text


def adequacy_section(run: RunFolder) -> str:
    if not run.adequacy:
        return absent("no adequacy check; genomics check SIMULATIONS DATA --bundle BUNDLE --out RUN writes one.")
    text = ""
    for name, result in run.adequacy.items():
        names = result.get("scenario_names") or run.metadata.get("scenario_names") or []
        rows = [[scenario, share, (result.get("embedding_tail_share") or [None] * len(names))[k]]
                for k, (scenario, share) in enumerate(zip(names, result["tail_share"]))]
        verdict = "adequate" if result.get("adequate") else "outside every scenario"
        text += f"<h3>{escape(name)}: {verdict} (alpha {number(result.get('alpha'))})</h3>"
        text += table(["scenario", "tail share (statistics)", "tail share (embedding)"], rows)
        stem = os.path.splitext(name)[0].replace("adequacy", "adequacy_pca", 1)
        if run.picture(stem):
            text += embedded_file(run.picture(stem), f"principal components of {name}")
    return text


def prediction_rows(prediction: dict) -> tuple[list, list]:
    """(header, rows) of a ``predict --out`` file: a label, each column's value with its interval when given."""
    columns = prediction.get("columns") or prediction.get("scenario_names") or []
    entries = prediction.get("windows") or prediction.get("data_sets") or []
    rows = []
    for entry in entries:
        label = f"{entry['chromosome']}:{entry['start']}-{entry['end']} ({entry.get('snps')} SNPs)" \
            if "chromosome" in entry else str(entry.get("data_set"))
        cells = []
        for k, value in enumerate(entry.get("values", [])):
            cell = number(float(value))
            levels = sorted(key[4:] for key in entry if key.startswith("low_"))
            if levels:  # a regression's conformal intervals, the widest level shown
                level = levels[-1]
                cell += f" [{number(float(entry['low_' + level][k]))}, {number(float(entry['high_' + level][k]))}]" \
                        f" ({float(level):.0%})"
            elif "member_sd" in entry:
                cell += f" ± {number(float(entry['member_sd'][k]))}"
            cells.append(cell)
        adequacy = entry.get("adequacy")
        rows.append([label, *cells, ("adequate" if adequacy.get("adequate") else "outside") if adequacy else ""])
    return ["data", *columns, "adequacy"], rows


def predictions_section(run: RunFolder) -> str:
    if not run.predictions:
        return absent("no predictions; genomics predict BUNDLE DATA --out RUN/predictions.json writes them.")
    text = ""
    for name, prediction in run.predictions.items():
        header, rows = prediction_rows(prediction)
        spread = any("member_sd" in entry for entry in prediction.get("windows") or prediction.get("data_sets") or [])
        note = " ± the ensemble members' standard deviation" if spread else ""
        text += table(header, rows, f"{name}: {prediction.get('output', '')}{note}")
    return text


def versions_section(run: RunFolder) -> str:
    training = run.metadata.get("training", {})
    rows = [[name, version] for name, version in training.get("versions", {}).items()]
    seeds = [["master seed (simulations)", training.get("master_seed")]]
    seeds += [[f"{name} seed", value] for name, value in training.get("seeds", {}).items()]
    if run.metadata.get("ensemble"):
        seeds.append(["ensemble init seeds", ", ".join(map(str, run.metadata["ensemble"].get("init_seeds", [])))])
    for name, prediction in run.predictions.items():
        if "haplotype_seed" in prediction:
            seeds.append([f"haplotype seed ({name})", prediction["haplotype_seed"]])
    text = table(["package", "version"], rows) if rows else absent("no package versions in the bundle.")
    skipped = "".join(f"<li>{escape(n)}: {escape(why)}</li>" for n, why in run.skipped)
    return text + table(["seed", "value"], seeds) + (f"<p>Files not read:</p><ul>{skipped}</ul>" if skipped else "")


SECTIONS: list[tuple[str, str, Callable[[RunFolder], str]]] = [
    ("settings", "Settings", settings_section), ("scenarios", "Scenarios", scenarios_section),
    ("encoding", "Encoding", encoding_section), ("training", "Training curves", training_section),
    ("calibration", "Scores and calibration", calibration_section),
    ("confusion", "Confusion matrix", confusion_section), ("abc", "ABC beside the CNN", abc_section),
    ("adequacy", "Adequacy", adequacy_section), ("predictions", "Predictions", predictions_section),
    ("versions", "Versions and seeds", versions_section),
]
"""(id, title, builder) of each section, in page order."""
