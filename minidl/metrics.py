"""Evaluation metrics on plain arrays (not differentiable), and their look-up for ``compile``.

A metric for ``compile(metrics=[...])`` is any ``metric(y_true, y_pred) ->
number``; ``fit`` and ``evaluate`` report its mean over batches, weighted by
batch size, as Keras does for its metric functions. For accuracy this is
exactly the accuracy over the whole epoch. A user's function is reduced as
Keras reduces it: its values are averaged, and it counts once per value it
returns (once per batch for one number, once per sample for one value per
sample). Figures that are not means over samples (AUC, precision, recall,
R^2, RMSE) are streaming ``Metric`` objects (``minidl.training.streaming``).

``"accuracy"`` (or ``"acc"``, logged under the name given) is chosen from
the loss: categorical accuracy for ``categorical_crossentropy``, sparse for
``sparse_categorical_crossentropy``, binary (threshold 0.5) for
``binary_crossentropy``; for any other loss from the shapes, as Keras 3
chooses (``accuracy_by_shape``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from minidl.core import backend
from minidl.training import streaming
from minidl import functional as F
from minidl.autodiff.function import no_grad
from minidl.core.registry import Registry, snake_case
from minidl.training.streaming import (  # noqa: F401 - Keras's metric classes, minidl.metrics.AUC as keras.metrics.AUC
    AUC,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    FalseNegatives,
    FalsePositives,
    SparseCategoricalAccuracy,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    Metric,
    Precision,
    R2Score,
    Recall,
    RootMeanSquaredError,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    TrueNegatives,
    TruePositives,
)
from minidl.training.metric_variable import MetricVariable  # noqa: F401 - the state of a user's Metric
from minidl.training.mean_metrics import (  # noqa: F401 - Keras's reducing and cross-entropy metric classes
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Mean,
    SparseCategoricalCrossentropy,
    Sum,
)
from minidl.autodiff.tensor import Tensor, data_of


def _host(y: Any) -> numpy.ndarray:
    """A numpy array on the host from a Tensor or any array."""
    return numpy.asarray(backend.to_numpy(data_of(y)))


def _arrays(y_true: Any, y_pred: Any) -> tuple[numpy.ndarray, numpy.ndarray]:
    return _host(y_true), _host(y_pred)


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose largest predicted class is the one-hot target's."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return float(numpy.mean(y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)))


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose largest predicted class equals the integer label."""
    y_true, y_pred = _arrays(y_true, y_pred)
    labels = y_true.reshape(y_pred.shape[:-1])
    return float(numpy.mean(labels == y_pred.argmax(axis=-1)))


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of elements where (prediction > threshold) equals the binary target."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return float(numpy.mean(y_true.reshape(y_pred.shape) == (y_pred > threshold)))


def accuracy_by_shape(y_true: Any, y_pred: Any) -> float:
    """Keras's choice of accuracy when the loss does not say: binary for one output column, sparse for
    integer labels (fewer axes than the predictions, or one column against several), categorical otherwise."""
    y_true, y_pred = _arrays(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred)
    if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


