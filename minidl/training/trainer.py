"""Training and inference for every model (Keras's ``Trainer``): compile, fit, evaluate, predict.

One code path serves ``Sequential`` and functional ``Model``s of any number
of inputs and outputs. A model provides ``input_names``, ``output_names``,
``_run(list of input Tensors, training) -> list of output Tensors``, its
weights and ``losses`` (penalties of the latest forward pass); data for
several inputs (outputs) come as a list in the model's order or a dict by
name. The training step, written out (``train_step``)::

    predictions = model(x, training=True)                        # one per output
    loss = sum_k loss_weight_k * loss_k(y_k, prediction_k) + sum(model.losses)
    loss.backward()                                              # dL/dw into every weight's .grad
    optimizer.apply_gradients((w.grad, w) for w in model.trainable_weights)

``fit``, ``evaluate`` and ``predict`` are each written once, over an
``EpochIterator`` (arrays, PyDatasets and generators alike) and one
``CallbackList``; ``fit``'s validation is ``evaluate``'s loop with
``fit``'s callbacks. As in Keras, a step whose loss is NaN or infinite is
applied like any other (the weights become NaN) and logged; training goes
on unless a callback stops it: ``TerminateOnNaN`` (Keras's), or
``RestoreLastFiniteWeights``, which also puts back the last finite weights.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl.core import backend
from minidl import losses as losses_module
from minidl import optimizers as optimizers_module
from minidl.callbacks import History
from minidl.training.data import is_batch_source
from minidl.autodiff.function import no_grad
from minidl.autodiff.tensor import Tensor
from minidl.training.callback_list import CallbackList
from minidl.training.compile_utils import Compiled, EpochLogs
from minidl.training.epoch_iterator import EpochIterator, refuse_arguments_of_arrays
from minidl.training.standardize import (
    check_finite,
    check_sample_weight,
    check_shape,
    checked_batch_size,
    combined_weights,
    same_length,
    standardize,
)


class Trainer:
    """compile/fit/evaluate/predict over ``_run``; mixed into Model (see the module docstring)."""

    optimizer: Any = None
    stop_training: bool = False
    run_eagerly, steps_per_execution, jit_compile = False, 1, "auto"  # compile's, kept for Keras programs
    _compiled: Any = None  # Compiled once compile ran

    #: predict passes at most this many bytes of any layer's output at once (see ``predict``).
    predict_activation_bytes = 64 * 2**20

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto", auto_scale_loss: bool = True) -> None:
        """Choose the optimizer, the loss(es), their weights and the metrics (Keras names, objects or callables).

        With several outputs, ``loss``, ``loss_weights``, ``metrics`` and
        ``weighted_metrics`` may be lists in output order or dicts by output
        name; one loss serves every output. ``weighted_metrics`` are weighted
        by ``sample_weight`` (and ``class_weight``), ``metrics`` are not, as in
        Keras. minidl always runs eagerly, one step at a time, uncompiled:
        ``run_eagerly``, ``steps_per_execution``, ``jit_compile`` and
        ``auto_scale_loss`` are accepted for Keras programs, checked, and kept.
        """
        if not isinstance(steps_per_execution, int) or isinstance(steps_per_execution, bool) \
                or steps_per_execution < 1:
            raise ValueError(f"compile: steps_per_execution must be an integer >= 1, got {steps_per_execution!r}")
        if jit_compile not in ("auto", True, False):
            raise ValueError(f"compile: jit_compile must be 'auto', True or False, got {jit_compile!r}")
        self.run_eagerly, self.steps_per_execution, self.jit_compile = bool(run_eagerly), steps_per_execution, \
            jit_compile
        self.optimizer = optimizers_module.get(optimizer)
        self._compiled = Compiled(self.output_names, loss, loss_weights, metrics, weighted_metrics)
        if self.built:
            self.optimizer.build(self.trainable_weights)

    @property
    def loss(self) -> Any:
        """The loss given to compile (one per output, as given, for several outputs)."""
        return None if self._compiled is None else self._compiled.given_loss

    @property
    def metric_functions(self) -> list:
        """[(name in logs, metric)] over every output."""
        return [] if self._compiled is None else [(key, metric) for key, _, metric, _ in self._compiled.metrics.entries]

    # ----------------------------------------------------------------- data
    def _inputs_of(self, what: str, x: Any) -> list:
        """``x`` as one array per input, in ``input_names`` order, each checked against its input's shape."""
        arrays = standardize(what, "x", x, self.input_names)
        for name, array, shape in zip(self.input_names, arrays, self._input_sample_shapes()):
            check_shape(what, name if len(arrays) > 1 else None, array, shape, self.name)
        same_length(what, "x", arrays, self.input_names)
        return arrays

    def _data(self, what: str, x: Any, y: Any) -> tuple[list, list]:
        xs = self._inputs_of(what, x)
        if y is None and self._compiled is not None and all(loss is None for loss in self._compiled.loss.losses):
            # no compiled loss, so no targets (Keras: the layers' add_loss is the loss): rows of nothing stand in
            return xs, [numpy.zeros((len(xs[0]), 0), dtype=xs[0].dtype) for _ in self.output_names]
        ys = standardize(what, "y", y, self.output_names)
        same_length(what, "y", ys, self.output_names)
        if len(xs[0]) != len(ys[0]):
            raise ValueError(f"{what}: x has {len(xs[0])} samples (shape {xs[0].shape}) but y has {len(ys[0])} "
                             f"(shape {ys[0].shape})")
        return xs, ys

    def _checked_arrays(self, what: str, x: Any, y: Any) -> tuple[list, list]:
        """``_data``, refusing no samples and non-finite values, before any work."""
        xs, ys = self._data(what, x, y)
        if len(xs[0]) == 0:
            raise ValueError(f"{what}: x holds no samples (shape {tuple(xs[0].shape)}); give at least one")
        check_finite(what, "x", xs, self.input_names)
        check_finite(what, "y", ys, self.output_names)
        return xs, ys

    def _forward(self, xs: list, training: bool) -> list:
        if not self.built:  # a Sequential without Input learns its input shape from the first data
            self.build(tuple(xs[0].shape[1:]))
        device, dtype = self.device, self.dtype
        return self._run([Tensor(backend.to_device(x, device), dtype=dtype) for x in xs], training)

    # ----------------------------------------------------------------- steps
    def compute_loss(self, xs: list, ys: list, sample_weight: Any, training: bool) -> tuple[list, Tensor, dict]:
        """(predictions, the compiled loss with the layers' losses, per-output losses); see ``compile_utils``."""
        predictions = self._forward(xs, training)
        loss, per_output = self._compiled.loss.total(ys, predictions, sample_weight, self.losses)
        return predictions, loss, per_output

    def train_step(self, xs: list, ys: list, sample_weight: Any) -> tuple[dict, dict]:
        """One update; (the batch's logs, their weights). A non-finite loss is applied too, as in Keras."""
        predictions, loss, per_output = self.compute_loss(xs, ys, sample_weight, training=True)
        logs, counts = self._compiled.batch_logs(ys, predictions, loss, per_output, sample_weight)
        if loss.requires_grad:  # a model without trainable weights: no update
            weights = self.trainable_weights
            for w in weights:
                w.grad = None
            loss.backward()
            self.optimizer.apply_gradients((w.grad, w) for w in weights)
        return logs, counts

    def test_step(self, xs: list, ys: list, sample_weight: Any) -> tuple[dict, dict]:
        with no_grad():
            predictions, loss, per_output = self.compute_loss(xs, ys, sample_weight, training=False)
        return self._compiled.batch_logs(ys, predictions, loss, per_output, sample_weight)

    def predict_step(self, xs: list, rows_at_once: int | None = None) -> list:
        """Outputs (numpy) of one batch, ``rows_at_once`` samples at a time (see ``predict``)."""
        rows = len(xs[0])
        step = rows if rows_at_once is None else max(1, rows_at_once)
        pieces: list[list] = [[] for _ in self.output_names]
        with no_grad():
            for start in range(0, rows, step):
                outputs = self._forward([a[start : start + step] for a in xs], training=False)
                for output, prediction in enumerate(outputs):
                    pieces[output].append(prediction.numpy())
        return [piece[0] if len(piece) == 1 else numpy.concatenate(piece) for piece in pieces]

    def _rows_at_once(self) -> int | None:
        """How many samples keep the largest layer output under ``predict_activation_bytes`` (None: any)."""
        shapes = self._activation_shapes()
        if not shapes or not all(isinstance(n, int) for shape in shapes for n in shape):
            return None
        largest = max(math.prod(shape) for shape in shapes) * self.dtype.itemsize
        return max(1, self.predict_activation_bytes // max(largest, 1))

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False) -> Any:
        """One gradient update on one batch; returns the batch's loss (and metrics)."""
        self._require_compiled("train_on_batch")
        xs, ys = self._data("train_on_batch", x, y)
        weights = combined_weights("train_on_batch", ys, sample_weight, class_weight)
        return _results(self.train_step(xs, ys, weights)[0], return_dict)

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        xs, ys = self._data("test_on_batch", x, y)
        return _results(self.test_step(xs, ys, sample_weight)[0], return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        return self._structured_outputs(self.predict_step(self._inputs_of("predict_on_batch", x)))

    # ----------------------------------------------------------------- fit
    def fit(self, x: Any, y: Any = None, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            callbacks: list | None = None, validation_split: float = 0.0, validation_data: Any = None,
            shuffle: bool = True, class_weight: dict | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns the History (Keras's arguments).

        ``x`` may be arrays (with ``y``), or a ``minidl.training.data.PyDataset`` or a
        generator that yields ``(x, y[, sample_weight])`` batches (then no
        ``y``; a generator needs ``steps_per_epoch``): only the batches in
        flight are in memory, the next ones prepared in threads meanwhile.
        ``shuffle`` shuffles a PyDataset's batch order, as Keras does.
        ``validation_split`` keeps the last fraction of the data, before any
        shuffling, for validation (as Keras). Arrays are checked before any
        work: no samples, NaN or infinity in ``x`` or ``y``, a negative
        ``class_weight`` are each refused in one sentence.
        """
        self._require_compiled("fit")
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
        if not isinstance(validation_freq, int) or validation_freq < 1:
            raise ValueError(f"fit: validation_freq must be a positive integer, got {validation_freq!r}")
        iterator, validation = self._training_data(x, y, batch_size, validation_split, validation_data, shuffle,
                                                   class_weight, sample_weight, steps_per_epoch)
        validation = self._validation_iterator(validation, validation_batch_size or batch_size, validation_steps)
        callback_list = CallbackList(callbacks, model=self, add_history=True, add_progbar=verbose != 0,
                                     verbose=verbose, epochs=epochs, steps=iterator.num_batches)
        self.stop_training = False
        callback_list.on_train_begin({})
        training_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch, {})
            self._compiled.metrics.reset()
            epoch_logs = self._train_epoch(iterator, callback_list)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                validation_logs = self._evaluate_loop(validation, callback_list, "fit (validation_data)")
                epoch_logs.update({f"val_{key}": value for key, value in validation_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        callback_list.on_train_end(training_logs)
        return callback_list.history

    def _train_epoch(self, iterator: EpochIterator, callback_list: CallbackList) -> dict:
        """One pass over the training batches; the epoch's figures."""
        running, logs = EpochLogs(), {}
        with iterator.epoch() as batches:
            for step, (xs, ys, weights) in enumerate(batches):
                callback_list.on_train_batch_begin(step, {})
                batch_logs, counts = self.train_step(xs, ys, weights)
                running.add(batch_logs, counts)
                logs = running.means()
                callback_list.on_train_batch_end(step, dict(logs))
                if self.stop_training:
                    break
        return logs

    def _training_data(self, x: Any, y: Any, batch_size: Any, validation_split: float, validation_data: Any,
                       shuffle: bool, class_weight: Any, sample_weight: Any, steps: int | None) -> tuple:
        """(the training batches' iterator, the validation data: as given, or the split of the arrays)."""
        if is_batch_source(x):
            refuse_arguments_of_arrays("fit", y, sample_weight, class_weight, validation_split)
            iterator = EpochIterator.of_source("fit", x, lambda bx, by: self._data("fit", bx, by), steps, shuffle)
            return iterator, validation_data
        batch_size = checked_batch_size("fit", batch_size)
        xs, ys = self._checked_arrays("fit", x, y)
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
        if class_weight and len(ys) > 1:
            raise ValueError("fit: class_weight is for models of one output; give sample_weight instead")
        sample_weight = combined_weights("fit", ys, sample_weight, class_weight)
        if validation_split and validation_data is None:
            split_at = int(math.ceil(len(xs[0]) * (1 - validation_split)))
            if split_at in (0, len(xs[0])):
                raise ValueError(f"fit: validation_split={validation_split} of {len(xs[0])} samples leaves "
                                 f"{split_at} for training and {len(xs[0]) - split_at} for validation; both need "
                                 "at least one")
            validation_data = EpochIterator.of_arrays([a[split_at:] for a in xs], [a[split_at:] for a in ys], None,
                                                      batch_size, what="fit (validation_split)")
            xs, ys = [a[:split_at] for a in xs], [a[:split_at] for a in ys]
            sample_weight = None if sample_weight is None else sample_weight[:split_at]
        return EpochIterator.of_arrays(xs, ys, sample_weight, batch_size, shuffle, steps), validation_data

    def _validation_iterator(self, data: Any, batch_size: Any, steps: int | None) -> EpochIterator | None:
        what = "fit (validation_data)"
        if data is None or isinstance(data, EpochIterator):
            return data
        if is_batch_source(data):
            return EpochIterator.of_source(what, data, lambda bx, by: self._data(what, bx, by), steps)
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError("fit: validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val)")
        xs, ys = self._checked_arrays(what, data[0], data[1])
        weight = data[2] if len(data) == 3 else None
        check_sample_weight(what, weight, len(xs[0]))
        return EpochIterator.of_arrays(xs, ys, weight, checked_batch_size(what, batch_size), steps=steps, what=what)

    # ----------------------------------------------------------------- evaluate
    def evaluate(self, x: Any, y: Any = None, batch_size: int = 32, verbose: int = 1, sample_weight: Any = None,
                 steps: int | None = None, callbacks: list | None = None, return_dict: bool = False) -> Any:
        """The loss (with penalties) and metrics over (x, y), averaged over samples, in inference mode.

        ``x`` may also be a PyDataset or a generator of batches (``steps`` of
        them). Returns the loss alone, ``[loss, *metrics]``, or a dict with
        ``return_dict`` (Keras's conventions).
        """
        self._require_compiled("evaluate")
        if is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("evaluate: x is a dataset or generator of (x, y[, sample_weight]) batches; give "
                                 "no separate y or sample_weight")
            iterator = EpochIterator.of_source("evaluate", x, lambda bx, by: self._data("evaluate", bx, by), steps)
        else:
            batch_size = checked_batch_size("evaluate", batch_size)
            xs, ys = self._checked_arrays("evaluate", x, y)
            check_sample_weight("evaluate", sample_weight, len(xs[0]))
            iterator = EpochIterator.of_arrays(xs, ys, sample_weight, batch_size, steps=steps, what="evaluate")
        callback_list = CallbackList(callbacks, model=self, add_progbar=verbose != 0, verbose=verbose,
                                     steps=iterator.num_batches)
        return _results(self._evaluate_loop(iterator, callback_list, "evaluate"), return_dict)

    def _evaluate_loop(self, iterator: EpochIterator, callback_list: CallbackList, what: str) -> dict:
        """evaluate's figures over every batch of ``iterator``, with the ``on_test_*`` hooks."""
        self._compiled.metrics.reset()
        callback_list.on_test_begin({})
        running, logs = EpochLogs(), {}
        with iterator.epoch() as batches:
            for step, (xs, ys, weights) in enumerate(batches):
                callback_list.on_test_batch_begin(step, {})
                running.add(*self.test_step(xs, ys, weights))
                logs = running.means()
                callback_list.on_test_batch_end(step, dict(logs))
        if not logs:
            raise ValueError(f"{what}: the data gave no batches")
        callback_list.on_test_end(dict(logs))
        return logs

    # ----------------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0, steps: int | None = None,
                callbacks: list | None = None) -> Any:
        """Outputs for every sample of ``x``, in inference mode: one array per output (a list or dict for several).

        ``x`` may be arrays, a PyDataset (its batches in order) or a generator
        (``steps`` batches). In inference every sample is computed on its own
        (batch norm uses its moving statistics, dropout is off), so a batch
        whose largest layer output would exceed ``predict_activation_bytes``
        goes through in slices: the same outputs, without arrays of gigabytes
        whose fresh pages cost more than the arithmetic.
        """
        if is_batch_source(x):
            iterator = EpochIterator.of_source("predict", x, lambda bx, by: (self._inputs_of("predict", bx), None),
                                               steps, needs_y=False, epoch_hooks=False)
        else:
            batch_size = checked_batch_size("predict", batch_size)
            xs = self._inputs_of("predict", x)
            if len(xs[0]) == 0:
                raise ValueError("predict: x holds no samples")
            iterator = EpochIterator.of_arrays(xs, None, None, batch_size, steps=steps, what="predict")
        callback_list = CallbackList(callbacks, model=self, add_progbar=verbose != 0, verbose=verbose,
                                     steps=iterator.num_batches)
        callback_list.on_predict_begin({})
        pieces: list[list] = [[] for _ in self.output_names]
        rows_at_once = None
        with iterator.epoch() as batches:
            for step, (xs, _, _) in enumerate(batches):
                if step == 0:
                    if not self.built:
                        self.build(tuple(xs[0].shape[1:]))
                    rows_at_once = self._rows_at_once()
                callback_list.on_predict_batch_begin(step, {})
                outputs = self.predict_step(xs, rows_at_once)
                for output, array in enumerate(outputs):
                    pieces[output].append(array)
                callback_list.on_predict_batch_end(step, {"outputs": self._structured_outputs(outputs)})
        if not pieces[0]:
            raise ValueError("predict: the dataset gave no batches")
        callback_list.on_predict_end({})
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


def _results(logs: dict, return_dict: bool) -> Any:
    """Keras's return convention: a dict, the loss alone, or [loss, *metrics]."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
