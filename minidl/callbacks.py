"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` run at the start and end of loops, epochs and batches.

Every hook receives ``logs``, a dict of the current figures (``loss``,
metric names, ``val_`` versions at epoch end; ``{"outputs": ...}`` after a
predict batch). A callback stops training by setting
``self.model.stop_training = True``. The hooks, as Keras 3 names them::

    fit:       on_train_begin, on_epoch_begin, on_train_batch_begin/_end, on_epoch_end, on_train_end
               (its validation calls the evaluate hooks)
    evaluate:  on_test_begin, on_test_batch_begin/_end, on_test_end
    predict:   on_predict_begin, on_predict_batch_begin/_end, on_predict_end

``self.params`` holds ``verbose``, ``epochs`` and ``steps`` (batches per epoch).
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy


class CallbackError(ValueError):
    """A callback's argument that cannot work (a folder that cannot be written, an unknown option)."""


class Callback:
    """Base class: every hook does nothing (``on_batch_begin``/``_end`` are Keras 2's names of the train ones)."""

    model: Any = None
    params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = dict(params)

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


class History(Callback):
    """Per-epoch figures: ``history.history["loss"][epoch]``; returned by ``fit``."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _monitor_mode(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if any(word in monitor for word in ("acc", "auc", "precision", "recall", "f1", "pearson")) else "min"


def _monitored(logs: dict | None, monitor: str, who: str) -> float | None:
    logs = logs or {}
    if monitor not in logs:
        print(f"{who}: the monitored quantity {monitor!r} is not available; available: {', '.join(sorted(logs))}")
        return None
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights=True`` the model ends training with the
    weights of its best epoch, whether training stopped early or ran out
    of epochs.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        self.monitor, self.min_delta, self.patience, self.verbose = monitor, abs(min_delta), patience, verbose
        self.mode = _monitor_mode(monitor, mode)
        self.baseline, self.restore_best_weights, self.start_from_epoch = baseline, restore_best_weights, start_from_epoch

    def _improved(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, None, None
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch is not None and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring the weights of epoch {self.best_epoch + 1}, the best ({self.monitor} = {self.best:.6g})")
            self.model.set_weights(self.best_weights)


def check_writable_folder(who: str, argument: str, path: str) -> None:
    """Refuse, in one sentence, a file path whose folder cannot be written (checked when training starts).

    The folder is the path's folder up to its first ``{...}`` placeholder;
    a missing folder is fine if its nearest existing parent can be written
    (it is made at the first save, as Keras makes it).
    """
    template = os.path.abspath(path)
    folder = os.path.dirname(template)
    if "{" in folder:
        folder = os.path.dirname(folder[: folder.index("{")] + "x")
    if "{" not in template and os.path.isdir(template):
        raise CallbackError(f"{who}: {argument} {path!r} is a folder; give a file path inside it")
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise CallbackError(f"{who}: {argument} {path!r} cannot be written: {existing!r} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CallbackError(f"{who}: {argument} {path!r} cannot be written: the folder {existing!r} is not "
                            "writable; choose a folder you may write to")


class ModelCheckpoint(Callback):
    """Save the model (or its weights) every epoch or every ``save_freq`` batches, or only when ``monitor`` improves.

    ``filepath`` may hold ``{epoch}``, ``{batch}`` and log names, formatted
    as Python formats them: ``"model-{epoch:02d}-{val_loss:.2f}.keras"``
    (epochs and batches counted from 1). The extension chooses the format
    (``.keras``/``.h5``: Keras files; anything else: minidl's ``.npz``). The
    folder is checked when ``fit`` starts, and every file is written whole
    or not at all: to a temporary file in the same folder, then renamed
    over the target (``os.replace``). With ``save_best_only`` a value must
    beat ``initial_value_threshold`` (if given) and every earlier one; an
    epoch without the monitored figure is saved, with a warning, as Keras does.
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _monitor_mode(monitor, mode)
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool) or save_freq < 1):
            raise CallbackError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, "
                                f"got {save_freq!r}")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self._reset()

    def _reset(self) -> None:
        if self.initial_value_threshold is not None:
            self.best = float(self.initial_value_threshold)
        else:
            self.best = math.inf if self.mode == "min" else -math.inf
        self._batches_since_save, self._epoch = 0, 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        check_writable_folder("ModelCheckpoint", "filepath", self.filepath)
        self._reset()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        fields = dict(logs)
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except (KeyError, IndexError, ValueError) as error:
            raise CallbackError(f"ModelCheckpoint: filepath {self.filepath!r} cannot be formatted ({error!r}); "
                                f"the fields are epoch, batch and the logs: {', '.join(sorted(fields))}") from None

    def _save(self, epoch: int, batch: int | None, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            if self.monitor not in logs:
                warnings.warn(f"ModelCheckpoint: can save the best model only with {self.monitor!r} in the logs "
                              f"(they hold {', '.join(sorted(logs))}); saving this one", stacklevel=2)
            else:
                value = float(logs[self.monitor])
                better = value < self.best if self.mode == "min" else value > self.best
                if not better:
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                    return
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {value:.5f}, "
                          f"saving model to {path}")
                self.best = value
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        write_atomically(path, self.model.save_weights if self.save_weights_only else self.model.save)