def pearson(y_true: Any, y_pred: Any) -> float:
    """Pearson's correlation coefficient between targets and predictions (flattened)."""
    y_true, y_pred = _arrays(y_true, y_pred)
    a, b = y_true.ravel().astype(float), y_pred.ravel().astype(float)
    a, b = a - a.mean(), b - b.mean()
    denominator = numpy.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def _labels(y: Any) -> numpy.ndarray:
    """Class labels from integer labels, one-hot rows or class probabilities."""
    y = _host(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return y.argmax(axis=-1).ravel()
    return y.ravel().astype(int)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> numpy.ndarray:
    """counts[i, j] = number of samples of true class i predicted as class j.

    Either argument may hold integer labels, one-hot rows or probabilities.
    """
    true, predicted = _labels(y_true), _labels(y_pred)
    if true.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: {true.shape[0]} true labels but {predicted.shape[0]} predictions")
    if num_classes is None:
        num_classes = int(max(true.max(initial=0), predicted.max(initial=0))) + 1
    counts = numpy.zeros((num_classes, num_classes), dtype=numpy.int64)
    numpy.add.at(counts, (true, predicted), 1)
    return counts


def _per_class(y_true: Any, y_pred: Any, num_classes: int | None, average: str | None, axis: int) -> Any:
    counts = confusion_matrix(y_true, y_pred, num_classes)
    correct = numpy.diag(counts).astype(float)
    totals = counts.sum(axis=axis).astype(float)
    scores = numpy.divide(correct, totals, out=numpy.zeros_like(correct), where=totals > 0)
    return _average(scores, average)


def _average(scores: numpy.ndarray, average: str | None) -> Any:
    if average is None:
        return scores
    if average == "macro":
        return float(scores.mean())
    raise ValueError(f"average must be None (per class) or 'macro', got {average!r}")


def precision(y_true: Any, y_pred: Any, num_classes: int | None = None, average: str | None = None) -> Any:
    """Per class: true positives / predicted positives (0 where nothing was predicted); 'macro' averages."""
    return _per_class(y_true, y_pred, num_classes, average, axis=0)


def recall(y_true: Any, y_pred: Any, num_classes: int | None = None, average: str | None = None) -> Any:
    """Per class: true positives / actual positives (0 for an absent class); 'macro' averages."""
    return _per_class(y_true, y_pred, num_classes, average, axis=1)


def f1(y_true: Any, y_pred: Any, num_classes: int | None = None, average: str | None = None) -> Any:
    """Per class: the harmonic mean 2 p r / (p + r) of precision and recall; 'macro' averages."""
    p = precision(y_true, y_pred, num_classes)
    r = recall(y_true, y_pred, num_classes)
    scores = numpy.divide(2 * p * r, p + r, out=numpy.zeros_like(p), where=(p + r) > 0)
    return _average(scores, average)


def _binary_curve_counts(y_true: Any, scores: Any) -> tuple:
    """Cumulative true and false positives at each distinct score threshold, highest first."""
    y = _host(y_true).ravel().astype(bool)
    s = _host(scores).ravel().astype(float)
    if y.shape != s.shape:
        raise ValueError(f"{y.shape[0]} labels but {s.shape[0]} scores")
    order = numpy.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last_of_each_threshold = numpy.r_[numpy.nonzero(numpy.diff(s))[0], y.size - 1]
    true_positives = numpy.cumsum(y)[last_of_each_threshold]
    false_positives = (last_of_each_threshold + 1) - true_positives
    return true_positives, false_positives, s[last_of_each_threshold], int(y.sum()), int((~y).sum())


def roc_curve(y_true: Any, scores: Any) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(false positive rates, true positive rates, thresholds) for a binary task, from (0, 0).

    A sample counts as positive when its score is >= the threshold.
    """
    tp, fp, thresholds, positives, negatives = _binary_curve_counts(y_true, scores)
    if positives == 0 or negatives == 0:
        raise ValueError("roc_curve needs both positive and negative samples")
    tpr = numpy.r_[0.0, tp / positives]
    fpr = numpy.r_[0.0, fp / negatives]
    return fpr, tpr, numpy.r_[numpy.inf, thresholds]


def precision_recall_curve(y_true: Any, scores: Any) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(precisions, recalls, thresholds) at each distinct threshold, by decreasing threshold."""
    tp, fp, thresholds, positives, _ = _binary_curve_counts(y_true, scores)
    if positives == 0:
        raise ValueError("precision_recall_curve needs at least one positive sample")
    return tp / (tp + fp), tp / positives, thresholds


def auc(x: Any, y: Any) -> float:
    """Area under a curve by the trapezoidal rule, e.g. ``auc(*roc_curve(y, s)[:2])``."""
    x, y = numpy.asarray(x, dtype=float), numpy.asarray(y, dtype=float)
    return float(numpy.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def _as_metric(loss: Callable, name: str) -> Callable:
    """A loss as a metric: its mean over the batch, as a number (Keras accepts every loss name as a metric)."""

    def metric(y_true: Any, y_pred: Any) -> float:
        with no_grad():
            return float(loss(_host(y_true), Tensor(_host(y_pred))).item())

    metric.__name__ = name
    metric.__doc__ = f"The loss {name} as a metric (mean over the samples)."
    return metric


ALL: dict[str, Callable] = {
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "binary_accuracy": binary_accuracy,
    "pearson": pearson,
    **{name: _as_metric(loss, name) for name, loss in (
        ("mean_squared_error", F.mean_squared_error), ("mse", F.mean_squared_error),
        ("mean_absolute_error", F.mean_absolute_error), ("mae", F.mean_absolute_error),
        ("binary_crossentropy", F.binary_crossentropy), ("categorical_crossentropy", F.categorical_crossentropy),
        ("sparse_categorical_crossentropy", F.sparse_categorical_crossentropy))},
}

REGISTRY = Registry("metric", {"accuracy": None, **ALL}, instantiate=False)

ACCURACY_FOR_LOSS = {
    "categorical_crossentropy": categorical_accuracy,
    "sparse_categorical_crossentropy": sparse_categorical_accuracy,
    "binary_crossentropy": binary_accuracy,
}


#: streaming metrics by the names Keras accepts ("AUC", "auc", "precision", "RootMeanSquaredError", ...)
STREAMING = {**{name.lower(): cls for name, cls in streaming.CLASSES.items()},
             **{snake_case(name): cls for name, cls in streaming.CLASSES.items()},
             "rmse": streaming.RootMeanSquaredError, "mape": streaming.MeanAbsolutePercentageError}


def get(identifier: Any, loss_name: str | None = None) -> tuple[str, Callable]:
    """(name shown in logs, metric) for a metric given to ``compile``: a function, or a streaming Metric object.

    Names of losses ("mae", "mse", ...) are metrics too; "AUC", "precision",
    "recall", "r2_score", ... give streaming metrics (``minidl.training.streaming``).
    """
    if isinstance(identifier, streaming.Metric):
        return identifier.name, identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in streaming.CLASSES:
        instance = streaming.CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
        return instance.name, instance
    if isinstance(identifier, type) and issubclass(identifier, streaming.Metric):
        instance = identifier()
        return instance.name, instance
    if isinstance(identifier, str) and identifier.lower() not in REGISTRY.entries and (
            identifier.lower() in STREAMING or identifier in streaming.CLASSES):
        instance = streaming.CLASSES.get(identifier, STREAMING.get(identifier.lower()))(name=identifier)
        return instance.name, instance  # named as given, as Keras logs "AUC" for metrics=["AUC"]
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):  # logged under the name given, as Keras does
            return identifier, ACCURACY_FOR_LOSS.get(loss_name, accuracy_by_shape)
        return identifier.split(">", 1)[-1], REGISTRY.get(identifier)  # a registered "package>name" logs as name
    if identifier is None:
        raise ValueError(f"cannot interpret None as a metric; valid names are: {', '.join(REGISTRY.names)}")
    return getattr(identifier, "__name__", type(identifier).__name__), REGISTRY.get(identifier)
