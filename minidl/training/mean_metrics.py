"""Keras's reducing and probabilistic metric classes: ``Mean``, ``Sum``, and the cross-entropies as metrics.

``Mean`` (``loss_tracker = keras.metrics.Mean(name="loss")``) and ``Sum``
accumulate values the user hands them: total = sum_i w_i v_i,
count = sum_i w_i; ``result()`` is total / count (``Sum``: total). The
cross-entropy metrics are means over samples of each sample's loss, with
Keras's clipping of probabilities to [epsilon, 1 - epsilon]:

    binary:       -mean_j (y_j log p_j + (1 - y_j) log(1 - p_j)),  p = sigmoid(z) from logits
    categorical:  -sum_c y_c log(p_c / sum p),                      logsumexp(z) - sum_c y_c z_c from logits
    sparse:       categorical with y one-hot from the integer label
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import config
from minidl.training.streaming import Metric, _divide, _host, _MeanOfSamples


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight=None)``.

    As Keras: values of several axes are first averaged over all but the first
    (one value per sample; over the axes the weights lack, if weighted), so
    a batch counts its samples, or the sum of their weights.
    """

    reduce = staticmethod(numpy.mean)

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = _host(values)
        if sample_weight is not None:
            weights = _host(sample_weight)
            if values.ndim > weights.ndim:
                values = self.reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
            weights = numpy.broadcast_to(weights, values.shape)
            values = values * weights
            if weights.ndim > 1:
                weights = self.reduce(weights, axis=tuple(range(1, weights.ndim)))
        if values.ndim > 1:
            values = self.reduce(values, axis=tuple(range(1, values.ndim)))
        self.total += float(values.sum())
        self.count += float(weights.sum()) if sample_weight is not None else (len(values) if values.ndim else 1)

    def result(self) -> float:
        return float(_divide(self.total, self.count))


class Sum(Mean):
    """The (weighted) sum of every value given to ``update_state``."""

    reduce = staticmethod(numpy.sum)

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name, dtype)

    def result(self) -> float:
        return float(self.total)


class _Crossentropy(_MeanOfSamples):
    def __init__(self, name: str | None = None, dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1) -> None:
        if label_smoothing:
            raise ValueError(f"{type(self).__name__}: label_smoothing is not supported by minidl, got "
                             f"{label_smoothing}")
        self.from_logits, self.axis = bool(from_logits), axis
        super().__init__(name)

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits}


def _log_probabilities(y_pred: numpy.ndarray, from_logits: bool) -> numpy.ndarray:
    """log p over the last axis, from logits (stable) or from probabilities (normalised and clipped, as Keras)."""
    if from_logits:
        shifted = y_pred - y_pred.max(axis=-1, keepdims=True)
        return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True))
    eps = config.epsilon()
    return numpy.log(numpy.clip(y_pred / y_pred.sum(axis=-1, keepdims=True), eps, 1 - eps))


class BinaryCrossentropy(_Crossentropy):
    """Mean binary cross-entropy per sample (see the module docstring)."""

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0.0) -> None:
        super().__init__(name, dtype, from_logits, label_smoothing)

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        y = y_true.reshape(y_pred.shape)
        if self.from_logits:  # max(z, 0) - z y + log(1 + e^-|z|)
            values = numpy.maximum(y_pred, 0) - y_pred * y + numpy.log1p(numpy.exp(-numpy.abs(y_pred)))
        else:
            eps = config.epsilon()
            p = numpy.clip(y_pred, eps, 1 - eps)
            values = -(y * numpy.log(p) + (1 - y) * numpy.log(1 - p))
        return values.reshape(len(y_pred), -1).mean(axis=1) if values.ndim > 1 else values


class CategoricalCrossentropy(_Crossentropy):
    """Mean categorical cross-entropy of one-hot targets (see the module docstring)."""

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1) -> None:
        super().__init__(name, dtype, from_logits, label_smoothing, axis)

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return -(y_true.reshape(y_pred.shape) * _log_probabilities(y_pred, self.from_logits)).sum(axis=-1)


class SparseCategoricalCrossentropy(_Crossentropy):
    """Mean categorical cross-entropy of integer labels (see the module docstring)."""

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 axis: int = -1) -> None:
        super().__init__(name, dtype, from_logits, 0.0, axis)

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        labels = y_true.reshape(y_pred.shape[:-1]).astype(int)
        log_p = _log_probabilities(y_pred, self.from_logits)
        return -numpy.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
