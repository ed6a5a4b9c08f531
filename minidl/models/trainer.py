"""Training and inference for every model (Keras's ``Trainer``): compile, fit, evaluate, predict.

One code path serves ``Sequential`` and functional ``Model``s of any number
of inputs and outputs. A model provides ``input_names``, ``output_names``,
``_run(list of input Tensors, training) -> list of output Tensors`` and its
weights; data for several inputs (outputs) come as a list in the model's
order or a dict by name. The training step, written out (``train_on_batch``)::

    predictions = model(x, training=True)                        # one per output
    loss = sum_k loss_weight_k * loss_k(y_k, prediction_k) + sum(layer penalties)
    loss.backward()                                              # dL/dw into every weight's .grad
    optimizer.apply_gradients((w.grad, w) for w in model.trainable_weights)

Logs are Keras's: ``loss`` is the weighted total; a model of several
outputs also logs each output's own (unweighted) loss as ``<output>_loss``
and its metrics as ``<output>_<metric>``. Figures over an epoch are means
over its samples, except the per-output losses: Keras 3 (measured on 3.15)
counts each batch once in those, so a smaller last batch weighs as much as
a full one. We do the same, so that the figures compare.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy

from minidl import backend
from minidl import losses as losses_module
from minidl import metrics as metrics_module
from minidl import optimizers as optimizers_module
from minidl import random as minidl_random
from minidl.callbacks import Callback, History
from minidl.data import Batches, PyDataset, is_batch_source, split_batch
from minidl.function import no_grad
from minidl.progbar import ProgressBar, format_logs
from minidl.tensor import Tensor


class Trainer:
    """compile/fit/evaluate/predict over ``_run``; mixed into Model (see the module docstring)."""

    optimizer: Any = None
    stop_training: bool = False
    _compiled: Any = None  # CompiledLoss once compile ran

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None) -> None:
        """Choose the optimizer, the loss(es), their weights and the metrics (Keras names, objects or callables).

        With several outputs, ``loss``, ``loss_weights`` and ``metrics`` may be
        lists in output order or dicts by output name; one loss serves every output.
        """
        if loss is None:
            raise ValueError(f"compile: give a loss, e.g. one of {', '.join(sorted(losses_module.ALL))}")
        self.optimizer = optimizers_module.get(optimizer)
        self._compiled = CompiledLoss(self.output_names, loss, loss_weights, metrics)
        if self.built:
            self.optimizer.build(self.trainable_weights)

    @property
    def loss(self) -> Any:
        """The loss given to compile (one per output, as given, for several outputs)."""
        return None if self._compiled is None else self._compiled.given_loss

    @property
    def metric_functions(self) -> list:
        """[(name in logs, function)] over every output."""
        return [] if self._compiled is None else [(key, function) for key, _, function, _ in self._compiled.metrics]

    # ----------------------------------------------------------------- data
    def _inputs_of(self, what: str, x: Any) -> list:
        """``x`` as one array per input, in ``input_names`` order, each checked against its input's shape."""
        arrays = _standardize(what, "x", x, self.input_names)
        for name, array, shape in zip(self.input_names, arrays, self._input_sample_shapes()):
            _check_shape(what, name if len(arrays) > 1 else None, array, shape, self.name)
        _same_length(what, "x", arrays, self.input_names)
        return arrays

    def _targets_of(self, what: str, y: Any) -> list:
        arrays = _standardize(what, "y", y, self.output_names)
        _same_length(what, "y", arrays, self.output_names)
        return arrays

    def _data(self, what: str, x: Any, y: Any) -> tuple[list, list]:
        xs, ys = self._inputs_of(what, x), self._targets_of(what, y)
        if len(xs[0]) != len(ys[0]):
            raise ValueError(f"{what}: x has {len(xs[0])} samples (shape {xs[0].shape}) but y has {len(ys[0])} "
                             f"(shape {ys[0].shape})")
        return xs, ys

    def _forward(self, xs: list, training: bool) -> list:
        if not self.built:  # a Sequential without Input learns its input shape from the first data
            self.build(tuple(xs[0].shape[1:]))
        device, dtype = self.device, self.dtype
        return self._run([Tensor(backend.to_device(x, device), dtype=dtype) for x in xs], training)

    # ----------------------------------------------------------------- one batch
    def _compute_loss(self, xs: list, ys: list, sample_weight: Any, training: bool) -> tuple[list, Tensor, dict]:
        predictions = self._forward(xs, training)
        loss, per_output = self._compiled.total(ys, predictions, sample_weight)
        for penalty in self.losses:
            loss = loss + penalty
        return predictions, loss, per_output

    def _batch_logs(self, ys: list, predictions: list, loss: Tensor, per_output: dict) -> dict:
        """The batch's figures; ``self._batch_counts`` says how much each weighs in the epoch's mean.

        A count is the batch's samples (losses, built-in metrics), 1 (per-output
        losses, as Keras), the number of values a user's metric returned, or
        None for a streaming metric, whose figure already covers the epoch.
        """
        samples = len(ys[0])
        logs = {"loss": float(loss.item())}
        counts: dict = {"loss": samples}
        for key, value in per_output.items():
            logs[key], counts[key] = float(value.item()), 1
        for key, output, metric, kind in self._compiled.metrics:
            if kind == "streaming":
                metric.update_state(ys[output], predictions[output].data)
                logs[key], counts[key] = metric.result(), None
            elif kind == "custom":
                logs[key], counts[key] = _custom_metric_value(metric(ys[output], predictions[output].data), key)
            else:
                logs[key], counts[key] = float(metric(ys[output], predictions[output].data)), samples
        self._batch_counts = counts
        return logs

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False) -> Any:
        """One gradient update on one batch; returns the batch's loss (and metrics)."""
        self._require_compiled("train_on_batch")
        xs, ys = self._data("train_on_batch", x, y)
        return _results(self._train_step(xs, ys, _combined_weights(ys, sample_weight, class_weight)), return_dict)

    def _train_step(self, xs: list, ys: list, sample_weight: Any) -> dict:
        predictions, loss, per_output = self._compute_loss(xs, ys, sample_weight, training=True)
        weights = self.trainable_weights
        for w in weights:
            w.grad = None
        loss.backward()
        self.optimizer.apply_gradients((w.grad, w) for w in weights)
        return self._batch_logs(ys, predictions, loss, per_output)

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        xs, ys = self._data("test_on_batch", x, y)
        return _results(self._test_step(xs, ys, sample_weight), return_dict)

    def _test_step(self, xs: list, ys: list, sample_weight: Any) -> dict:
        with no_grad():
            predictions, loss, per_output = self._compute_loss(xs, ys, sample_weight, training=False)
        return self._batch_logs(ys, predictions, loss, per_output)

    def predict_on_batch(self, x: Any) -> Any:
        xs = self._inputs_of("predict_on_batch", x)
        return self._structured_outputs(self._predict_arrays(xs))

    def _predict_arrays(self, xs: list) -> list:
        with no_grad():
            return [prediction.numpy() for prediction in self._forward(xs, training=False)]

    # ----------------------------------------------------------------- loops
    def fit(self, x: Any, y: Any = None, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            callbacks: list[Callback] | None = None, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns the History.

        ``x`` may be arrays (with ``y``), or a ``minidl.data.PyDataset`` or a
        generator that yields ``(x, y[, sample_weight])`` batches (then no
        ``y``; a generator needs ``steps_per_epoch``): only the batches in
        flight are in memory, the next ones prepared in threads meanwhile.
        ``shuffle`` shuffles a PyDataset's batch order, as Keras does.
        ``validation_split`` keeps the last fraction of the data, before any
        shuffling, for validation (as Keras). Training stops with a message at
        the first batch whose loss is not finite.
        """
        self._require_compiled("fit")
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
        if is_batch_source(x):
            epoch_batches, batches = self._source_batches("fit", x, y, steps_per_epoch, shuffle, sample_weight,
                                                          class_weight, validation_split)
        else:
            batch_size = _checked_batch_size("fit", batch_size)
            xs, ys = self._data("fit", x, y)
            if not 0 <= validation_split < 1:
                raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
            if class_weight and len(ys) > 1:
                raise ValueError("fit: class_weight is for models of one output; give sample_weight instead")
            sample_weight = _combined_weights(ys, sample_weight, class_weight)
            if validation_split and validation_data is None:
                split_at = int(math.ceil(len(xs[0]) * (1 - validation_split)))
                validation_data = ([a[split_at:] for a in xs], [a[split_at:] for a in ys])
                xs, ys = [a[:split_at] for a in xs], [a[:split_at] for a in ys]
                sample_weight = None if sample_weight is None else sample_weight[:split_at]
            if len(xs[0]) == 0:
                raise ValueError("fit: no training samples are left (check validation_split)")
            epoch_batches, batches = _array_batches(xs, ys, sample_weight, batch_size, shuffle, steps_per_epoch)
        if validation_data is not None and not is_batch_source(validation_data):
            validation_data = self._validation_data(validation_data)
        history = History()
        callback_list = [*(callbacks or []), history]  # last, so it records what the others add to logs
        for callback in callback_list:
            callback.set_model(self)
        self.stop_training = False
        for callback in callback_list:
            callback.on_train_begin({})
        for epoch in range(initial_epoch, epochs):
            for callback in callback_list:
                callback.on_epoch_begin(epoch, {})
            if verbose == 1:
                print(f"Epoch {epoch + 1}/{epochs}")
            self._compiled.reset_metrics()
            progress = ProgressBar(batches) if verbose == 1 else None
            totals: dict[str, float] = {}
            counts: dict[str, float] = {}
            logs: dict = {}
            with epoch_batches() as epoch_iterator:
                for batch, (batch_xs, batch_ys, batch_weight) in enumerate(epoch_iterator):
                    for callback in callback_list:
                        callback.on_train_batch_begin(batch, {})
                    batch_logs = self._train_step(batch_xs, batch_ys, batch_weight)
                    _accumulate(totals, counts, batch_logs, self._batch_counts)
                    logs = {key: value / counts[key] for key, value in totals.items()}
                    if not math.isfinite(batch_logs["loss"]):
                        print(f"\nEpoch {epoch + 1}, batch {batch + 1}: the loss is {batch_logs['loss']}; "
                              "training stopped.")
                        self.stop_training = True
                    for callback in callback_list:
                        callback.on_train_batch_end(batch, dict(logs))
                    if progress is not None and (batch + 1 < batches and not self.stop_training):
                        progress.update(batch + 1, logs)
                    if self.stop_training:
                        break
            if validation_data is not None:
                validation = self._evaluate_any("fit (validation_data)", validation_data, batch_size,
                                                validation_steps)
                logs.update({f"val_{key}": value for key, value in validation.items()})
            if progress is not None:
                progress.update(batches, logs, final=True)
            elif verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - {format_logs(logs)}")
            for callback in callback_list:
                callback.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for callback in callback_list:
            callback.on_train_end({})
        return history

    def _source_batches(self, what: str, source: Any, y: Any, steps: int | None, shuffle: bool, sample_weight: Any,
                        class_weight: Any, validation_split: float) -> tuple:
        """(a function giving one epoch's batches as a context manager, batches per epoch) from a dataset or generator."""
        if y is not None:
            raise ValueError(f"{what}: x is a dataset or generator of (x, y) batches; give no separate y")
        for name, value in (("sample_weight", sample_weight), ("class_weight", class_weight)):
            if value:
                raise ValueError(f"{what}: {name} does not go with a dataset; yield (x, y, sample_weight) batches")
        if validation_split:
            raise ValueError(f"{what}: validation_split needs arrays; give validation_data (arrays or a dataset)")
        if isinstance(source, PyDataset):
            total = len(source)
            batches = total if steps is None else min(int(steps), total)
            if batches < 1:
                raise ValueError(f"{what}: the dataset has no batches (len(dataset) is {total})")

            def epoch_batches() -> Any:
                source.on_epoch_begin()
                order = (minidl_random.generator().permutation(total) if shuffle else numpy.arange(total))[:batches]
                return _StandardizedBatches(self, what, Batches(source, order=[int(i) for i in order]), source)
        else:
            if steps is None or int(steps) < 1:
                raise ValueError(f"{what}: a generator needs steps_per_epoch (how many of its batches make an epoch)")
            batches = int(steps)

            def epoch_batches() -> Any:
                return _StandardizedBatches(self, what, Batches(source, steps=batches), None)
        return epoch_batches, batches

    def _evaluate_any(self, what: str, data: Any, batch_size: int, steps: int | None = None,
                      sample_weight: Any = None, verbose: int = 0) -> dict:
        """evaluate's figures over arrays (x, y[, w]) or a dataset/generator of batches."""
        if not is_batch_source(data):  # (xs, ys, sample_weight) from _validation_data
            return self._evaluate_arrays(*data, batch_size=batch_size, verbose=verbose)
        epoch_batches, batches = self._source_batches(what, data, None, steps, False, None, None, 0.0)
        totals: dict[str, float] = {}
        counts: dict[str, float] = {}
        self._compiled.reset_metrics()
        progress = ProgressBar(batches) if verbose == 1 else None
        with epoch_batches() as epoch_iterator:
            for batch, (batch_xs, batch_ys, batch_weight) in enumerate(epoch_iterator):
                logs = self._test_step(batch_xs, batch_ys, batch_weight)
                _accumulate(totals, counts, logs, self._batch_counts)
                if progress is not None:
                    progress.update(batch + 1, {k: v / counts[k] for k, v in totals.items()},
                                    final=batch + 1 == batches)
        return {key: value / counts[key] for key, value in totals.items()}

    def _validation_data(self, validation_data: Any) -> tuple:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("fit: validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val)")
        xs, ys = self._data("fit (validation_data)", validation_data[0], validation_data[1])
        weight = validation_data[2] if len(validation_data) == 3 else None
        _check_sample_weight("fit (validation_data)", weight, len(xs[0]))
        return xs, ys, weight

    def evaluate(self, x: Any, y: Any = None, batch_size: int = 32, verbose: int = 1, sample_weight: Any = None,
                 return_dict: bool = False, steps: int | None = None) -> Any:
        """The loss (with penalties) and metrics over (x, y), averaged over samples, in inference mode.

        ``x`` may also be a PyDataset or a generator of batches (``steps`` of them).
        """
        self._require_compiled("evaluate")
        if is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("evaluate: x is a dataset or generator of (x, y[, sample_weight]) batches; give "
                                 "no separate y or sample_weight")
            return _results(self._evaluate_any("evaluate", x, 32, steps, verbose=verbose), return_dict)
        batch_size = _checked_batch_size("evaluate", batch_size)
        xs, ys = self._data("evaluate", x, y)
        _check_sample_weight("evaluate", sample_weight, len(xs[0]))
        logs = self._evaluate_arrays(xs, ys, sample_weight, batch_size, verbose)
        return _results(logs, return_dict)

    def _evaluate_arrays(self, xs: list, ys: list, sample_weight: Any = None, batch_size: int = 32,
                         verbose: int = 0) -> dict:
        samples = len(xs[0])
        totals: dict[str, float] = {}
        counts: dict[str, float] = {}
        self._compiled.reset_metrics()
        batches = math.ceil(samples / batch_size)
        progress = ProgressBar(batches) if verbose == 1 else None
        for batch in range(batches):
            part = slice(batch * batch_size, (batch + 1) * batch_size)
            weight = None if sample_weight is None else numpy.asarray(backend.to_numpy(sample_weight))[part]
            logs = self._test_step([a[part] for a in xs], [a[part] for a in ys], weight)
            _accumulate(totals, counts, logs, self._batch_counts)
            if progress is not None:
                progress.update(batch + 1, {k: v / counts[k] for k, v in totals.items()}, final=batch + 1 == batches)
        return {key: value / counts[key] for key, value in totals.items()}

    #: predict passes at most this many bytes of any layer's output at once (see ``predict``).
    predict_activation_bytes = 64 * 2**20

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0, steps: int | None = None) -> Any:
        """Outputs for every sample of ``x``, in inference mode: one array per output (a list or dict for several).

        In inference every sample is computed on its own (batch norm uses its
        moving statistics, dropout is off), so a batch whose largest layer
        output would exceed ``predict_activation_bytes`` goes through in
        slices: the same outputs, without arrays of gigabytes whose fresh
        pages cost more than the arithmetic.
        """
        if is_batch_source(x):
            return self._predict_source(x, steps, verbose)
        batch_size = _checked_batch_size("predict", batch_size)
        xs = self._inputs_of("predict", x)
        samples = len(xs[0])
        if samples == 0:
            raise ValueError("predict: x holds no samples")
        if not self.built:
            self.build(xs[0].shape[1:])
        batches = math.ceil(samples / batch_size)
        progress = ProgressBar(batches) if verbose == 1 else None
        step = batch_size
        shapes = self._activation_shapes()
        if shapes and all(isinstance(n, int) for shape in shapes for n in shape):
            largest = max(math.prod(shape) for shape in shapes) * self.dtype.itemsize
            step = max(1, min(batch_size, self.predict_activation_bytes // max(largest, 1)))
        pieces: list[list] = [[] for _ in self.output_names]
        for batch in range(batches):
            part = slice(batch * batch_size, (batch + 1) * batch_size)
            for start in range(0, len(xs[0][part]), step):
                chunk = [a[part][start : start + step] for a in xs]
                for output, array in enumerate(self._predict_arrays(chunk)):
                    pieces[output].append(array)
            if progress is not None:
                progress.update(batch + 1, final=batch + 1 == batches)
        return self._structured_outputs([numpy.concatenate(piece) for piece in pieces])

    def _predict_source(self, source: Any, steps: int | None, verbose: int) -> Any:
        """Predictions for every batch of a PyDataset (in order) or ``steps`` batches of a generator."""
        if isinstance(source, PyDataset):
            order = list(range(len(source) if steps is None else min(int(steps), len(source))))
            batches = Batches(source, order=order)
        elif steps is None or int(steps) < 1:
            raise ValueError("predict: a generator needs steps (how many of its batches to predict)")
        else:
            batches = Batches(source, steps=int(steps))
        pieces: list[list] = [[] for _ in self.output_names]
        with batches:
            for batch in batches:
                x, _, _ = split_batch(batch, "predict", needs_y=False)
                for output, array in enumerate(self._predict_arrays(self._inputs_of("predict", x))):
                    pieces[output].append(array)
        if not pieces[0]:
            raise ValueError("predict: the dataset gave no batches")
        return self._structured_outputs([numpy.concatenate(piece) for piece in pieces])

    def _structured_outputs(self, arrays: list) -> Any:
        """One array, a list, or a dict by output name (if the model's outputs were given as a dict)."""
        if getattr(self, "_outputs_as_dict", False):
            return dict(zip(self.output_names, arrays))
        return arrays[0] if len(arrays) == 1 else arrays

    # ----------------------------------------------------------------- checks
    def _require_compiled(self, what: str) -> None:
        if self.optimizer is None or self._compiled is None:
            raise RuntimeError(f"{what}: call compile(optimizer, loss, metrics) first")


class _StandardizedBatches:
    """A ``Batches`` whose items come out as (list of x arrays, list of y arrays, weights), checked; calls on_epoch_end."""

    def __init__(self, model: Any, what: str, batches: Batches, dataset: PyDataset | None) -> None:
        self.model, self.what, self.batches, self.dataset = model, what, batches, dataset

    def __enter__(self) -> Any:
        return (self._standardized(batch) for batch in self.batches)

    def _standardized(self, batch: Any) -> tuple:
        x, y, weight = split_batch(batch, self.what)
        xs, ys = self.model._data(self.what, x, y)
        _check_sample_weight(self.what, weight, len(xs[0]))
        return xs, ys, None if weight is None else numpy.asarray(backend.to_numpy(weight), dtype=float)

    def __exit__(self, kind: Any, *rest: Any) -> None:
        self.batches.close()
        if kind is None and self.dataset is not None:
            self.dataset.on_epoch_end()


def _array_batches(xs: list, ys: list, sample_weight: Any, batch_size: int, shuffle: bool,
                   steps: int | None) -> tuple:
    samples = len(xs[0])
    batches = math.ceil(samples / batch_size) if steps is None else min(int(steps), math.ceil(samples / batch_size))

    def epoch_batches() -> contextlib.nullcontext:
        order = minidl_random.generator().permutation(samples) if shuffle else numpy.arange(samples)

        def parts() -> Any:
            for batch in range(batches):
                index = order[batch * batch_size : (batch + 1) * batch_size]
                yield ([_rows(a, index) for a in xs], [_rows(a, index) for a in ys],
                       None if sample_weight is None else sample_weight[index])

        return contextlib.nullcontext(parts())  # the same "with ... as batches" as a dataset's

    return epoch_batches, batches


def _accumulate(totals: dict, counts: dict, logs: dict, weights: dict) -> None:
    """Add one batch's figures to running sums with their weights (None: the figure replaces the sum)."""
    for key, value in logs.items():
        weight = weights[key]
        if weight is None:
            totals[key], counts[key] = value, 1
            continue
        totals[key] = totals.get(key, 0.0) + value * weight
        counts[key] = counts.get(key, 0) + weight


class CompiledLoss:
    """The losses, loss weights and metrics of ``compile``, resolved to one entry per output."""

    def __init__(self, output_names: list, loss: Any, loss_weights: Any, metrics: Any) -> None:
        self.output_names = list(output_names)
        self.given = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics}
        self.given_loss = loss
        resolved = _per_output("loss", loss, self.output_names, broadcast=True)
        self.losses = [None if item is None else losses_module.get(item) for item in resolved]
        if all(item is None for item in self.losses):
            raise ValueError("compile: no output has a loss")
        weights = _per_output("loss_weights", loss_weights, self.output_names, broadcast=False)
        self.loss_weights = [1.0 if weight is None else float(weight) for weight in weights]
        several = len(self.output_names) > 1
        per_output_metrics = _per_output_metrics(metrics, self.output_names)
        self.metrics: list[tuple[str, int, Any, str]] = []  # (key in logs, output, metric, kind)
        builtin = set(map(id, metrics_module.ALL.values())) | set(map(id, metrics_module.ACCURACY_FOR_LOSS.values()))
        for output, (name, requested, loss_function) in enumerate(zip(self.output_names, per_output_metrics,
                                                                      self.losses)):
            loss_name = None if loss_function is None else losses_module.name_of(loss_function)
            for metric in requested:
                metric_name, function = metrics_module.get(metric, loss_name)
                kind = "streaming" if isinstance(function, metrics_module.Metric) else \
                    "builtin" if id(function) in builtin else "custom"
                self.metrics.append((f"{name}_{metric_name}" if several else metric_name, output, function, kind))

    def reset_metrics(self) -> None:
        """Start the streaming metrics afresh (each epoch, each evaluation)."""
        for _, _, metric, kind in self.metrics:
            if kind == "streaming":
                metric.reset_state()

    def total(self, ys: list, predictions: list, sample_weight: Any) -> tuple[Tensor, dict]:
        """(sum of weighted losses, {"<output>_loss": unweighted loss} for models of several outputs)."""
        total, per_output = None, {}
        for name, loss, weight, y, prediction in zip(self.output_names, self.losses, self.loss_weights, ys,
                                                     predictions):
            if loss is None:
                continue
            value = losses_module.call_loss(loss, y, prediction, sample_weight)
            if len(self.output_names) > 1:
                per_output[f"{name}_loss"] = value
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, per_output


def _per_output(what: str, given: Any, names: list, broadcast: bool) -> list:
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


def _per_output_metrics(metrics: Any, names: list) -> list:
    """A list of requested metrics for each output."""
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, dict):
        lists = _per_output("metrics", metrics, names, broadcast=False)
        return [[] if item is None else list(item) if isinstance(item, (list, tuple)) else [item] for item in lists]
    if not isinstance(metrics, (list, tuple)):
        raise ValueError(f"compile: metrics must be a list (or a dict by output name), got {metrics!r}")
    if len(names) == 1:
        return [list(metrics)]
    if len(metrics) == len(names) and all(item is None or isinstance(item, (list, tuple)) for item in metrics):
        return [[] if item is None else list(item) for item in metrics]
    raise ValueError(f"compile: for a model of {len(names)} outputs give metrics as a list of {len(names)} lists "
                     f"or a dict by output name ({', '.join(names)})")


def _custom_metric_value(value: Any, name: str) -> tuple[float, int]:
    """(mean, count) of a user's metric's values, as Keras reduces them (``keras.metrics.Mean``).

    Values of two axes or more are first averaged over all but the first;
    the figure weighs as many values as remain (1 for a single number), so
    one value per sample weighs each sample, one per output column weighs each batch alike.
    """
    array = numpy.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value), dtype=float)
    if array.size == 0:
        raise ValueError(f"metric {name!r} returned no value")
    if array.ndim > 1:
        array = array.reshape(len(array), -1).mean(axis=1)
    return float(array.mean()), (len(array) if array.ndim else 1)


