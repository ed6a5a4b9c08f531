"""ABC beside the CNN on the same simulations: held-out scores, observed data, the hybrid, the statistics table.

The held-out replicates are the CNN's test split (``genomics.pipeline.split.split_replicates``
with the same settings), and ABC's reference table is every other replicate
(train, validation and calibration together): both methods see the same
simulation budget and are scored on the same replicates. Regression ABC fits
one model per target, so held-out scoring uses a stratified subsample of
the test split (``per_scenario`` replicates of each scenario, like
``cv4postpr``'s ``nval``); the CNN is scored on that subsample too.

The hybrid (the group's post-2021 studies) uses the network's calibrated
probabilities as the summary statistics (the last one left out: they sum
to 1). The network was fitted on the train split, so the hybrid's reference
table is the validation and calibration replicates only, which the network
never fitted.
"""

from __future__ import annotations

import csv
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from genomics.baselines import abc
from genomics.learning.evaluation import Evaluation
from genomics.observed.readers import Genotypes
from genomics.simulation.run import SimulatedData, load_simulations
from genomics.simulation.store import ShardReader
from genomics.bundle import Bundle
from genomics.pipeline.config import TrainingConfig
from genomics.pipeline.calibrate import network_logits
from genomics.pipeline.encode import BATCH_SIZE, map_encoded
from genomics.pipeline.outputs import temperature_output
from genomics.pipeline.split import Split, split_replicates
from genomics.errors import SettingError, braces_doubled


