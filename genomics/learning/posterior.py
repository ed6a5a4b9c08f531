"""Neural posterior estimation of scenario parameters: p(theta | data) as a mixture density network.

Trained on the simulations of one scenario (parameters theta_i drawn from
the priors, data x_i simulated from them), a network q(t | x) is fitted by
minimising the mean of -log q(t_i | x_i), which makes q the posterior
p(t | x) under the prior the simulations were drawn from (Papamakarios and
Murray 2016; the "NPE" of sbi). Here

    t = (logit-scaled target - mean) / sd           (``ParameterSpace``: every sample maps back into the
                                                     prior's support; mean and sd from the training split)
    x = windows (W, F) of scaled summary statistics (``posterior_features``)
    e = (1 / W) sum_w phi(x_w)                      (phi: two Dense ReLU layers, shared by the windows)
    z = psi(e)                                      (two Dense ReLU layers, then Dense(K (1 + 2 D)))
    q(t | x) = sum_k pi_k(z) N(t; m_k(z), diag sigma_k(z)^2)   (``minidl.functional.mixture``; the default)
         or an affine-coupling flow whose conditioners' weights are z (``minidl.functional.coupling_flow``;
         ``head="flow"``, for two targets or more: with one target it is a single Gaussian)

Whole data sets: the windows of one data set are combined by averaging
their embeddings phi(x_w), and the network is trained that way, on
replicates with all their loci. The average (a DeepSets pooling) gives one
posterior for any number of windows and does not depend on their order;
the alternative, a product of window posteriors with the prior divided out,
assumes independent windows and multiplies each window's approximation
errors, so it is not used. A data set with many more windows than the
simulations had sees an average of the same kind but less noisy: the
posterior is then too wide (conservative), never a sum that grows with W.

Samples drawn from q in t are mapped back to natural units (the scenario's),
so means, medians and the central 50/80/90/95% credible intervals are in
the units of the scenario file and inside the prior's support.

Recalibration (on by default, ``PosteriorSettings.recalibrate``): after
training, each target's marginal is recalibrated on a recalibration split
(``recalibration_fraction``: held out of training and of early stopping) by
a monotone map of its PIT
(``PosteriorSettings.recalibration``: "empirical", the PIT's smoothed
quantile map, ``quantile_recalibration``; "probit-affine", a shift for a
bias and a scale for a posterior too narrow or too wide,
``posterior_recalibration``; or "auto", the default: empirical from 2,000
simulations to fit it on, as measured), and every sample, summary and check uses the
recalibrated posterior; ``recalibrated=False`` gives the raw one. Which
simulations the map is fitted on: ``quantile_recalibration``, "Where".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy

import minidl
from minidl.functional.coupling_flow import flow_output_size, sample_flow
from minidl.functional.mixture import mixture_output_size, sample_mixture
from genomics.genotypes import Genotypes
from genomics.learning import posterior_checks
from genomics.learning.parameter_space import ParameterSpace, PosteriorTargetError
from genomics.learning.posterior_recalibration import BASE_DRAWS, FEWEST_SIMULATIONS
from genomics.learning.quantile_recalibration import (DEFAULT_METHOD, METHODS, Recalibration, fit_recalibration,
                                                      recalibration_count, recalibration_from_dict)
from genomics.learning.posterior_features import (FeatureScaling, PosteriorDataError, simulated_window_statistics,
                                                  spectrum_bins_of, window_statistic_names, window_statistics)
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations

KIND = "genomics posterior"
HEADS = ("mixture", "flow")
VERSION = 1


@dataclass
class PosteriorSettings:
    """The network's size and its training; the defaults suit a few thousand simulations."""

    head: str = "mixture"       # "mixture" (K diagonal Gaussians) or "flow" (affine coupling, for 2+ targets)
    components: int = 4
    flow_steps: int = 4
    flow_hidden: int = 8
    hidden: int = 64
    epochs: int = 200
    patience: int = 15
    batch_size: int = 128
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    seed: int = 1
    spectrum_bins: int = 0      # bins of each window's folded spectrum added to its statistics (0: none)
    recalibrate: bool = True    # recalibrate each marginal (quantile_recalibration, "Where")
    recalibration: str = DEFAULT_METHOD  # "auto", "empirical" or "probit-affine" (quantile_recalibration)
    recalibration_fraction: float | None = None  # share for the map alone (None: as measured; 0: validation split)

    def head_settings(self) -> dict:
        """The density head, as saved: {"head", "components"} or {"head", "steps", "hidden"}."""
        if self.head == "flow":
            return {"head": "flow", "steps": self.flow_steps, "hidden": self.flow_hidden}
        return {"head": "mixture", "components": self.components}

    def check(self) -> None:
        if self.head not in HEADS:
            raise PosteriorTargetError(f"posterior setting head must be one of {', '.join(HEADS)}, got {self.head!r}")
        for name in ("components", "flow_steps", "flow_hidden", "hidden", "epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise PosteriorTargetError(f"posterior setting {name} must be a whole number >= 1, got {value!r}")
        if not isinstance(self.spectrum_bins, int) or isinstance(self.spectrum_bins, bool) or self.spectrum_bins < 0:
            raise PosteriorTargetError(f"posterior setting spectrum_bins must be a whole number >= 0, got "
                                       f"{self.spectrum_bins!r}")
        if self.recalibration not in METHODS:
            raise PosteriorTargetError(f"posterior setting recalibration must be one of {', '.join(METHODS)}, got "
                                       f"{self.recalibration!r}")
        if not 0 < self.validation_fraction < 0.5:
            raise PosteriorTargetError(f"posterior setting validation_fraction must lie in (0, 0.5), got "
                                       f"{self.validation_fraction!r}")
        share = self.recalibration_fraction
        if share is not None and not (0 <= share < 0.5 and share + self.validation_fraction < 0.6):
            raise PosteriorTargetError(f"posterior setting recalibration_fraction must lie in [0, 0.5) and leave "
                                       f"0.4 of the simulations for training with the validation share, got {share!r}")


def build_network(statistics: int, dimensions: int, settings: PosteriorSettings) -> minidl.Sequential:
    """Input (data sets, windows, statistics) -> mixture outputs (data sets, K (1 + 2 D)); any number of windows."""
    layers = minidl.layers
    return minidl.Sequential([
        minidl.Input((None, statistics)),
        layers.Dense(settings.hidden, activation="relu"), layers.Dense(settings.hidden, activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(settings.hidden, activation="relu"), layers.Dense(settings.hidden, activation="relu"),
        layers.Dense(head_output_size(settings.head_settings(), dimensions)),
    ])


def head_output_size(head: dict, dimensions: int) -> int:
    """The width of the network's last layer for a density head {"head", "components" | "steps", "hidden"}."""
    if head["head"] == "flow":
        return flow_output_size(dimensions, head["steps"], head["hidden"])
    return mixture_output_size(head["components"], dimensions)


def head_loss(head: dict) -> minidl.losses.Loss:
    if head["head"] == "flow":
        return minidl.losses.CouplingFlow(steps=head["steps"], hidden=head["hidden"])
    return minidl.losses.MixtureDensity(components=head["components"])


def sample_head(head: dict, outputs: numpy.ndarray, dimensions: int, draws: int,
                generator: numpy.random.Generator) -> numpy.ndarray:
    """(data sets, draws, dimensions) samples of the head's densities, in the standardised unbounded space."""
    if head["head"] == "flow":
        return sample_flow(outputs, dimensions, head["steps"], head["hidden"], draws, generator)
    return sample_mixture(outputs, head["components"], dimensions, draws, generator)


@dataclass
class PosteriorEstimator:
    """A trained posterior: ``sample`` and ``summary`` per data set, ``calibration`` on held-out simulations."""

    space: ParameterSpace
    features: FeatureScaling
    target_mean: list[float]
    target_sd: list[float]
    model: minidl.Sequential
    head: dict
    scenario: str = ""
    history: dict = field(default_factory=dict)
    calibration: dict | None = None
    recalibration: Recalibration | None = None
    # the training simulations' data-set statistics (simulations, statistics), for predictive checks; not saved
    reference_statistics: numpy.ndarray | None = field(default=None, repr=False, compare=False)
    # {"split": "recalibration" or "validation", "simulations": n}: what the map was fitted on (None: older files)
    recalibration_split: dict | None = None
    # the validation and the recalibration splits' (windows, natural values), and every split's indices; not saved
    validation_data: tuple | None = field(default=None, repr=False, compare=False)
    recalibration_data: tuple | None = field(default=None, repr=False, compare=False)
    split_indices: dict | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, windows: numpy.ndarray, values: numpy.ndarray, space: ParameterSpace, statistic_names: list[str],
            settings: PosteriorSettings | None = None, scenario: str = "", verbose: int = 0) -> "PosteriorEstimator":
        """Train on windows (data sets, windows, statistics) and natural target values (data sets, targets)."""
        settings = settings or PosteriorSettings()
        settings.check()
        windows, values = numpy.asarray(windows, dtype=float), numpy.asarray(values, dtype=float)
        if windows.ndim != 3 or values.shape != (len(windows), len(space.targets)):
            raise PosteriorDataError(f"training needs windows (data sets, windows, statistics) and values (data sets, "
                                     f"{len(space.targets)}); got shapes {windows.shape} and {values.shape}")
        if len(windows) < 20:
            raise PosteriorDataError(f"{len(windows)} simulations are too few to train a posterior (at least 20)")
        features = FeatureScaling.fit(statistic_names, windows)
        unbounded = space.to_unbounded(values)
        mean, sd = unbounded.mean(axis=0), unbounded.std(axis=0)
        sd = numpy.where(sd > 0, sd, 1.0)
        targets = ((unbounded - mean) / sd).astype(numpy.float32)
        order = numpy.random.default_rng(settings.seed).permutation(len(windows))
        validation = order[:max(1, int(round(settings.validation_fraction * len(windows))))]
        held = order[len(validation):][:recalibration_count(settings.recalibration_fraction, len(windows))]
        train = order[len(validation) + len(held):]  # held out of training and early stopping: the map's alone
        inputs = features.apply(windows)
        minidl.random.seed(settings.seed)
        model = build_network(inputs.shape[-1], len(space.targets), settings)
        model.compile(optimizer=minidl.optimizers.Adam(settings.learning_rate),
                      loss=head_loss(settings.head_settings()))
        stopper = minidl.callbacks.EarlyStopping(patience=settings.patience, restore_best_weights=True)
        history = model.fit(inputs[train], targets[train], validation_data=(inputs[validation], targets[validation]),
                            epochs=settings.epochs, batch_size=settings.batch_size, callbacks=[minidl.callbacks.RestoreLastFiniteWeights(), stopper],
                            verbose=verbose)
        estimator = cls(space, features, mean.tolist(), sd.tolist(), model, settings.head_settings(), scenario,
                        {key: [float(v) for v in values] for key, values in history.history.items()})
        estimator.validation_data = (windows[validation], values[validation])
        mapped = held if len(held) else validation
        estimator.recalibration_data = (windows[mapped], values[mapped])
        estimator.split_indices = {"train": train, "validation": validation, "recalibration": held}
        if settings.recalibrate and len(mapped) >= FEWEST_SIMULATIONS:
            estimator.recalibration = estimator.fit_recalibration(*estimator.recalibration_data,
                                                                  settings.recalibration, settings.seed)
            estimator.recalibration_split = {"split": "recalibration" if len(held) else "validation",
                                             "simulations": len(mapped)}
        return estimator

    def fit_recalibration(self, windows: numpy.ndarray, values: numpy.ndarray, method: str = DEFAULT_METHOD,
                          seed: int = 0) -> Recalibration:
        """The map ``method`` of the raw posterior's PIT on simulations (windows, natural values) not trained on."""
        raw = self.sample_windows(windows, draws=999, seed=seed, recalibrated=False)
        return fit_recalibration(raw, values, self.space.targets, method, seed)

    # ------------------------------------------------------------------ posterior
    def windows_of(self, data: Any) -> numpy.ndarray:
        """One data set as (1, windows, statistics): Genotypes (its loci are the windows) or an array."""
        if isinstance(data, Genotypes):
            data = window_statistics(data, spectrum_bins_of(self.features.names))
        data = numpy.asarray(data, dtype=float)
        return data[None] if data.ndim == 2 else data

    def sample_windows(self, windows: numpy.ndarray, draws: int = 1000, seed: int = 0,
                       recalibrated: bool = True) -> numpy.ndarray:
        """(data sets, draws, targets) posterior samples in natural units for windows (data sets, W, statistics);
        ``recalibrated=False``: the network's raw posterior, also where a recalibration was fitted."""
        if not isinstance(draws, int) or draws < 1:
            raise PosteriorDataError(f"draws must be a whole number >= 1, got {draws!r}")
        inputs = self.features.apply(windows)
        outputs = self.model.predict(inputs, batch_size=256, verbose=0).astype(float)
        mapped = recalibrated and self.recalibration is not None
        base = max(draws, BASE_DRAWS) if mapped else draws
        standard = sample_head(self.head, outputs, len(self.space.targets), base, numpy.random.default_rng(seed))
        if mapped:  # the map is monotone per target: applied in the standardised space, before natural units
            standard = self.recalibration.apply(standard)[:, :draws]
        return self.space.to_natural(standard * numpy.array(self.target_sd) + numpy.array(self.target_mean))

    def sample(self, data: Any, draws: int = 1000, seed: int = 0) -> numpy.ndarray:
        """(draws, targets) posterior samples for one data set (Genotypes, or its windows' statistics)."""
        return self.sample_windows(self.windows_of(data), draws, seed)[0]

    def summary(self, data: Any, draws: int = 4000, seed: int = 0,
                levels: tuple = posterior_checks.LEVELS) -> dict[str, dict]:
        """Per target, in natural units: posterior mean, median, sd and central credible intervals."""
        samples = self.sample(data, draws, seed)
        bounds = posterior_checks.central_intervals(samples, levels)
        return {target: {"mean": float(samples[:, j].mean()), "median": float(numpy.median(samples[:, j])),
                         "sd": float(samples[:, j].std()),
                         "intervals": {level: [float(b[j, 0]), float(b[j, 1])] for level, b in bounds.items()},
                         "prior_support": [self.space.low[j], self.space.high[j]]}
                for j, target in enumerate(self.space.targets)}

    def summary_rows(self, data_sets: list, labels: list[str] | None = None, draws: int = 4000,
                     seed: int = 0) -> list[dict]:
        """One row per data set and target (label, target, mean, median, sd, low_50 .. high_95), for a CSV."""
        labels = labels if labels is not None else [f"data set {i + 1}" for i in range(len(data_sets))]
        if len(labels) != len(data_sets):
            raise PosteriorDataError(f"{len(labels)} labels were given for {len(data_sets)} data sets")
        rows = []
        for label, data in zip(labels, data_sets):
            for target, entry in self.summary(data, draws, seed).items():
                row = {"data_set": label, "target": target, "mean": entry["mean"], "median": entry["median"],
                       "sd": entry["sd"]}
                for level, (low, high) in entry["intervals"].items():
                    percent = f"{float(level):.0%}".rstrip("%")
                    row[f"low_{percent}"], row[f"high_{percent}"] = low, high
                rows.append(row)
        return rows

    def assess(self, windows: numpy.ndarray, values: numpy.ndarray, draws: int = 99, bins: int = 10,
               seed: int = 0, recalibrated: bool = True) -> dict:
        """Coverage and SBC (``posterior_checks.calibration_report``) on held-out windows and true values."""
        samples = self.sample_windows(windows, draws, seed, recalibrated)
        return posterior_checks.calibration_report(samples, values, self.space.targets, bins)

    # ------------------------------------------------------------------ files
    def metadata(self) -> dict:
        return {"kind": KIND, "version": VERSION, "scenario": self.scenario, "space": self.space.to_dict(),
                "features": self.features.to_dict(), "target_mean": self.target_mean, "target_sd": self.target_sd,
                "head": self.head, "history": self.history, "calibration": self.calibration,
                "recalibration": self.recalibration.to_dict() if self.recalibration is not None else None,
                "recalibration_split": self.recalibration_split}

    def save(self, path: str) -> str:
        """The network and everything above as JSON metadata, in one minidl ``.npz`` (no pickle)."""
        if not str(path).endswith(".npz"):
            raise PosteriorDataError(f"a posterior is saved as a .npz file; got {path!r}")
        self.model.save(path, metadata=self.metadata(), include_optimizer=False)
        return path

    @classmethod
    def load(cls, path: str) -> "PosteriorEstimator":
        metadata = minidl.saving.read_metadata(path)
        if metadata.get("kind") != KIND:
            raise PosteriorDataError(f"{path!r} is a minidl model but not a genomics posterior")
        if metadata.get("version") != VERSION:
            raise PosteriorDataError(f"{path!r} is a posterior of version {metadata.get('version')}; this genomics "
                                     f"reads version {VERSION}")
        model = minidl.load_model(path, compile=False)
        recalibration = metadata.get("recalibration")
        return cls(ParameterSpace.from_dict(metadata["space"]), FeatureScaling.from_dict(metadata["features"]),
                   metadata["target_mean"], metadata["target_sd"], model, dict(metadata["head"]),
                   metadata.get("scenario", ""), metadata.get("history", {}), metadata.get("calibration"),
                   recalibration_from_dict(recalibration) if recalibration else None,
                   recalibration_split=metadata.get("recalibration_split"))

    def describe(self) -> str:
        return json.dumps({"scenario": self.scenario, "targets": self.space.targets,
                           "scales": self.space.scales, "head": self.head})


def data_set_statistics(windows: numpy.ndarray) -> numpy.ndarray:
    """(..., statistics): window statistics (..., W, statistics) averaged over the windows, NaNs left out."""
    windows = numpy.asarray(windows, dtype=float)
    defined = ~numpy.isnan(windows)
    return numpy.where(defined, windows, 0.0).sum(axis=-2) / numpy.maximum(defined.sum(axis=-2), 1)


def scenario_space(data: Any, scenario: str | None, targets: list[str] | None,
                   folder: str = "the folder") -> tuple[str, int, ParameterSpace]:
    """(scenario name, its index, the space of ``targets``) in simulations ``data``; bad names are one sentence.

    ``scenario`` may be left out when the folder holds one scenario; ``targets`` default to every prior of
    the scenario that is not fixed."""
    names = list(data.scenario_names)
    if scenario is None:
        if len(names) > 1:
            raise PosteriorTargetError(f"{folder!r} holds the scenarios {', '.join(names)}; name the one "
                                       "whose parameters to estimate")
        scenario = names[0]
    if scenario not in names:
        raise PosteriorTargetError(f"scenario {scenario!r} is not in {folder!r}; its scenarios: {', '.join(names)}")
    index = names.index(scenario)
    priors = Scenario(data.manifest["scenarios"][index]["spec"]).priors
    if targets is None:
        targets = [name for name, prior in priors.items() if prior.support[0] < prior.support[1]]
        if not targets:
            raise PosteriorTargetError(f"scenario {scenario!r} fixes every prior ({', '.join(priors)}): it has no "
                                       "parameter to estimate")
    return scenario, index, ParameterSpace.from_priors(priors, list(targets), f"scenario {scenario!r}")


def held_out_split(count: int, fraction: float, seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(held out, kept) positions among ``count`` replicates: a share ``fraction`` never trained on."""
    order = numpy.random.default_rng(seed + 1).permutation(count)
    held = order[:int(round(fraction * count))]
    return held, order[len(held):]


def fit_on_windows(windows: numpy.ndarray, values: numpy.ndarray, space: ParameterSpace, statistic_names: list[str],
                   settings: PosteriorSettings, held_out_fraction: float, scenario: str,
                   verbose: int = 0) -> PosteriorEstimator:
    """One scenario's posterior from its replicates' windows and values; checked on its held-out share."""
    held, kept = held_out_split(len(windows), held_out_fraction, settings.seed)
    estimator = PosteriorEstimator.fit(windows[kept], values[kept], space, statistic_names, settings, scenario, verbose)
    estimator.reference_statistics = data_set_statistics(windows[kept])
    if len(held) >= 10:
        estimator.calibration = estimator.assess(windows[held], values[held], seed=settings.seed)
    return estimator


def fit_posterior(simulations_folder: str, scenario: str | None = None, targets: list[str] | None = None,
                  settings: PosteriorSettings | None = None, held_out_fraction: float = 0.1,
                  verbose: int = 0) -> PosteriorEstimator:
    """Train a posterior on one scenario's replicates of a simulation folder; assess it on held-out replicates.

    ``scenario``: its name (may be left out when the folder holds one scenario). ``targets``: prior names
    or expressions of them (default: every prior that is not fixed). A fraction ``held_out_fraction`` of
    the replicates is never trained on; ``estimator.calibration`` holds the coverage and SBC measured on it.
    """
    settings = settings or PosteriorSettings()
    settings.check()
    if not 0 <= held_out_fraction < 0.5:
        raise PosteriorTargetError(f"held_out_fraction must lie in [0, 0.5), got {held_out_fraction!r}")
    data = load_simulations(simulations_folder)
    scenario, index, space = scenario_space(data, scenario, targets, simulations_folder)
    replicates = numpy.flatnonzero(data.labels == index)
    values = space.values([data.parameters[i] for i in replicates])
    windows = simulated_window_statistics(data, replicates, settings.spectrum_bins)
    return fit_on_windows(windows, values, space, statistic_names_of(data, settings.spectrum_bins), settings,
                          held_out_fraction, scenario, verbose)


def statistic_names_of(data: Any, spectrum_bins: int) -> list[str]:
    """The window statistics' names for the populations and sample size of simulations ``data``."""
    return window_statistic_names(list(data.population_names), sum(data.design.haplotypes_per_population),
                                  spectrum_bins)
