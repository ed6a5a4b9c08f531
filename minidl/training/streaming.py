"""Streaming metrics (Keras's metric classes): state accumulated over an epoch, one result at its end.

A metric function (``metrics.py``) is averaged over batches; some figures
cannot be: an AUC or a precision over an epoch is not the mean of the
batches' AUCs or precisions. These objects keep sufficient statistics
instead (counts of true and false positives at each threshold, sums of
squares), as Keras's do:

    metric.reset_state()                       # fit: at each epoch's start; evaluate: at its start
    metric.update_state(y_true, y_pred)        # every batch
    metric.result()                            # the figure over every batch so far

All work on host numpy arrays; none is differentiable (train on a loss).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend, config
from minidl import initializers
from minidl.training.metric_variable import MetricVariable
from minidl.core.registry import snake_case
from minidl.autodiff.tensor import data_of


def _host(y: Any) -> numpy.ndarray:
    return numpy.asarray(backend.to_numpy(data_of(y)), dtype=float)


def _weights(sample_weight: Any, samples: int) -> numpy.ndarray:
    return numpy.ones(samples) if sample_weight is None else _host(sample_weight).reshape(samples)


def _divide(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator, 0 where the denominator is 0 (Keras's divide_no_nan)."""
    numerator, denominator = numpy.asarray(numerator, dtype=float), numpy.asarray(denominator, dtype=float)
    return numpy.where(denominator != 0, numerator / numpy.where(denominator != 0, denominator, 1), 0.0)


