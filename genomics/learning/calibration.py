"""Calibrated scenario probabilities: temperature scaling and the measures of calibration.

A classifier's softmax output p = softmax(z) of its logits z (one per
scenario) is a probability only if, among the data sets given p_k = 0.8,
80% truly come from scenario k. Deep networks are usually over-confident.
Temperature scaling (Guo et al. 2017, "On calibration of modern neural
networks") divides the logits by one scalar T > 0 fitted on held-out
replicates (the calibration split, used for nothing else):

    p_k(T) = exp(z_k / T) / sum_j exp(z_j / T)

T minimises the mean negative log-likelihood on those replicates. With
beta = 1 / T, the loss of one replicate of true class y is

    l(beta) = -beta z_y + log sum_j exp(beta z_j),
    l'(beta) = -z_y + E_p[z],          l''(beta) = Var_p[z] >= 0,

(E and Var under p(beta)), so the mean loss is convex in beta and Newton's
method on beta finds its minimum. T = 1 changes nothing; T > 1 softens
over-confident outputs. The argmax, so the accuracy, never changes.

Measures, for N replicates, K scenarios, true labels y and probabilities p:

- log-loss: -(1/N) sum_i log p_i[y_i];
- Brier score: (1/N) sum_i sum_k (p_ik - [y_i = k])^2 (the multi-class
  form, from 0 to 2);
- expected calibration error (ECE): the replicates binned by confidence
  c_i = max_k p_ik into ``bins`` equal-width bins on [0, 1];
  ECE = sum_b (n_b / N) |accuracy_b - mean confidence_b|. A perfectly
  calibrated classifier has an ECE near 0 (up to sampling noise).
"""

from __future__ import annotations

import numpy


def softmax(logits: numpy.ndarray, temperature: float = 1.0) -> numpy.ndarray:
    """softmax(logits / temperature) along the last axis, computed stably (max subtracted first)."""
    scaled = numpy.asarray(logits, dtype=float) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exponentials = numpy.exp(scaled)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def _checked(probabilities_or_logits: numpy.ndarray, labels: numpy.ndarray, what: str) -> tuple:
    values, labels = numpy.asarray(probabilities_or_logits, dtype=float), numpy.asarray(labels)
    if values.ndim != 2 or labels.shape != (values.shape[0],):
        raise ValueError(f"{what}: expected (N, classes) values and N labels, got shapes {values.shape} and "
                         f"{labels.shape}")
    if len(labels) == 0:
        raise ValueError(f"{what}: no replicates")
    if labels.min() < 0 or labels.max() >= values.shape[1]:
        raise ValueError(f"{what}: labels must be in 0..{values.shape[1] - 1}")
    return values, labels.astype(int)


def fit_temperature(logits: numpy.ndarray, labels: numpy.ndarray, iterations: int = 100) -> float:
    """The T > 0 minimising the mean log-loss of softmax(logits / T) on (logits, labels), by Newton on 1/T.

    Each Newton step is halved until the loss does not increase (and beta
    stays positive). When the logits already separate every replicate
    perfectly the loss keeps falling as T -> 0; T is then bounded below
    at 0.01.
    """
    logits, labels = _checked(logits, labels, "fit_temperature")
    true_logit = logits[numpy.arange(len(labels)), labels]

    def loss(beta: float) -> float:
        z = beta * logits
        top = z.max(axis=1)
        return float(numpy.mean(top + numpy.log(numpy.exp(z - top[:, None]).sum(axis=1)) - beta * true_logit))

    beta, current = 1.0, loss(1.0)
    for _ in range(iterations):
        p = softmax(logits, 1 / beta)
        mean_z = (p * logits).sum(axis=1)
        gradient = float(numpy.mean(mean_z - true_logit))
        curvature = float(numpy.mean((p * logits**2).sum(axis=1) - mean_z**2))
        step = gradient / curvature if curvature > 1e-12 else gradient
        while True:
            candidate = min(max(beta - step, 1e-6), 100.0)
            if loss(candidate) <= current + 1e-15 or abs(step) < 1e-12:
                break
            step /= 2
        improvement = current - loss(candidate)
        beta, current = candidate, loss(candidate)
        if abs(step) < 1e-10 or improvement < 1e-14:
            break
    return float(1 / beta)


def log_loss(probabilities: numpy.ndarray, labels: numpy.ndarray) -> float:
    """-(1/N) sum_i log p_i[y_i], with p clipped at 1e-15 so that a confident mistake costs 34.5, not infinity."""
    p, labels = _checked(probabilities, labels, "log_loss")
    return float(-numpy.mean(numpy.log(numpy.clip(p[numpy.arange(len(labels)), labels], 1e-15, 1.0))))


def brier_score(probabilities: numpy.ndarray, labels: numpy.ndarray) -> float:
    """(1/N) sum_i sum_k (p_ik - [y_i = k])^2."""
    p, labels = _checked(probabilities, labels, "brier_score")
    truth = numpy.eye(p.shape[1])[labels]
    return float(numpy.mean(numpy.sum((p - truth) ** 2, axis=1)))


def reliability_bins(probabilities: numpy.ndarray, labels: numpy.ndarray, bins: int = 10) -> dict:
    """Per equal-width confidence bin: replicates, mean confidence and accuracy (NaN for an empty bin)."""
    p, labels = _checked(probabilities, labels, "reliability_bins")
    confidence, correct = p.max(axis=1), (p.argmax(axis=1) == labels).astype(float)
    index = numpy.minimum((confidence * bins).astype(int), bins - 1)  # confidence 1.0 goes to the last bin
    counts = numpy.bincount(index, minlength=bins)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = numpy.bincount(index, confidence, minlength=bins) / counts
        accuracy = numpy.bincount(index, correct, minlength=bins) / counts
    return {"edges": numpy.linspace(0, 1, bins + 1), "counts": counts, "confidence": mean_confidence,
            "accuracy": accuracy}


def expected_calibration_error(probabilities: numpy.ndarray, labels: numpy.ndarray, bins: int = 10) -> float:
    """sum_b (n_b / N) |accuracy_b - confidence_b| over equal-width confidence bins."""
    table = reliability_bins(probabilities, labels, bins)
    used = table["counts"] > 0
    weights = table["counts"][used] / table["counts"].sum()
    return float(numpy.sum(weights * numpy.abs(table["accuracy"][used] - table["confidence"][used])))