def _standardize(what: str, role: str, data: Any, names: list) -> list:
    """``data`` (an array, a list in order or a dict by name) as one array per name."""
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        extra = sorted(set(data) - set(names))
        if missing or extra:
            raise ValueError(f"{what}: {role} is a dict with keys {', '.join(map(repr, data))} but the model's "
                             f"{'inputs' if role == 'x' else 'outputs'} are {', '.join(map(repr, names))}")
        return [_as_array(data[name]) for name in names]
    if len(names) > 1:
        if not isinstance(data, (list, tuple)) or len(data) != len(names):
            count = len(data) if isinstance(data, (list, tuple)) else "one array"
            raise ValueError(f"{what}: the model has {len(names)} {'inputs' if role == 'x' else 'outputs'} "
                             f"({', '.join(names)}); {role} must be a list of {len(names)} arrays or a dict by name, "
                             f"got {count}")
        return [_as_array(item) for item in data]
    if isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(data[0], "shape"):
        return [_as_array(data[0])]
    if data is None:
        raise ValueError(f"{what}: {role} is None")
    return [_as_array(data)]


def _check_shape(what: str, name: str | None, array: Any, shape: tuple | None, model_name: str) -> None:
    """A batch of the wrong shape is named, with ``x[None]`` suggested for one sample."""
    if shape is None or (array.ndim == len(shape) + 1 and all(
            expected is None or expected == got for expected, got in zip(shape, array.shape[1:]))):
        return
    label = "x" if name is None else f"input {name!r}"
    hint = f"; for one sample pass x[None] (shape {(1,) + tuple(array.shape)})" \
        if tuple(array.shape) == tuple(shape) else ""
    raise ValueError(f"{what}: {label} has shape {tuple(array.shape)} but model {model_name!r} takes (batch,) + "
                     f"{tuple(shape)}{hint}")