class Metric:
    """Base of the stateful metrics: ``reset_state``, ``update_state``, ``result`` (see the module docstring).

    A user's metric is written as in Keras: state made in ``__init__`` with
    ``self.add_variable(shape, initializer, dtype, name)`` (or ``add_weight``),
    changed in ``update_state`` with ``assign``/``assign_add``, read in
    ``result``; the default ``reset_state`` puts every variable back to its
    initial value. The built-in metrics keep plain attributes instead.
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._variables: list[MetricVariable] = []

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None, aggregation: str = "sum",
                     name: str | None = None) -> MetricVariable:
        """A state variable of ``shape``, made by ``initializer`` (a name, an Initializer or a callable)."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before add_variable")
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (() if shape is None else (int(shape),))
        make = initializers.get(initializer or "zeros")
        variable = MetricVariable(make(shape, dtype or self.dtype), name=name)
        self._variables.append(variable)
        return variable

    def add_weight(self, name: str | None = None, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                   aggregation: str = "sum") -> MetricVariable:
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    @property
    def variables(self) -> list:
        return list(getattr(self, "_variables", []))

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(variable.initial)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update_state(y_true, y_pred, sample_weight)")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define result()")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Update with one batch and return the result so far (Keras's metric call)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)


class _MeanOfSamples(Metric):
    """The mean of a per-sample value over every sample seen (Keras's MeanMetricWrapper)."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.reset_state()

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self.per_sample(_host(y_true), _host(y_pred)).reshape(len(_host(y_pred)), -1).mean(axis=1)
        weights = _weights(sample_weight, len(values))
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self) -> float:
        return float(_divide(self.total, self.count))


def _squared_errors(y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
    return ((y_pred - y_true.reshape(y_pred.shape)) ** 2).reshape(len(y_pred), -1).mean(axis=1)


class MeanSquaredError(_MeanOfSamples):
    """mean over samples of mean((y_pred - y_true)^2) over each sample's values."""

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return _squared_errors(y_true, y_pred)


class MeanAbsoluteError(_MeanOfSamples):
    """mean over samples of mean(|y_pred - y_true|)."""

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return numpy.abs(y_pred - y_true.reshape(y_pred.shape)).reshape(len(y_pred), -1).mean(axis=1)


class MeanAbsolutePercentageError(_MeanOfSamples):
    """mean over samples of 100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over each sample's values."""

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        y_true = y_true.reshape(y_pred.shape)
        errors = numpy.abs((y_true - y_pred) / numpy.maximum(numpy.abs(y_true), config.epsilon()))
        return 100.0 * errors.reshape(len(y_pred), -1).mean(axis=1)


class RootMeanSquaredError(MeanSquaredError):
    """sqrt of the mean squared error over every sample seen (not the mean of the batches' roots)."""

    def result(self) -> float:
        return float(numpy.sqrt(super().result()))


class Accuracy(_MeanOfSamples):
    """Fraction of values predicted exactly (Keras's Accuracy: y_pred == y_true)."""

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return (y_pred == y_true.reshape(y_pred.shape)).astype(float)


class BinaryAccuracy(_MeanOfSamples):
    """Fraction of values where (y_pred > threshold) equals the 0/1 target."""

    def __init__(self, threshold: float = 0.5, name: str | None = None) -> None:
        self.threshold = float(threshold)
        super().__init__(name)

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return (y_true.reshape(y_pred.shape) == (y_pred > self.threshold)).astype(float)

    def get_config(self) -> dict:
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(_MeanOfSamples):
    """Fraction of samples whose largest prediction is the one-hot target's class."""

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(float)


class SparseCategoricalAccuracy(_MeanOfSamples):
    """Fraction of samples whose largest prediction is the integer label."""

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        return (y_true.reshape(y_pred.shape[:-1]) == y_pred.argmax(axis=-1)).astype(float)


class TopKCategoricalAccuracy(_MeanOfSamples):
    """Fraction of samples whose one-hot target is among the ``k`` largest predictions."""

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = int(k)
        super().__init__(name)

    def labels(self, y_true: numpy.ndarray) -> numpy.ndarray:
        return y_true.argmax(axis=-1)

    def per_sample(self, y_true: numpy.ndarray, y_pred: numpy.ndarray) -> numpy.ndarray:
        labels = self.labels(y_true).reshape(len(y_pred)).astype(int)
        target_score = y_pred[numpy.arange(len(y_pred)), labels]
        larger = (y_pred > target_score[:, None]).sum(axis=1)  # ties count in the target's favour, as Keras
        return (larger < self.k).astype(float)

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """TopKCategoricalAccuracy for integer labels."""

    def labels(self, y_true: numpy.ndarray) -> numpy.ndarray:
        return y_true


class _Confusion(Metric):
    """Counts of true/false positives/negatives at thresholds; a prediction above a threshold is positive.

    ``class_id`` keeps one column; ``top_k`` keeps each sample's k largest
    predictions as candidates (then, by default, all k are positives).
    """

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None) -> None:
        default = 0.5 if top_k is None else -numpy.inf  # with top_k, every one of the k largest is a positive
        values = [default] if thresholds is None else ([thresholds] if numpy.isscalar(thresholds) else list(thresholds))
        self.thresholds = numpy.asarray(values, dtype=float)
        self.top_k, self.class_id = top_k, class_id
        super().__init__(name)
        self.reset_state()

    def reset_state(self) -> None:
        shape = (len(self.thresholds),)
        self.tp, self.fp, self.tn, self.fn = (numpy.zeros(shape) for _ in range(4))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = _host(y_pred)
        y_true = _host(y_true).reshape(y_pred.shape)
        if self.top_k is not None:  # only the k largest predictions of each sample may be positive
            kth = numpy.sort(y_pred, axis=-1)[..., -self.top_k][..., None]
            y_pred = numpy.where(y_pred >= kth, y_pred, -numpy.inf)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        weights = _weights(sample_weight, len(y_pred)).reshape((-1,) + (1,) * (y_pred.ndim - 1))
        weights = numpy.broadcast_to(weights, y_pred.shape).ravel()
        truth, scores = y_true.ravel() > 0.5, y_pred.ravel()
        above = scores[None, :] > self.thresholds[:, None]
        self.tp += (above & truth) @ weights
        self.fp += (above & ~truth) @ weights
        self.fn += (~above & truth) @ weights
        self.tn += (~above & ~truth) @ weights

    def get_config(self) -> dict:
        thresholds = self.thresholds.tolist()
        return {**super().get_config(), "thresholds": thresholds[0] if len(thresholds) == 1 else thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_Confusion):
    """TP / (TP + FP) over every sample seen (threshold 0.5 by default)."""

    def result(self) -> float:
        return float(_divide(self.tp, self.tp + self.fp)[0])


class Recall(_Confusion):
    """TP / (TP + FN) over every sample seen (threshold 0.5 by default)."""

    def result(self) -> float:
        return float(_divide(self.tp, self.tp + self.fn)[0])


class _Count(_Confusion):
    """One count of the confusion matrix at each threshold (one number for one threshold, as Keras)."""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(thresholds, name=name)

    def count(self) -> numpy.ndarray:
        raise NotImplementedError

    def result(self) -> Any:
        counts = self.count()
        return float(counts[0]) if len(counts) == 1 else counts.copy()

    def get_config(self) -> dict:
        thresholds = self.thresholds.tolist()
        return {"name": self.name, "thresholds": thresholds[0] if len(thresholds) == 1 else thresholds}


class TruePositives(_Count):
    """The (weighted) number of positives predicted above the threshold (0.5 by default)."""

    def count(self) -> numpy.ndarray:
        return self.tp


class FalsePositives(_Count):
    """The (weighted) number of negatives predicted above the threshold."""

    def count(self) -> numpy.ndarray:
        return self.fp


class TrueNegatives(_Count):
    """The (weighted) number of negatives predicted at or below the threshold."""

    def count(self) -> numpy.ndarray:
        return self.tn


class FalseNegatives(_Count):
    """The (weighted) number of positives predicted at or below the threshold."""

    def count(self) -> numpy.ndarray:
        return self.fn


