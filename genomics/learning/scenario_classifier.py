"""P(scenario | data) from the posterior's features: a window-averaging classifier, temperature-scaled.

The same data-set features as the posterior's density heads
(``posterior_features``: windows (W, F) of scaled summary statistics) go
through the same DeepSets network (``posterior.build_network``'s body:
phi per window, the average over windows, then psi), ending in K logits z,
one per scenario, trained by the mean cross-entropy -log softmax(z)[y].
The classes are weighted as the simulations are, so P(s | x) is the
posterior under a prior on the scenarios proportional to their numbers of
training replicates (equal when the folder simulated each alike).

Probabilities are softmax(z / T) with T fitted on calibration replicates
the network never trained on (``genomics.learning.calibration.
fit_temperature``, as ``genomics calibrate`` does for a bundle); the
expected calibration error (ECE) before and after is measured on held-out
replicates used for nothing else (``assess``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

import minidl
from genomics.learning import calibration
from genomics.learning.posterior import PosteriorSettings
from genomics.learning.posterior_features import FeatureScaling, PosteriorDataError


def build_classifier(statistics: int, scenarios: int, hidden: int) -> minidl.Sequential:
    """Input (data sets, windows, statistics) -> logits (data sets, scenarios); any number of windows."""
    layers = minidl.layers
    return minidl.Sequential([
        minidl.Input((None, statistics)),
        layers.Dense(hidden, activation="relu"), layers.Dense(hidden, activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(hidden, activation="relu"), layers.Dense(hidden, activation="relu"),
        layers.Dense(scenarios),
    ])


@dataclass
class ScenarioClassifier:
    """Logits of the scenarios from windows, and the temperature that calibrates them (1.0: not calibrated)."""

    scenarios: list[str]
    features: FeatureScaling
    model: minidl.Sequential
    hidden: int
    temperature: float = 1.0
    calibrated: bool = False
    history: dict = field(default_factory=dict)

    @classmethod
    def fit(cls, windows: numpy.ndarray, labels: numpy.ndarray, scenarios: list[str], statistic_names: list[str],
            settings: PosteriorSettings, verbose: int = 0) -> "ScenarioClassifier":
        """Train on windows (data sets, windows, statistics) of replicates of scenarios ``labels`` (data sets,)."""
        labels = numpy.asarray(labels, dtype=int)
        missing = [scenarios[k] for k in range(len(scenarios)) if not numpy.any(labels == k)]
        if missing or len(windows) < 20:
            raise PosteriorDataError(f"the scenario classifier needs replicates of every scenario (at least 20 in "
                                     f"all); it has {len(windows)} and none of {', '.join(missing) or '-'}")
        features = FeatureScaling.fit(statistic_names, windows)
        order = numpy.random.default_rng(settings.seed + 2).permutation(len(windows))
        validation = order[:max(1, int(round(settings.validation_fraction * len(windows))))]
        train = order[len(validation):]
        inputs = features.apply(windows)
        minidl.random.seed(settings.seed)
        model = build_classifier(inputs.shape[-1], len(scenarios), settings.hidden)
        model.compile(optimizer=minidl.optimizers.Adam(settings.learning_rate),
                      loss=minidl.losses.SparseCategoricalCrossentropy(from_logits=True))
        stopper = minidl.callbacks.EarlyStopping(patience=settings.patience, restore_best_weights=True)
        history = model.fit(inputs[train], labels[train], validation_data=(inputs[validation], labels[validation]),
                            epochs=settings.epochs, batch_size=settings.batch_size,
                            callbacks=[minidl.callbacks.RestoreLastFiniteWeights(), stopper], verbose=verbose)
        return cls(list(scenarios), features, model, settings.hidden,
                   history={key: [float(v) for v in values] for key, values in history.history.items()})

    def logits(self, windows: numpy.ndarray) -> numpy.ndarray:
        """(data sets, scenarios) logits of windows (data sets, windows, statistics)."""
        return self.model.predict(self.features.apply(windows), batch_size=256, verbose=0).astype(float)

    def probabilities(self, windows: numpy.ndarray) -> numpy.ndarray:
        """(data sets, scenarios): softmax(logits / T)."""
        return calibration.softmax(self.logits(windows), self.temperature)

    def calibrate(self, windows: numpy.ndarray, labels: numpy.ndarray) -> float:
        """Fit T on calibration replicates (never trained on); returns T."""
        self.temperature = calibration.fit_temperature(self.logits(windows), numpy.asarray(labels, dtype=int))
        self.calibrated = True
        return self.temperature

    def assess(self, windows: numpy.ndarray, labels: numpy.ndarray, bins: int = 10) -> dict:
        """Accuracy, log-loss, Brier score and ECE on held-out replicates, with T = 1 and with the fitted T."""
        logits, labels = self.logits(windows), numpy.asarray(labels, dtype=int)
        report = {"replicates": int(len(labels)), "temperature": self.temperature, "calibrated": self.calibrated,
                  "accuracy": float(numpy.mean(logits.argmax(axis=1) == labels)), "bins": bins}
        for name, temperature in (("before_scaling", 1.0), ("after_scaling", self.temperature)):
            p = calibration.softmax(logits, temperature)
            report[name] = {"ece": calibration.expected_calibration_error(p, labels, bins),
                            "log_loss": calibration.log_loss(p, labels), "brier": calibration.brier_score(p, labels)}
        return report

    def to_dict(self) -> dict:
        """Everything but the weights, for a file's JSON metadata."""
        return {"scenarios": self.scenarios, "features": self.features.to_dict(), "hidden": self.hidden,
                "temperature": self.temperature, "calibrated": self.calibrated, "history": self.history}

    @classmethod
    def from_dict(cls, settings: dict, weights: list) -> "ScenarioClassifier":
        features = FeatureScaling.from_dict(settings["features"])
        model = build_classifier(len(features.names), len(settings["scenarios"]), int(settings["hidden"]))
        model.set_weights(weights)
        return cls(list(settings["scenarios"]), features, model, int(settings["hidden"]),
                   float(settings["temperature"]), bool(settings["calibrated"]), dict(settings.get("history", {})))