def _same_length(what: str, role: str, arrays: list, names: list) -> None:
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        listing = ", ".join(f"{name}: {len(array)}" for name, array in zip(names, arrays))
        raise ValueError(f"{what}: the arrays of {role} hold different numbers of samples ({listing})")


def _results(logs: dict, return_dict: bool) -> Any:
    """Keras's return convention: a dict, the loss alone, or [loss, *metrics]."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _as_array(data: Any) -> Any:
    """An array from ``data``: cupy arrays stay on their GPU, anything else becomes numpy."""
    if isinstance(data, Tensor):
        data = data.data
    return data if backend.device_of(data) == "gpu" else numpy.asarray(data)


def _rows(data: Any, index: numpy.ndarray) -> Any:
    """``data[index]`` for a numpy index, with the index moved to the data's device."""
    return data[backend.to_device(index, backend.device_of(data))]


def _checked_batch_size(what: str, batch_size: Any) -> int:
    """``batch_size`` as a positive int; None means Keras's default, 32."""
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer (or None for 32), got {batch_size!r}")
    return int(batch_size)


def _check_sample_weight(what: str, sample_weight: Any, samples: int) -> None:
    if sample_weight is not None and len(sample_weight) != samples:
        raise ValueError(f"{what}: sample_weight has {len(sample_weight)} values for {samples} samples")


def _combined_weights(ys: list, sample_weight: Any, class_weight: dict | None) -> numpy.ndarray | None:
    """Per-sample weights: ``sample_weight`` times ``class_weight[class of the sample]`` (1 if absent)."""
    y = ys[0]
    _check_sample_weight("fit", sample_weight, len(y))
    weights = None if sample_weight is None else numpy.asarray(backend.to_numpy(sample_weight), dtype=float)
    if class_weight:
        y = numpy.asarray(backend.to_numpy(y))
        if y.ndim >= 2 and y.shape[-1] > 1:
            labels = y.argmax(axis=-1)
        else:
            labels = numpy.round(y.reshape(len(y))).astype(int)
        per_class = numpy.array([class_weight.get(int(label), 1.0) for label in labels.reshape(len(y), -1)[:, 0]])
        weights = per_class if weights is None else weights * per_class
    return weights