@dataclass(frozen=True)
class AbcSettings:
    """How ABC is run; these defaults (and help texts) are the command line's."""

    methods: str = field(default="rejection,mnlogistic,neuralnet", metadata={
        "help": "comma-separated ABC methods: rejection, mnlogistic, neuralnet (as R abc's postpr)"})
    tolerance: float = field(default=0.05, metadata={"help": "fraction of the reference table accepted"})
    pca: float = field(default=None, metadata={
        "help": "keep the principal components of the standardised statistics explaining this fraction of the "
                "variance (e.g. 0.99; default: the statistics themselves)"})
    networks: int = field(default=3, metadata={"help": "neuralnet: networks averaged per target (R abc: 10)"})
    per_scenario: int = field(default=100, metadata={
        "help": "held-out replicates of each scenario scored (cv4postpr's nval)"})
    folded: bool = field(default=True, metadata={
        "help": "theta_H and H on minor-allele counts (for data without ancestral states)"})
    seed: int = field(default=0, metadata={"help": "seed of the held-out subsample and the networks"})
    r_compatible: bool = field(default=False, metadata={
        "help": "use R abc 2.2.2's postpr/cv4postpr choices: rejection shares when a scenario has no accepted "
                "simulation, unweighted mnlogistic without a ridge, probabilities corrected for the number of "
                "simulations per scenario, degenerate fits only warned about"})
    fallback: str = field(default=None, metadata={
        "choices": ("regress", "rejection"),
        "help": "regression methods when a scenario has no accepted simulation: regress on the scenarios that have "
                "some, or give the rejection shares as R does (default regress, rejection with --r-compatible)"})
    guard: str = field(default=None, metadata={
        "choices": ("reduce", "warn", "off"),
        "help": "a degenerate mnlogistic fit (as many coefficients as accepted rows, or separated scenarios): "
                "refit on leading principal components, only warn, or say nothing (default reduce, warn with "
                "--r-compatible)"})

    def __post_init__(self) -> None:
        unknown = [m for m in self.method_list if m not in abc.METHODS]
        if unknown or not self.method_list:
            raise ValueError(f"methods must be among {', '.join(abc.METHODS)}, got {self.methods!r}")
        if not (isinstance(self.tolerance, (int, float)) and 0 < self.tolerance <= 1):
            raise ValueError(f"tolerance must be in (0, 1], got {self.tolerance!r}")
        if self.pca is not None and not 0 < self.pca <= 1:
            raise ValueError(f"pca must be a fraction of variance in (0, 1], got {self.pca!r}")
        for name in ("networks", "per_scenario"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.fallback not in (None, "regress", "rejection"):
            raise ValueError(f"fallback must be 'regress' or 'rejection', got {self.fallback!r}")
        if self.guard not in (None, "reduce", "warn", "off"):
            raise ValueError(f"guard must be 'reduce', 'warn' or 'off', got {self.guard!r}")

    @property
    def postpr_options(self) -> dict:
        """The choices ``abc.postpr`` takes from these settings (None: genomics' default, or R's)."""
        return {"r_compatible": bool(self.r_compatible), "fallback": self.fallback, "guard": self.guard}

    @property
    def method_list(self) -> list[str]:
        return [m.strip() for m in self.methods.split(",") if m.strip()]


def sample_per_scenario(pool: numpy.ndarray, labels: numpy.ndarray, classes: int, count: int,
                        seed: int) -> numpy.ndarray:
    """Up to ``count`` indices of each scenario drawn from ``pool`` (seeded), scenario by scenario."""
    generator = numpy.random.default_rng(seed)
    return numpy.concatenate([generator.permutation(pool[labels[pool] == k])[:count] for k in range(classes)])


def held_out(data: SimulatedData, split: Split, per_scenario: int,
             seed: int) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(reference, scored, full test) indices: everything outside the test split, a stratified subsample of
    ``per_scenario`` test replicates per scenario, and the whole test split."""
    scored = sample_per_scenario(split.test, data.labels, len(data.scenario_names), per_scenario, seed)
    return numpy.sort(numpy.concatenate([split.train, split.validation, split.calibration])), scored, split.test


def abc_posteriors(statistics: abc.Statistics, labels: numpy.ndarray, targets: numpy.ndarray, classes: int,
                   settings: AbcSettings, method: str) -> numpy.ndarray:
    """(targets, classes) posterior model probabilities of transformed target rows against the reference.

    Runs of 200 targets or more say how far they are on stderr (regression
    ABC on a large reference table takes minutes).
    """
    scale = abc.mad_scale(statistics.reference)
    posteriors, incomplete, degenerate, started = [], 0, 0, time.perf_counter()
    with warnings.catch_warnings():  # one summary sentence per call instead of one warning per target
        warnings.simplefilter("ignore")
        for row, target in enumerate(targets):
            fit = abc.postpr(target, statistics.reference, labels, classes, settings.tolerance, method, scale,
                             settings.networks, seed=settings.seed + row, **settings.postpr_options)
            posteriors.append(fit["posterior"])
            incomplete, degenerate = incomplete + bool(fit["incomplete"]), degenerate + bool(fit["degenerate"])
            if len(targets) >= 200 and (row + 1) % (len(targets) // 10) == 0:
                print(f"  ABC {method}: {row + 1}/{len(targets)} targets ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)
    if incomplete or degenerate:
        warnings.warn(f"ABC {method} at tolerance {settings.tolerance}: of {len(targets)} targets, {incomplete} had "
                      f"a scenario missing among the accepted ones and {degenerate} a degenerate fit (see --fallback "
                      "and --guard)", stacklevel=2)
    return numpy.array(posteriors)


def score_abc(table: numpy.ndarray, names: list[str], data: SimulatedData, reference: numpy.ndarray,
              scored: numpy.ndarray, settings: AbcSettings, label: str = "ABC") -> tuple[dict, list[str]]:
    """{"ABC (method)": Evaluation} on the scored replicates, and the notes of the statistics' preparation."""
    statistics = abc.prepare(table[reference], names, settings.pca)
    targets = statistics.transform(table[scored])
    results = {}
    for method in settings.method_list:
        posteriors = abc_posteriors(statistics, data.labels[reference], targets, len(data.scenario_names),
                                    settings, method)
        name = f"{label} {method} (tolerance {settings.tolerance:g})"
        results[name] = Evaluation(data.scenario_names, data.labels[scored], {name: posteriors})
    return results, statistics.notes


def bundle_config(bundle: Bundle, data: SimulatedData, simulations: str,
                  rebuild_test_split: bool = True) -> TrainingConfig:
    """The bundle's training settings, after checking that ``simulations`` is the folder it was trained on.

    A bundle trained before the four-way split has settings whose test
    split cannot be rebuilt: an error, unless ``rebuild_test_split`` is False
    (every replicate it used is then taken together, and its settings are
    read with no calibration split).
    """
    training = bundle.training
    bundle.check_same_scenarios(data.manifest, simulations)
    if data.scenario_names != bundle.scenario_names or \
            data.manifest["master_seed"] != training["master_seed"] or \
            data.manifest["replicates_per_scenario"] != training["replicates_per_scenario"]:
        raise ValueError(f"{simulations!r} is not the simulation folder this bundle was trained on (scenarios "
                         f"{bundle.scenario_names}, master seed {training['master_seed']}, "
                         f"{training['replicates_per_scenario']} replicates each): compare needs the same replicates "
                         "to keep the test split unseen")
    if "calibration_fraction" not in training["config"]:
        if rebuild_test_split:
            raise SettingError(f"{braces_doubled(repr(simulations))}: this bundle was trained before the four-way "
                               "split (train, validation, calibration, test), so its test split cannot be rebuilt: "
                               "score on fresh replicates with {test_simulations}")
        return TrainingConfig(**{**training["config"], "calibration_fraction": 0.0})
    return TrainingConfig(**training["config"])


def compare(simulations: str, bundle: str, settings: AbcSettings, hybrid: bool = True,
            test_simulations: str | None = None, executor: Any = None,
            progress: Callable[[int, int], None] | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """``compare_loaded`` of a simulation folder and a bundle file, each read once: the folder's replicates
    (and ``test_simulations``') read from their shards, a few shards at a time (``ShardReader``)."""
    return compare_loaded(ShardReader(simulations), simulations, Bundle.load(bundle), settings, hybrid,
                          test_simulations, executor, progress, batch_size)


def compare_loaded(source: SimulatedData | ShardReader, simulations: str, bundle: Bundle, settings: AbcSettings,
                   hybrid: bool = True, test_simulations: str | None = None, executor: Any = None,
                   progress: Callable[[int, int], None] | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """The CNN, ABC (each method) and the hybrid on the same held-out replicates, with each one's budget.

    Without ``test_simulations`` the scored replicates come from the bundle's
    test split of ``simulations``; ABC's reference table is the rest of the
    replicates the bundle used, and the hybrid's is its validation and
    calibration splits. With ``test_simulations`` (a fresh folder of the same
    scenarios) the scored replicates are drawn from it, ABC's reference
    table is every replicate the bundle used, and the hybrid's reference
    table is the fresh folder's unscored replicates (the network fitted none
    of them). ``executor``: where the summary statistics are computed
    (``genomics.simulation.cluster``; None: in this process). ``progress(done, total)``: the replicates whose
    summary statistics are done (``genomics.progress``). The network reads the replicates ``batch_size`` at a
    time (``genomics.pipeline.encode.map_encoded``): only their probabilities are kept, never all their images.

    ``source``: the folder read whole (``load_simulations``) or a ``ShardReader``
    of it: then no replicate's calls are held beyond a few shards, for the
    network as for ABC's statistics (``abc.statistics_table``), and peak
    memory is that of ``batch_size`` images whatever the number of replicates;
    the results are the same. ``test_simulations`` is read as ``source`` is.
    """
    data = source.data if isinstance(source, ShardReader) else source
    if bundle.is_regression:
        raise ValueError(f"{bundle.name} estimates parameters; compare puts scenario classifiers beside ABC")
    # With a fresh test folder every replicate the bundle used is in ABC's reference table: the split itself
    # does not matter, so an older bundle's settings do.
    config = bundle_config(bundle, data, simulations, rebuild_test_split=test_simulations is None)
    split = split_replicates(data.labels, config)
    if test_simulations is None:
        reference, scored, test = held_out(data, split, settings.per_scenario, settings.seed)
        fresh, fresh_source, hybrid_reference = data, source, numpy.concatenate([split.validation, split.calibration])
    else:
        fresh_source = ShardReader(test_simulations) if isinstance(source, ShardReader) \
            else load_simulations(test_simulations)
        fresh = fresh_source.data if isinstance(fresh_source, ShardReader) else fresh_source
        bundle.check_same_scenarios(fresh.manifest, test_simulations)  # names and definitions
        if fresh.manifest["master_seed"] == data.manifest["master_seed"]:
            raise ValueError(f"{test_simulations!r} has the training folder's master seed "
                             f"{data.manifest['master_seed']}: its replicates repeat the training replicates")
        reference = numpy.sort(numpy.concatenate([split.train, split.validation, split.calibration, split.test]))
        test = numpy.arange(len(fresh.labels))
        scored = sample_per_scenario(test, fresh.labels, len(fresh.scenario_names), settings.per_scenario,
                                     settings.seed)
        hybrid_reference = numpy.setdiff1d(test, scored)
    encoder = bundle.encoder
    classes = len(data.scenario_names)
    results: dict[str, Evaluation] = {}
    budgets: dict[str, str] = {}
    def network_values(replicates: SimulatedData | ShardReader, indices: numpy.ndarray) -> tuple[numpy.ndarray, str]:
        logits = map_encoded(lambda images: network_logits(bundle.model, images, bundle.network), replicates,
                             encoder, indices, batch_size)
        return temperature_output(logits, bundle.temperature)

    test_values, output = network_values(fresh_source, test)
    position = {index: row for row, index in enumerate(test)}
    scored_values = test_values[[position[i] for i in scored]]
    cnn_budget = (f"{len(split.train)} train + {len(split.validation)} validation"
                  + (f" + {len(split.calibration)} calibration" if len(split.calibration) else "") + " simulations")
    whole = f"CNN, whole test set ({len(test)})"
    results[whole] = Evaluation(data.scenario_names, fresh.labels[test], {output: test_values})
    results["CNN"] = Evaluation(data.scenario_names, fresh.labels[scored], {output: scored_values})
    budgets[whole] = budgets["CNN"] = cnn_budget
    table, names = abc.statistics_table(source, settings.folded, executor, progress=progress)
    fresh_table = table if fresh is data else abc.statistics_table(fresh_source, settings.folded, executor,
                                                                   progress=progress)[0]
    statistics = abc.prepare(table[reference], names, settings.pca)
    targets = statistics.transform(fresh_table[scored])
    for method in settings.method_list:
        name = f"ABC {method}"
        posteriors = abc_posteriors(statistics, data.labels[reference], targets, classes, settings, method)
        results[name] = Evaluation(data.scenario_names, fresh.labels[scored], {name: posteriors})
        budgets[name] = f"{len(reference)} simulations in the reference table"
    if hybrid:
        if test_simulations is None:
            hybrid_values = network_values(source, hybrid_reference)[0]
        else:
            hybrid_values = test_values[[position[i] for i in hybrid_reference]]
        hybrid_statistics = abc.prepare(hybrid_values[:, :-1], [f"p_{n}" for n in data.scenario_names[:-1]],
                                        settings.pca)
        hybrid_targets = hybrid_statistics.transform(scored_values[:, :-1])
        for method in settings.method_list:
            name = f"hybrid ABC {method}"
            posteriors = abc_posteriors(hybrid_statistics, fresh.labels[hybrid_reference], hybrid_targets, classes,
                                        settings, method)
            results[name] = Evaluation(data.scenario_names, fresh.labels[scored], {name: posteriors})
            budgets[name] = f"the CNN's + {len(hybrid_reference)} simulations in the reference table"
    return {"scenario_names": data.scenario_names, "output": output, "results": results, "budgets": budgets,
            "notes": statistics.notes, "scored": int(len(scored)), "test": int(len(test)), "settings": settings}


def export_table(path: str, table: numpy.ndarray, names: list[str], data: SimulatedData,
                 parameters: list[dict] | None = None) -> None:
    """The statistics table as CSV for R: scenario name, replicate index, the parameter draws, the statistics.
    ``parameters``: each replicate's draw, where ``data`` lacks them (a ``ShardReader``'s index)."""
    parameters = data.parameters if parameters is None else parameters
    parameter_names = sorted({name for draw in parameters for name in draw})
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scenario", "replicate", *parameter_names, *names])
        for index, row in enumerate(table):
            draw = parameters[index] if parameters else {}
            writer.writerow([data.scenario_names[data.labels[index]], index,
                             *(f"{draw[p]:.8g}" if p in draw else "NA" for p in parameter_names),
                             *("NA" if numpy.isnan(v) else f"{v:.8g}" for v in row)])


def abc_observed(data: SimulatedData, table: numpy.ndarray, names: list[str], data_sets: list[Genotypes],
                 settings: AbcSettings) -> dict:
    """Posterior model probabilities and Bayes factors of observed data sets against every simulation
    (``table``, ``names``: ``abc.statistics_table`` of ``data``)."""
    statistics = abc.prepare(table, names, settings.pca)
    observed = numpy.stack([abc.observed_statistics(d, settings.folded) for d in data_sets])
    targets = statistics.transform(observed)
    outcome = {"scenario_names": data.scenario_names, "notes": statistics.notes, "reference": int(len(table)),
               "statistics": dict(zip(names, observed[0].tolist())), "methods": {}}
    scale = abc.mad_scale(statistics.reference)
    for method in settings.method_list:
        rows = []
        for row, target in enumerate(targets):
            result = abc.postpr(target, statistics.reference, data.labels, len(data.scenario_names),
                                settings.tolerance, method, scale, settings.networks, seed=settings.seed + row,
                                **settings.postpr_options)
            rows.append({"posterior": result["posterior"].tolist(), "accepted": result["accepted"].tolist(),
                         "accepted_count": result["accepted_count"],
                         "bayes_factors": abc.bayes_factors(result["posterior"]).tolist()})
        outcome["methods"][method] = rows
    return outcome