def write_atomically(path: str, write: Callable[[str], Any]) -> None:
    """``write(temporary)`` into the target's folder, then rename it over ``path``: a reader sees the old file or the new one.

    The temporary name ends like the target (``.keras``, ``.weights.h5``,
    ``.npz``), so a writer that chooses its format by the name chooses the same.
    """
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".partial-{os.getpid()}-{name}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


class CSVLogger(Callback):
    """Write one CSV row per epoch: the epoch number (from 0, as Keras) and every log figure.

    The columns are Keras's: "epoch", then the first epoch's figures sorted by name; when
    none of them is a validation figure, a ``val_`` column for each follows (Keras expects
    them later, with ``validation_freq``), and a figure an epoch lacks is written "NA".

    ``append=True`` adds to an existing file (no second header); the file's
    folder is checked when ``fit`` starts. Each row is written and flushed
    as its epoch ends, so an interrupted training keeps its finished epochs.
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        check_writable_folder("CSVLogger", "filename", self.filename)
        self.keys = None
        self.file_existed = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        mode = "a" if (self.append or self.keys is not None) else "w"
        folder = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(folder, exist_ok=True)
        with open(self.filename, mode, newline="") as handle:
            writer = csv.writer(handle, delimiter=self.separator)
            if self.keys is None:
                self.keys = sorted(logs)
                if self.keys and not any(key.startswith("val_") for key in self.keys):
                    self.keys += [f"val_{key}" for key in self.keys]
                if not self.file_existed:
                    writer.writerow(["epoch", *self.keys])
            writer.writerow([epoch, *(logs.get(key, "NA") for key in self.keys)])


class LearningRateScheduler(Callback):
    """At each epoch's start set the optimizer's learning rate to ``schedule(epoch, current_lr)``."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        rate = float(self.schedule(epoch, optimizer.learning_rate))
        if not numpy.isfinite(rate):
            raise ValueError(f"LearningRateScheduler: the schedule returned {rate} at epoch {epoch}")
        optimizer.learning_rate = rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate set to {rate:.6g}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite (Keras's callback).

    ``fit``, as Keras's, trains on through such a loss by default (its
    update is applied, so the weights become NaN); this callback stops at the
    end of that batch (``raise_error=True``: raises a ``RuntimeError`` there,
    skipping ``on_train_end``). To also get back the last finite weights, use
    ``RestoreLastFiniteWeights``.
    """

    def __init__(self, raise_error: bool = False) -> None:
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                                   "Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class RestoreLastFiniteWeights(Callback):
    """Stop at the first NaN or infinite loss with the weights (and optimizer state) of the last finite step.

    minidl's own choice, not Keras's (Keras trains on, or stops with
    ``TerminateOnNaN`` keeping the NaN weights). Before each batch the
    model's state is copied (see ``minidl.training.finite_weights``); when
    a batch's loss is not finite, its update is undone (and, if the update
    before it had already overflowed the weights, that one too), training
    stops, and one line says where. Give it first in ``callbacks`` so that
    the callbacks after it see the restored weights.
    """

    def on_train_begin(self, logs: dict | None = None) -> None:
        from minidl.training.finite_weights import LastFiniteWeights  # noqa: PLC0415 - minidl.training imports this module

        self.guard = LastFiniteWeights(self.model)
        self.stopped_at: tuple[int, int] | None = None
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.guard.keep()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            kept = self.guard.restore()
            self.stopped_at = (self.epoch, batch)
            print(f"\nEpoch {self.epoch + 1}, batch {batch + 1}: the loss is {loss}; training stopped, with {kept}.")
            self.model.stop_training = True


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs (Keras's rule).

    An improvement is ``current < best - min_delta`` (mode "min") or
    ``current > best + min_delta`` (mode "max"; "auto" picks "max" for
    accuracy-like names). After a reduction, ``cooldown`` epochs pass before
    waiting starts again; the rate never goes below ``min_lr``. The rate is
    logged as ``learning_rate`` each epoch.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 **kwargs: Any) -> None:
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        if patience < 0 or cooldown < 0 or min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: patience, cooldown and min_lr must be >= 0, got {patience}, "
                             f"{cooldown}, {min_lr}")
        self.min_delta = kwargs.pop("epsilon", min_delta)  # Keras 2's old name
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments {sorted(kwargs)}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.mode, self.cooldown, self.min_lr = _monitor_mode(monitor, mode), cooldown, min_lr
        self._reset()

    def _reset(self) -> None:
        self.wait, self.cooldown_counter = 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def _improved(self, current: float) -> bool:
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = _monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(optimizer.learning_rate)
                if old > self.min_lr:
                    optimizer.learning_rate = max(old * self.factor, self.min_lr)
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                              f"{optimizer.learning_rate:.6g}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LambdaCallback(Callback):
    """A callback made of plain functions (Keras's ``LambdaCallback``), e.g. to time the steps of ``fit``::

        LambdaCallback(on_train_batch_end=lambda batch, logs: times.append(time.perf_counter()))

    Each hook given replaces the do-nothing hook of that name; the epoch and
    batch hooks take ``(index, logs)``, the train hooks take ``(logs)``.
    """

    HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
             "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")

    def __init__(self, **hooks: Callable) -> None:
        unknown = sorted(set(hooks) - set(self.HOOKS))
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hooks {unknown}; valid: {', '.join(self.HOOKS)}")
        for name, function in hooks.items():
            if function is not None and not callable(function):
                raise ValueError(f"LambdaCallback: {name} must be a function, got {type(function).__name__}")
            if function is not None:
                setattr(self, name, function)
