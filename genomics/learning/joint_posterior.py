"""The joint posterior of the scenario and its parameters: P(s | x) p(theta_s | s, x) over a folder's scenarios.

Fitted on a simulation folder of K >= 2 scenarios (``fit_joint_posterior``):

- per scenario s, its own posterior p(theta_s | s, x) (``posterior.
  fit_on_windows``: the same density head, targets, held-out share and
  checks as ``genomics posterior --scenario s``; the parameters differ
  between scenarios, so each has its head);
- a scenario classifier P(s | x) on the same window features
  (``scenario_classifier``), temperature-scaled on calibration replicates
  and scored (ECE) on the held-out ones;
- for each target held by two scenarios or more under one name (``T``),
  the model-averaged posterior sum_s w_s p(T | s, x) (``model_averaging``),
  with its coverage and SBC on the held-out replicates of every scenario
  that holds T.

Splits, per scenario: the held-out share (``held_out_split``, as the
single-scenario posterior) is never trained on; of the rest a calibration
share fits the temperature only, and the classifier trains on what is left;
the density heads train on all but the held-out share.

The file (``save``) is one minidl ``.npz``: the classifier's network, each
scenario's head as the extra weight list ``scenario_<k>``, and all the
rest as JSON metadata (no pickle). ``load_posterior`` reads this file or a
single-scenario posterior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

import minidl
from minidl.saving import read_model_file
from genomics.genotypes import Genotypes
from genomics.learning import calibration, model_averaging, posterior_checks
from genomics.learning.parameter_space import ParameterSpace, PosteriorTargetError
from genomics.learning.posterior import (KIND, PosteriorEstimator, PosteriorSettings, build_network, fit_on_windows,
                                         held_out_split, scenario_space, statistic_names_of)
from genomics.learning.posterior_features import (FeatureScaling, PosteriorDataError, simulated_window_statistics,
                                                  spectrum_bins_of, window_statistics)
from genomics.learning.scenario_classifier import ScenarioClassifier
from genomics.learning.quantile_recalibration import recalibration_from_dict
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations

JOINT_KIND = "genomics joint posterior"
JOINT_VERSION = 1
ALL = "all"  # ``--scenario all``: the joint posterior over every scenario of the folder
AVERAGED = "model-averaged"


@dataclass
class JointPosterior:
    """A classifier of the scenarios and one posterior per scenario that has free parameters (in the
    classifier's order; a scenario that fixes every prior has P(s | x) only)."""

    classifier: ScenarioClassifier
    estimators: list[PosteriorEstimator]
    calibration: dict | None = None

    @property
    def scenarios(self) -> list[str]:
        return self.classifier.scenarios

    def shared_targets(self) -> dict[str, list[str]]:
        """{target: the scenarios that estimate it} for the targets of two scenarios or more."""
        holders: dict[str, list[str]] = {}
        for estimator in self.estimators:
            for target in estimator.space.targets:
                holders.setdefault(target, []).append(estimator.scenario)
        return {target: names for target, names in holders.items() if len(names) > 1}

    # ------------------------------------------------------------------ posterior
    def windows_of(self, data: Any) -> numpy.ndarray:
        """One data set as (1, windows, statistics): Genotypes (its loci are the windows) or an array."""
        if isinstance(data, Genotypes):
            data = window_statistics(data, spectrum_bins_of(self.classifier.features.names))
        data = numpy.asarray(data, dtype=float)
        return data[None] if data.ndim == 2 else data

    def probabilities(self, data: Any) -> dict[str, float]:
        """P(s | x) of one data set, {scenario: probability} (temperature-scaled when ``classifier.calibrated``)."""
        return dict(zip(self.scenarios, self.classifier.probabilities(self.windows_of(data))[0].tolist()))

    def sample(self, data: Any, draws: int = 1000, seed: int = 0) -> tuple[numpy.ndarray, dict[str, numpy.ndarray]]:
        """Joint draws for one data set: (scenario names (draws,), {target: values (draws,), NaN where the drawn
        scenario lacks the target}); s ~ P(s | x), then theta ~ p(theta | s, x)."""
        windows = self.windows_of(data)
        probabilities = self.classifier.probabilities(windows)
        chosen = model_averaging.draw_scenarios(probabilities, draws, numpy.random.default_rng(seed))[0]
        values: dict[str, numpy.ndarray] = {}
        for estimator in self.estimators:
            k = self.scenarios.index(estimator.scenario)
            samples = estimator.sample_windows(windows, draws, seed + 1 + k)[0]
            for j, target in enumerate(estimator.space.targets):
                column = values.setdefault(target, numpy.full(draws, numpy.nan))
                column[chosen == k] = samples[chosen == k, j]
        return numpy.array(self.scenarios)[chosen], values

    def summary(self, data: Any, draws: int = 4000, seed: int = 0, probabilities: dict | None = None) -> dict:
        """P(s | x), each scenario's posterior summaries and each shared target's model-averaged posterior.

        ``probabilities``: P(s | x) from elsewhere ({scenario: p}, e.g. a trained bundle's), instead of the
        classifier's; the summary's ``calibrated`` and ``temperature`` then say None (the caller knows)."""
        windows = self.windows_of(data)
        given = probabilities is not None
        probabilities = {name: float(probabilities[name]) for name in self.scenarios} if given else \
            dict(zip(self.scenarios, self.classifier.probabilities(windows)[0].tolist()))
        scenario_draws = {estimator.scenario: estimator.sample_windows(windows, draws, seed)[0]
                          for estimator in self.estimators}
        result = {"probabilities": probabilities, "calibrated": None if given else self.classifier.calibrated,
                  "temperature": None if given else self.classifier.temperature,
                  "scenarios": {estimator.scenario: estimator.summary(windows[0], draws, seed)
                                for estimator in self.estimators}, AVERAGED: {}}
        by_name = {estimator.scenario: estimator for estimator in self.estimators}
        for target, holders in self.shared_targets().items():
            weights, share = model_averaging.mixture_weights(probabilities, holders)
            components = [scenario_draws[name][:, by_name[name].space.targets.index(target)] for name in holders]
            result[AVERAGED][target] = {**model_averaging.mixture_summary(components, list(weights.values())),
                                        "weights": weights, "share": share}
        return result

    def summary_rows(self, data_sets: list, labels: list[str] | None = None, draws: int = 4000,
                     seed: int = 0, probabilities: list[dict] | None = None) -> list[dict]:
        """Per data set: a row per scenario and target (with P(s | x)), then a row per shared target's
        model-averaged posterior (scenario "model-averaged", probability: the share of the scenarios it spans)."""
        labels = labels if labels is not None else [f"data set {i + 1}" for i in range(len(data_sets))]
        if len(labels) != len(data_sets):
            raise PosteriorDataError(f"{len(labels)} labels were given for {len(data_sets)} data sets")
        rows = []
        for number, (label, data) in enumerate(zip(labels, data_sets)):
            summary = self.summary(data, draws, seed, probabilities[number] if probabilities else None)
            for scenario, probability in summary["probabilities"].items():  # a scenario without a head: one row
                targets = summary["scenarios"].get(scenario) or {"": None}
                rows += [_row(label, scenario, probability, "", target, entry) for target, entry in targets.items()]
            rows += [_row(label, AVERAGED, entry["share"], "+".join(entry["weights"]), target, entry)
                     for target, entry in summary[AVERAGED].items()]
        return rows

    # ------------------------------------------------------------------ files
    def save(self, path: str) -> str:
        """One minidl ``.npz``: the classifier's network, each head as extra weights, the rest as JSON."""
        if not str(path).endswith(".npz"):
            raise PosteriorDataError(f"a posterior is saved as a .npz file; got {path!r}")
        metadata = {"kind": JOINT_KIND, "version": JOINT_VERSION, "classifier": self.classifier.to_dict(),
                    "posteriors": [{**estimator.metadata(), "hidden": _hidden_units(estimator.model)}
                                   for estimator in self.estimators],
                    "calibration": self.calibration}
        self.classifier.model.save(path, metadata=metadata, include_optimizer=False,
                                   extra_weights={f"scenario_{k}": estimator.model.get_weights()
                                                  for k, estimator in enumerate(self.estimators)})
        return path

    @classmethod
    def load(cls, path: str) -> "JointPosterior":
        config, weights, extra = read_model_file(path, extra="*")
        metadata = config.get("metadata") or {}
        if metadata.get("kind") != JOINT_KIND or metadata.get("version") != JOINT_VERSION:
            raise PosteriorDataError(f"{path!r} is not a joint posterior of version {JOINT_VERSION}")
        estimators = []
        for k, entry in enumerate(metadata["posteriors"]):
            space, features = ParameterSpace.from_dict(entry["space"]), FeatureScaling.from_dict(entry["features"])
            head = dict(entry["head"])
            model = build_network(len(features.names), len(space.targets), PosteriorSettings(
                head=head["head"], components=head.get("components", 1), flow_steps=head.get("steps", 1),
                flow_hidden=head.get("hidden", 1), hidden=int(entry["hidden"])))
            model.set_weights(extra[f"scenario_{k}"])
            recalibration = entry.get("recalibration")
            estimators.append(PosteriorEstimator(space, features, entry["target_mean"], entry["target_sd"], model,
                                                 head, entry["scenario"], entry.get("history", {}),
                                                 entry.get("calibration"),
                                                 recalibration_from_dict(recalibration) if recalibration else None,
                                                 recalibration_split=entry.get("recalibration_split")))
        return cls(ScenarioClassifier.from_dict(metadata["classifier"], weights), estimators,
                   metadata.get("calibration"))


def _hidden_units(model: minidl.Sequential) -> int:
    """The width of a head network's hidden layers (``build_network``: its first Dense layer's units)."""
    return int(model.get_weights()[0].shape[1])


def _row(label: str, scenario: str, probability: float, averaged_over: str, target: str, entry: dict | None) -> dict:
    """A CSV row; ``entry`` None (a scenario without free parameters): its probability only."""
    row = {"data_set": label, "scenario": scenario, "probability": probability, "averaged_over": averaged_over,
           "target": target}
    if entry is None:
        return row
    row.update(mean=entry["mean"], median=entry["median"], sd=entry["sd"])
    for level, (low, high) in entry["intervals"].items():
        percent = f"{float(level):.0%}".rstrip("%")
        row[f"low_{percent}"], row[f"high_{percent}"] = low, high
    return row


def load_posterior(path: str) -> PosteriorEstimator | JointPosterior:
    """A saved posterior of either kind: one scenario's (``PosteriorEstimator``) or the joint one."""
    kind = (minidl.saving.read_metadata(path) or {}).get("kind")
    if kind == JOINT_KIND:
        return JointPosterior.load(path)
    if kind == KIND:
        return PosteriorEstimator.load(path)
    raise PosteriorDataError(f"{path!r} is a minidl model but not a genomics posterior")


def check_fractions(held_out_fraction: float, calibration_fraction: float) -> None:
    if not 0 <= held_out_fraction < 0.5:
        raise PosteriorTargetError(f"held_out_fraction must lie in [0, 0.5), got {held_out_fraction!r}")
    if not 0 <= calibration_fraction < 0.5:
        raise PosteriorTargetError(f"calibration_fraction must lie in [0, 0.5), got {calibration_fraction!r}")


def joint_spaces(data: Any, targets: list[str] | None, folder: str) -> list[tuple[str, int, ParameterSpace | None]]:
    """(scenario, index, space) for every scenario of the folder; a target one scenario lacks is one sentence.

    With ``targets`` left out, a scenario that fixes every prior gets no head (space None): it enters the
    joint posterior through P(s | x) alone."""
    names = list(data.scenario_names)
    if len(names) < 2:
        raise PosteriorTargetError(f"{folder!r} holds the one scenario {names[0]}; a joint posterior with the "
                                   "model choice needs two scenarios or more; fit that scenario's posterior alone")
    spaces = []
    for index, name in enumerate(names):
        priors = Scenario(data.manifest["scenarios"][index]["spec"]).priors
        free = any(prior.support[0] < prior.support[1] for prior in priors.values())
        spaces.append(scenario_space(data, name, targets, folder) if free or targets else (name, index, None))
    if all(space is None for _, _, space in spaces):
        raise PosteriorTargetError(f"every scenario of {folder!r} fixes all its priors: there is no parameter to "
                                   "estimate, only the model choice ('genomics train' or 'genomics abc')")
    return spaces


def fit_joint_posterior(simulations_folder: str, targets: list[str] | None = None,
                        settings: PosteriorSettings | None = None, held_out_fraction: float = 0.1,
                        calibration_fraction: float = 0.1, verbose: int = 0) -> JointPosterior:
    """The joint posterior over every scenario of a folder; checked on held-out replicates (module docstring).

    ``targets``: estimated in every scenario (each must be a prior or expression of priors of every
    scenario); default: each scenario's priors that are not fixed.
    """
    settings = settings or PosteriorSettings()
    settings.check()
    check_fractions(held_out_fraction, calibration_fraction)
    data = load_simulations(simulations_folder)
    spaces = joint_spaces(data, targets, simulations_folder)  # every name checked before any fit
    windows = simulated_window_statistics(data, numpy.arange(len(data.labels)), settings.spectrum_bins)
    names = statistic_names_of(data, settings.spectrum_bins)
    estimators = []
    for scenario, index, space in (entry for entry in spaces if entry[2] is not None):
        replicates = numpy.flatnonzero(data.labels == index)
        values = space.values([data.parameters[i] for i in replicates])
        estimators.append(fit_on_windows(windows[replicates], values, space, names, settings, held_out_fraction,
                                         scenario, verbose))
    held, calibrating, training = joint_splits(data.labels, held_out_fraction, calibration_fraction, settings.seed)
    labels = numpy.asarray(data.labels)
    classifier = ScenarioClassifier.fit(windows[training], labels[training], [s for s, _, _ in spaces], names,
                                        settings, verbose)
    if len(calibrating) >= 10:
        classifier.calibrate(windows[calibrating], labels[calibrating])
    joint = JointPosterior(classifier, estimators)
    if len(held) >= 10:
        joint.calibration = joint_calibration(joint, windows[held], labels[held],
                                              [data.parameters[i] for i in held], settings.seed)
    return joint


def joint_splits(labels: numpy.ndarray, held_out_fraction: float, calibration_fraction: float,
                 seed: int) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(held out, calibration, classifier training) replicate indices of a folder whose scenario labels are
    ``labels``: per scenario, the heads' held-out share (``held_out_split``), then of the rest a share
    ``calibration_fraction`` of the scenario's replicates for the temperature, the others for the classifier."""
    held, calibrating, training = [], [], []
    for index in numpy.unique(labels):
        replicates = numpy.flatnonzero(numpy.asarray(labels) == index)
        held_positions, kept = held_out_split(len(replicates), held_out_fraction, seed)
        kept = numpy.random.default_rng(seed + 3).permutation(kept)
        calibration_count = int(round(calibration_fraction * len(replicates)))
        held.append(replicates[held_positions])
        calibrating.append(replicates[kept[:calibration_count]])
        training.append(replicates[kept[calibration_count:]])
    return tuple(numpy.concatenate(parts) for parts in (held, calibrating, training))


def probability_scores(probabilities: numpy.ndarray, labels: numpy.ndarray, bins: int = 10) -> dict:
    """Accuracy, ECE, log-loss and Brier score of probabilities (replicates, scenarios) of true ``labels``."""
    labels = numpy.asarray(labels, dtype=int)
    return {"replicates": int(len(labels)), "accuracy": float(numpy.mean(probabilities.argmax(axis=1) == labels)),
            "ece": calibration.expected_calibration_error(probabilities, labels, bins),
            "log_loss": calibration.log_loss(probabilities, labels),
            "brier": calibration.brier_score(probabilities, labels)}


def joint_calibration(joint: JointPosterior, windows: numpy.ndarray, labels: numpy.ndarray, parameters: list[dict],
                      seed: int = 0, draws: int = 99, probabilities: numpy.ndarray | None = None) -> dict:
    """On held-out replicates of every scenario: the classifier's ECE, each scenario's coverage and SBC (on its
    own held-out replicates, as fitted) and each shared target's model-averaged coverage and SBC.

    ``probabilities``: P(s | x) of these replicates from elsewhere (replicates, scenarios), e.g. a trained
    bundle's, instead of the classifier's; ``classifier`` then holds their scores (``probability_scores``)."""
    given = probabilities is not None
    probabilities = numpy.asarray(probabilities, dtype=float) if given else joint.classifier.probabilities(windows)
    report = {"classifier": probability_scores(probabilities, labels) if given else
              joint.classifier.assess(windows, labels),
              "scenarios": {estimator.scenario: estimator.calibration for estimator in joint.estimators},
              AVERAGED: {}}
    samples = {estimator.scenario: estimator.sample_windows(windows, draws, seed) for estimator in joint.estimators}
    for target, holders in joint.shared_targets().items():
        true = numpy.full(len(labels), numpy.nan)
        components = []
        by_name = {estimator.scenario: estimator for estimator in joint.estimators}
        for k, name in enumerate(joint.scenarios):
            estimator = by_name.get(name)
            if estimator is None or name not in holders:
                components.append(None)
                continue
            j = estimator.space.targets.index(target)
            components.append(samples[estimator.scenario][:, :, j])
            own = numpy.flatnonzero(labels == k)
            true[own] = estimator.space.values([parameters[i] for i in own])[:, j]
        result = model_averaging.model_averaged_calibration(probabilities, labels, true, components, target, seed)
        if result is not None:
            result["scenarios"] = [joint.scenarios[s] for s in result["scenarios"]]
            report[AVERAGED][target] = result
    return report


def describe_classifier(report: dict) -> str:
    """The classifier's held-out scores, saying whether its probabilities are calibrated."""
    before, after = report["before_scaling"], report["after_scaling"]
    if report["calibrated"]:
        state = (f"temperature-scaled (T = {report['temperature']:.3g}, fitted on calibration replicates): held-out "
                 f"ECE {after['ece']:.3f} (before scaling {before['ece']:.3f}), log-loss {after['log_loss']:.3f}")
    else:
        state = (f"NOT calibrated (too few calibration replicates to fit a temperature): held-out ECE "
                 f"{before['ece']:.3f}, log-loss {before['log_loss']:.3f}")
    scores = (("ece", "ECE"), ("log_loss", "log-loss"))
    worse = [f"{label} {before[key]:.4f} -> {after[key]:.4f}" for key, label in scores
             if report["calibrated"] and after[key] > before[key]]
    warning = ("\nWARNING: on these held-out replicates the temperature made the probabilities worse "
               f"({'; '.join(worse)}): it does not carry over from the calibration replicates (too few?)"
               if worse else "")
    return (f"P(scenario | data) on {report['replicates']} held-out replicates: accuracy {report['accuracy']:.3f}; "
            + state + warning)


def describe_averaged(report: dict) -> str:
    """The model-averaged posteriors' coverage table (``posterior_checks.describe``), one per shared target."""
    return "\n".join(f"model-averaged {target} (mixture over {', '.join(entry['scenarios'])}, weights P(s | data)):\n"
                     + posterior_checks.describe(entry) for target, entry in report.items())
