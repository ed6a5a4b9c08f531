"""What ``compile`` was given, resolved once (Keras 3's ``compile_utils``): the compiled loss and metrics.

The compiled loss of a batch, for a model of outputs k = 1..K::

    loss = sum_k loss_weight_k * loss_k(y_k, prediction_k, sample_weight) + sum(model.losses)

``loss_k`` is reduced as Keras reduces it (``minidl.losses.call_loss``):
one value per sample (or per element) is weighted by ``sample_weight`` and
summed, then divided by the number of values ("sum_over_batch_size").

The contract of layer losses: ``model.losses`` is the list of scalar
penalty Tensors that the model's latest forward pass stands on (the
weights' regularization penalties and whatever layers gave ``add_loss``).
The trainer calls ``CompileLoss.total`` right after that forward pass and
the penalties are added here, once: nothing else adds regularization to
the loss, and layers never add it to their outputs.

Logs are Keras's: ``loss`` is the weighted total; a model of several
outputs also logs each output's own (unweighted) loss as ``<output>_loss``
and its metrics as ``<output>_<metric>``; a ``weighted_metrics`` entry whose
name a ``metrics`` entry already took is logged as ``weighted_<metric>``
(Keras's names). Figures over an epoch
(``EpochLogs``) are means over its samples, except the per-output losses:
Keras 3 (measured on 3.15) counts each batch once in those, so a smaller
last batch weighs as much as a full one; we do the same, so that the
figures compare. A metric object (``minidl.training.streaming.Metric``, built-in or
the user's) keeps its own state over the epoch; its figure is its
``result()``.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl import losses as losses_module
from minidl import metrics as metrics_module
from minidl.autodiff.tensor import Tensor, data_of
from minidl.training.streaming import RootMeanSquaredError, _MeanOfSamples


class CompileLoss:
    """The loss of each output (None: no loss) and its weight."""

    def __init__(self, output_names: list, loss: Any, loss_weights: Any) -> None:
        self.output_names = list(output_names)
        resolved = per_output("loss", loss, self.output_names, broadcast=True)
        self.losses = [None if item is None else losses_module.get(item) for item in resolved]
        weights = per_output("loss_weights", loss_weights, self.output_names, broadcast=False)
        self.loss_weights = [1.0 if weight is None else float(weight) for weight in weights]

    def total(self, ys: list, predictions: list, sample_weight: Any, layer_losses: list) -> tuple[Tensor, dict]:
        """(the loss of the module docstring, {"<output>_loss": unweighted loss} for models of several outputs)."""
        total, per_output_losses = None, {}
        for name, loss, weight, y, prediction in zip(self.output_names, self.losses, self.loss_weights, ys,
                                                     predictions):
            if loss is None:
                continue
            value = losses_module.call_loss(loss, y, prediction, sample_weight)
            if len(self.output_names) > 1:
                per_output_losses[f"{name}_loss"] = value
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        for penalty in layer_losses:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("compile was given no loss and no layer added one with add_loss: give compile a loss, "
                             f"e.g. one of {', '.join(sorted(losses_module.ALL))}")
        return total, per_output_losses


class CompileMetrics:
    """The metrics of each output, as ``(key in logs, output index, metric, kind)``; ``weighted`` holds the keys
    of ``weighted_metrics``, whose figures are weighted by the samples' weights.

    ``kind`` says how a batch's figure enters the epoch's: "builtin" (a mean
    over the batch's samples, weighted by their number), "custom" (a user's
    function, weighted by the number of values it returns, as Keras's
    ``Mean`` does) or "stateful" (a Metric object: its result stands for the
    whole epoch).
    """

    def __init__(self, output_names: list, metrics: Any, losses: list, weighted_metrics: Any = None) -> None:
        several = len(output_names) > 1
        builtin = set(map(id, metrics_module.ALL.values())) | set(map(id, metrics_module.ACCURACY_FOR_LOSS.values()))
        builtin.add(id(metrics_module.accuracy_by_shape))
        self.entries: list[tuple[str, int, Any, str]] = []
        self.weighted: set[str] = set()
        for weighted, given in ((False, metrics), (True, weighted_metrics)):
            for output, (name, requested, loss) in enumerate(zip(output_names, per_output_metrics(given, output_names),
                                                                 losses)):
                loss_name = None if loss is None else losses_module.name_of(loss)
                for metric in requested:
                    metric_name, function = metrics_module.get(metric, loss_name)
                    kind = "stateful" if isinstance(function, metrics_module.Metric) else \
                        "builtin" if id(function) in builtin else "custom"
                    key = f"{name}_{metric_name}" if several else metric_name
                    if weighted and any(entry[0] == key for entry in self.entries):
                        key = f"{name}_weighted_{metric_name}" if several else f"weighted_{metric_name}"
                    self.entries.append((key, output, function, kind))
                    if weighted:
                        self.weighted.add(key)

    def reset(self) -> None:
        """Start the metric objects afresh (each epoch, each evaluation)."""
        for _, _, metric, kind in self.entries:
            if kind == "stateful":
                metric.reset_state()

    def batch_figures(self, ys: list, predictions: list, samples: int,
                      sample_weight: Any = None) -> tuple[dict, dict]:
        """({key: the batch's figure}, {key: its weight in the epoch's mean, None for a stateful metric})."""
        logs, counts = {}, {}
        for key, output, metric, kind in self.entries:
            y_true, y_pred, weights, count = ys[output], predictions[output].data, sample_weight, samples
            kept = kept_entries(predictions[output]) if kind != "stateful" or masked_by_keras(metric) else None
            if kept is not None:  # Keras's MeanMetricWrapper: a figure over the entries the output's mask keeps
                y_true, y_pred, count = numpy.asarray(backend.to_numpy(data_of(y_true)))[kept], y_pred[
                    backend.get_array_module(y_pred).asarray(kept)], int(kept.sum())
                if weights is not None:
                    weights = numpy.asarray(backend.to_numpy(data_of(weights)), dtype=float)
                    weights = numpy.broadcast_to(weights.reshape(weights.shape + (1,) * (kept.ndim - weights.ndim)),
                                                 kept.shape)[kept]
            if count == 0:
                continue
            if key in self.weighted and weights is not None:
                logs[key], counts[key] = weighted_figure(metric, kind, y_true, y_pred, weights, key)
            elif kind == "stateful":
                metric.update_state(y_true, y_pred)
                logs[key], counts[key] = as_float(metric.result(), key), None
            elif kind == "custom":
                logs[key], counts[key] = custom_metric_value(metric(y_true, y_pred), key)
            else:
                logs[key], counts[key] = float(metric(y_true, y_pred)), count
        return logs, counts


class Compiled:
    """Everything ``compile`` was given: ``given`` (for saving), the compiled loss and the compiled metrics."""

    def __init__(self, output_names: list, loss: Any, loss_weights: Any, metrics: Any,
                 weighted_metrics: Any = None) -> None:
        self.given = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics}
        self.given_loss = loss
        self.loss = CompileLoss(output_names, loss, loss_weights)
        self.metrics = CompileMetrics(output_names, metrics, self.loss.losses, weighted_metrics)

    def batch_logs(self, ys: list, predictions: list, loss: Tensor, per_output_losses: dict,
                   sample_weight: Any = None) -> tuple[dict, dict]:
        """(the batch's figures, their weights in the epoch's mean; see ``EpochLogs``)."""
        samples = len(ys[0])
        logs, counts = {"loss": float(loss.item())}, {"loss": samples}
        for key, value in per_output_losses.items():
            logs[key], counts[key] = float(value.item()), 1
        metric_logs, metric_counts = self.metrics.batch_figures(ys, predictions, samples, sample_weight)
        logs.update(metric_logs)
        counts.update(metric_counts)
        return logs, counts


class EpochLogs:
    """Running means of the batches' figures over an epoch (or an evaluation), each with its own weights.

    ``add(logs, counts)`` adds one batch; a count of None means the figure
    already covers the epoch (a stateful metric) and replaces the sum.
    ``means()`` gives the figures so far.
    """

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.counts: dict[str, float] = {}

    def add(self, logs: dict, counts: dict) -> None:
        for key, value in logs.items():
            weight = counts[key]
            if weight is None:
                self.totals[key], self.counts[key] = value, 1
                continue
            self.totals[key] = self.totals.get(key, 0.0) + value * weight
            self.counts[key] = self.counts.get(key, 0) + weight

    def means(self) -> dict:
        return {key: value / self.counts[key] for key, value in self.totals.items()}


def per_output(what: str, given: Any, names: list, broadcast: bool) -> list:
    """``given`` as one entry per output: a list in output order, a dict by name, or one value for all.

    A dict with a "class_name" (a serialized loss) is one value, not a dict by output name.
    """
    if isinstance(given, dict) and "class_name" not in given:
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} names {', '.join(map(repr, unknown))}, not outputs of the model "
                             f"(its outputs: {', '.join(names)})")
        return [given.get(name) for name in names]
    if isinstance(given, (list, tuple)):
        if len(given) != len(names):
            raise ValueError(f"compile: {what} has {len(given)} entries for {len(names)} outputs "
                             f"({', '.join(names)})")
        return list(given)
    if given is None:
        return [None] * len(names)
    if broadcast or len(names) == 1:
        return [given] * len(names)
    raise ValueError(f"compile: {what} for a model of {len(names)} outputs must be a list or a dict by output name")


def per_output_metrics(metrics: Any, names: list) -> list:
    """A list of requested metrics for each output."""
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, dict):
        lists = per_output("metrics", metrics, names, broadcast=False)
        return [[] if item is None else list(item) if isinstance(item, (list, tuple)) else [item] for item in lists]
    if not isinstance(metrics, (list, tuple)):
        raise ValueError(f"compile: metrics must be a list (or a dict by output name), got {metrics!r}")
    if len(names) == 1:
        return [list(metrics)]
    if len(metrics) == len(names) and all(item is None or isinstance(item, (list, tuple)) for item in metrics):
        return [[] if item is None else list(item) for item in metrics]
    raise ValueError(f"compile: for a model of {len(names)} outputs give metrics as a list of {len(names)} lists "
                     f"or a dict by output name ({', '.join(names)})")


def masked_by_keras(metric: Any) -> bool:
    """Whether a metric object follows masks: Keras's MeanMetricWrapper classes (the accuracies, MSE, MAE, the
    cross-entropies, ...) do; RootMeanSquaredError (a Mean), AUC, Precision, R2Score, ... do not."""
    return isinstance(metric, _MeanOfSamples) and not isinstance(metric, RootMeanSquaredError)


def kept_entries(prediction: Any) -> Any:
    """The host boolean array of the entries a prediction's mask keeps ((batch, time), leading axes of the
    prediction), or None where it carries none."""
    mask = getattr(prediction, "_keras_mask", None)
    if mask is None:
        return None
    kept = numpy.asarray(backend.to_numpy(data_of(mask))).astype(bool)
    if kept.ndim == 0 or kept.ndim >= prediction.ndim or kept.shape != tuple(prediction.shape[:kept.ndim]):
        return None
    return kept


def weighted_figure(metric: Any, kind: str, y_true: Any, y_pred: Any, sample_weight: Any,
                    name: str) -> tuple[float, float | None]:
    """(figure, weight in the epoch's mean) of a weighted metric: sum_i w_i m_i / sum_i w_i over the samples.

    A metric object gets ``sample_weight`` in ``update_state`` (its result
    covers the epoch); a function is evaluated on each sample alone (m_i)
    and its values weighted by w_i, as Keras's ``MeanMetricWrapper`` does.
    """
    weights = numpy.asarray(backend.to_numpy(data_of(sample_weight)), dtype=float).reshape(len(y_true), -1).mean(1)
    if kind == "stateful":
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        return as_float(metric.result(), name), None
    values = numpy.array([custom_metric_value(metric(y_true[i:i + 1], y_pred[i:i + 1]), name)[0]
                          for i in range(len(y_true))])
    total = float(weights.sum())
    return (float((weights * values).sum() / total) if total else 0.0), total


def as_float(value: Any, name: str) -> float:
    """A metric's result (a number, an array of one value, a Tensor or a metric variable) as a float."""
    array = numpy.asarray(backend.to_numpy(data_of(getattr(value, "value", value))), dtype=float)
    if array.size != 1:
        raise ValueError(f"metric {name!r}: result() must be one number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def custom_metric_value(value: Any, name: str) -> tuple[float, int]:
    """(mean, count) of a user's metric's values, as Keras reduces them (``keras.metrics.Mean``).

    Values of two axes or more are first averaged over all but the first;
    the figure weighs as many values as remain (1 for a single number), so
    one value per sample weighs each sample, one per output column weighs each batch alike.
    """
    array = numpy.asarray(backend.to_numpy(data_of(value)), dtype=float)
    if array.size == 0:
        raise ValueError(f"metric {name!r} returned no value")
    if array.ndim > 1:
        array = array.reshape(len(array), -1).mean(axis=1)
    return float(array.mean()), (len(array) if array.ndim else 1)
