"""How well scenario probabilities score on replicates of known scenario: classification and calibration.

An ``Evaluation`` holds the true labels and one or more named sets of
probabilities for the same replicates (a network's raw softmax output and
its temperature-scaled version, or ABC posteriors). The decision for a
replicate is the scenario of highest probability, so the classification
figures (accuracy, confusion matrix, per-scenario precision, recall, F1)
come from the first set; temperature scaling never changes them. Each
set gets its own log-loss, Brier score and expected calibration error
(see ``genomics.learning.calibration``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from genomics.learning import calibration
from minidl import metrics


@dataclass
class Evaluation:
    scenario_names: list[str]
    labels: numpy.ndarray                                       # (N,) true scenario indices
    outputs: dict[str, numpy.ndarray] = field(default_factory=dict)  # name -> (N, scenarios) probabilities

    def __post_init__(self) -> None:
        if not self.outputs:
            raise ValueError("an evaluation needs at least one set of probabilities")
        classes = len(self.scenario_names)
        first = next(iter(self.outputs.values()))
        self.predicted = first.argmax(axis=1)
        self.confusion = metrics.confusion_matrix(self.labels, self.predicted, classes)
        totals = self.confusion.sum(axis=1, keepdims=True)
        self.rates = numpy.divide(self.confusion, totals, out=numpy.zeros(self.confusion.shape), where=totals > 0)
        self.precision = metrics.precision(self.labels, self.predicted, classes)
        self.recall = metrics.recall(self.labels, self.predicted, classes)
        self.f1 = metrics.f1(self.labels, self.predicted, classes)
        self.scores = {name: {"accuracy": float(numpy.mean(p.argmax(axis=1) == self.labels)),
                              "log_loss": calibration.log_loss(p, self.labels),
                              "brier": calibration.brier_score(p, self.labels),
                              "ece": calibration.expected_calibration_error(p, self.labels)}
                       for name, p in self.outputs.items()}

    @property
    def accuracy(self) -> float:
        return float(numpy.mean(self.predicted == self.labels))

    @property
    def samples(self) -> int:
        return int(len(self.labels))

    def reliability(self, bins: int = 10) -> dict[str, dict]:
        """``calibration.reliability_bins`` of each set of probabilities."""
        return {name: calibration.reliability_bins(p, self.labels, bins) for name, p in self.outputs.items()}

    def report(self) -> str:
        width = max(len(name) for name in self.scenario_names) + 4
        classes = len(self.scenario_names)
        lines = [f"accuracy {self.accuracy:.3f} on {self.samples} held-out replicates (chance {1 / classes:.3f})", ""]
        label_width = max(len(name) for name in self.outputs) + 2
        lines.append("output".ljust(label_width) + "  log-loss   Brier     ECE (10 bins)")
        for name, score in self.scores.items():
            lines.append(name.ljust(label_width) + f"  {score['log_loss']:8.4f}  {score['brier']:6.4f}  "
                         f"{score['ece']:6.4f}")
        lines += ["", "confusion matrix (rows: true scenario, columns: predicted), counts and row rates",
                  " " * width + "".join(f"{i:>8d}" for i in range(classes))]
        for i, name in enumerate(self.scenario_names):
            lines.append(f"{i} {name}".ljust(width) + "".join(f"{c:>8d}" for c in self.confusion[i]))
            lines.append(" " * width + "".join(f"{r:>8.3f}" for r in self.rates[i]))
        lines += ["", "scenario".ljust(width) + "  precision  recall      F1"]
        for name, p, r, f in zip(self.scenario_names, self.precision, self.recall, self.f1):
            lines.append(name.ljust(width) + f"  {p:9.3f}  {r:6.3f}  {f:6.3f}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"scenario_names": self.scenario_names, "accuracy": self.accuracy, "samples": self.samples,
                "scores": self.scores, "confusion_matrix": self.confusion.tolist(),
                "confusion_rates": self.rates.round(6).tolist(), "precision": self.precision.tolist(),
                "recall": self.recall.tolist(), "f1": self.f1.tolist(),
                "reliability": {name: {key: numpy.asarray(value).tolist() for key, value in table.items()}
                                for name, table in self.reliability().items()}}


RAW = "softmax (not calibrated)"


def calibrated_name(temperature: float) -> str:
    return f"calibrated probabilities (T = {temperature:.3f})"


def network_evaluation(scenario_names: list[str], labels: numpy.ndarray, logits: numpy.ndarray,
                       temperature: float | None) -> Evaluation:
    """The network's raw softmax output and, when a temperature was fitted, its calibrated probabilities."""
    outputs = {RAW: calibration.softmax(logits)}
    if temperature is not None:
        outputs[calibrated_name(temperature)] = calibration.softmax(logits, temperature)
    return Evaluation(scenario_names, numpy.asarray(labels), outputs)