class AUC(_Confusion):
    """Area under the ROC (or precision-recall) curve, from counts at ``num_thresholds`` thresholds (Keras's).

    Thresholds are i / (n - 1) for i = 1 .. n - 2, plus -eps and 1 + eps.
    ROC: the trapezoidal sum over (false-positive rate, recall). PR: the
    interpolation of Davis and Goadrich (2006), where precision varies as TP
    and TP + FP vary linearly between thresholds. ``multi_label=False``:
    every label of every sample is one binary decision.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, from_logits: bool = False) -> None:
        if num_thresholds < 2:
            raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
        if curve.upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be interpolation, minoring or majoring, "
                             f"got {summation_method!r}")
        self.num_thresholds, self.curve = int(num_thresholds), curve.upper()
        self.summation_method, self.from_logits = summation_method, from_logits
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        super().__init__([0.0 - config.epsilon()] + inner + [1.0 + config.epsilon()], name=name or "auc")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self.from_logits:
            y_pred = 1 / (1 + numpy.exp(-_host(y_pred)))
        super().update_state(y_true, y_pred, sample_weight)

    def result(self) -> float:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        recall = _divide(self.tp, self.tp + self.fn)
        if self.curve == "ROC":
            x, y = _divide(self.fp, self.fp + self.tn), recall
        else:
            x, y = recall, _divide(self.tp, self.tp + self.fp)
        heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": numpy.minimum(y[:-1], y[1:]),
                   "majoring": numpy.maximum(y[:-1], y[1:])}[self.summation_method]
        return float(((x[:-1] - x[1:]) * heights).sum())

    def _interpolated_pr_auc(self) -> float:
        tp, p = self.tp, self.tp + self.fp
        dtp, dp = tp[:-1] - tp[1:], p[:-1] - p[1:]
        slope = _divide(dtp, numpy.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = numpy.where(both, _divide(p[:-1], numpy.maximum(p[1:], 0)), 1.0)
        increments = _divide(slope * (dtp + intercept * numpy.log(ratio)), numpy.maximum(tp[1:] + self.fn[1:], 0))
        return float(increments.sum())

    def get_config(self) -> dict:
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "from_logits": self.from_logits}


class R2Score(Metric):
    """The coefficient of determination over every sample seen, per output column, then averaged.

    R^2 = 1 - sum((y - y_pred)^2) / sum((y - mean y)^2) per column;
    ``class_aggregation``: "uniform_average" (mean over columns),
    "variance_weighted_average" (weighted by each column's sum of squares);
    ``num_regressors`` p > 0 gives the adjusted R^2, 1 - (1 - R^2)(n - 1)/(n - p - 1),
    with n the number of values seen (samples times columns, as Keras counts).
    """

    def __init__(self, class_aggregation: str = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score") -> None:
        if class_aggregation not in ("uniform_average", "variance_weighted_average"):
            raise ValueError(f"R2Score: class_aggregation must be uniform_average or variance_weighted_average, "
                             f"got {class_aggregation!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        super().__init__(name)
        self.reset_state()

    def reset_state(self) -> None:
        self.sums = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = _host(y_pred).reshape(len(_host(y_pred)), -1)
        y_true = _host(y_true).reshape(y_pred.shape)
        w = _weights(sample_weight, len(y_pred))[:, None]
        batch = numpy.stack([(w * y_true).sum(0), (w * y_true**2).sum(0), (w * (y_true - y_pred) ** 2).sum(0),
                             numpy.broadcast_to(w, y_true.shape).sum(0)])
        self.sums = batch if self.sums is None else self.sums + batch

    def result(self) -> float:
        if self.sums is None:
            return 0.0
        total, squares, residual, count = self.sums
        mean = total / count
        spread = squares - total * mean
        scores = numpy.where(spread != 0, 1 - _divide(residual, spread), 0.0)  # a constant target scores 0 (Keras)
        if self.class_aggregation == "uniform_average":
            score = scores.mean()
        else:
            score = float(_divide((scores * spread).sum(), spread.sum()))
        n = count.sum()  # every value of every column counts as a sample here, as in Keras
        if self.num_regressors and self.num_regressors < n - 1:
            score = 1 - (1 - score) * (n - 1) / (n - self.num_regressors - 1)
        return float(score)

    def get_config(self) -> dict:
        return {"name": self.name, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


CLASSES = {cls.__name__: cls for cls in (AUC, Accuracy, BinaryAccuracy, CategoricalAccuracy, FalseNegatives,
                                           FalsePositives, MeanAbsoluteError, MeanAbsolutePercentageError,
                                           MeanSquaredError, Precision, R2Score, Recall, RootMeanSquaredError,
                                           SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                                           TopKCategoricalAccuracy, TrueNegatives, TruePositives)}
