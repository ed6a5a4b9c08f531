"""Whole runs of the baselines that one command asks for: ABC scored on held-out replicates, the CNN beside
ABC on observed data, and the adequacy check of every data set (with its files written).

Each function takes loaded or named inputs and returns plain results; printing is the caller's
(``genomics.cli.report``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Callable

from genomics import pipeline
from genomics.baselines import abc, adequacy, comparison
from genomics.observed.readers import Genotypes
from genomics.simulation.run import SimulatedData
from genomics.simulation.store import ShardReader


def abc_held_out(data: SimulatedData, table: Any, names: list[str], settings: comparison.AbcSettings,
                 tolerances: list[float], split: pipeline.TrainingConfig) -> dict:
    """ABC scored on the test split that ``genomics train`` makes with ``split``'s settings, once per tolerance
    (cv4postpr's tols). Returns {"results": {name: Evaluation}, "notes", "reference", "scored"}: the sizes
    are the numbers of replicates in the reference table and scored."""
    reference, scored, _ = comparison.held_out(data, pipeline.split_replicates(data.labels, split),
                                               settings.per_scenario, settings.seed)
    results, notes = {}, []
    for tolerance in tolerances:  # one confusion matrix per tolerance; each name says its method and tolerance
        scores, notes = comparison.score_abc(table, names, data, reference, scored,
                                             dataclasses.replace(settings, tolerance=tolerance))
        results.update(scores)
    return {"results": results, "notes": notes, "reference": int(len(reference)), "scored": int(len(scored))}


def compare_observed(simulations: str, bundle: str, data_sets: list[Genotypes], labels: list[str],
                     settings: comparison.AbcSettings, executor: Any = None,
                     progress: Callable[[int, int], None] | None = None) -> dict:
    """The CNN's values and each ABC method's posterior model probabilities for every observed data set.

    Returns {"output", "columns", "labels", "reference", "rows"}: ``rows`` is a list of (label, method, values)
    with method "CNN" or "ABC <method>", values one per scenario (``columns``)."""
    prediction = pipeline.predict_genotypes(bundle, data_sets, labels)
    replicates = ShardReader(simulations)  # read a few shards at a time: only the statistics table is kept
    table, names = abc.statistics_table(replicates, settings.folded, executor, progress=progress)
    posteriors = comparison.abc_observed(replicates.data, table, names, data_sets, settings)
    rows = []
    for index, (label, entry) in enumerate(zip(labels, prediction["data_sets"])):
        rows.append((label, "CNN", list(entry["values"])))
        for method, method_rows in posteriors["methods"].items():
            rows.append((label, f"ABC {method}", list(method_rows[index]["posterior"])))
    return {"output": prediction["output"], "columns": prediction["columns"], "reference": posteriors["reference"],
            "rows": rows}


def check_data_sets(simulations: str, bundle: str | None, data_sets: list[Genotypes], per_scenario: int,
                    alpha: float, posterior_predictive: int, out: str | None,
                    progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """``adequacy.check_data_set`` of every data set against ``per_scenario`` simulations of each scenario;
    with ``out``, each result as ``adequacy[_N].json`` and its PCA picture beside it (N from 1 when several)."""
    reference = adequacy.reference(simulations, bundle, per_scenario, progress=progress)
    results = []
    for number, data_set in enumerate(data_sets):
        suffix = "" if len(data_sets) == 1 else f"_{number + 1}"
        picture = os.path.join(out, f"adequacy_pca{suffix}.png") if out else None
        result = adequacy.check_data_set(reference, data_set, alpha, posterior_predictive, picture)
        if out:
            with open(os.path.join(out, f"adequacy{suffix}.json"), "w") as handle:
                json.dump({k: v for k, v in result.items() if not k.startswith("pca_")}, handle, indent=1)
        results.append(result)
    return results


def adequacy_check(simulations: str, bundle: str, per_scenario: int,
                   progress: Callable[[int, int], None] | None = None) -> Callable[[Genotypes], dict]:
    """A function checking one data set or window against ``simulations`` (``predict --check``): it returns
    ``adequacy.summary`` of ``adequacy.check_data_set``."""
    reference = adequacy.reference(simulations, bundle, per_scenario, progress=progress)
    return lambda data_set: adequacy.summary(adequacy.check_data_set(reference, data_set))

