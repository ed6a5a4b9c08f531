"""Exercise 20: early stopping, the rule behind Keras's EarlyStopping callback.

Training loss keeps falling while the held-out loss turns up once the network
starts to learn its training set by heart. Early stopping watches the
held-out loss after every epoch and stops when it has not improved for
``patience`` epochs in a row, remembering the best epoch (whose weights a
trainer then restores):

    improved  <=>  value < best - min_delta     (an improvement of exactly min_delta is not one)
    if improved: best, best_epoch, wait = value, epoch, 0     else: wait += 1
    stop  <=>  wait >= patience

Epochs are counted from 0; the first value always improves on best = +inf.
minidl's ``EarlyStopping`` in ``minidl/callbacks.py`` follows this rule.

Write the class ``EarlyStopper(patience, min_delta=0.0)`` with ``update(value)``
(returns True when training should stop) and the attributes ``best`` and ``best_epoch``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl import callbacks
from minidl.exercises.checks import Report, attempt, forbid, uses_minidl, verdict_on_library_use

TITLE = "early stopping: patience, min_delta and the best epoch"
NAMES = ("EarlyStopper",)


class _Weights:
    """The least of a model an EarlyStopping callback talks to."""

    stop_training = False

    def get_weights(self) -> list:
        return []


def library_run(values: list, patience: int, min_delta: float) -> tuple:
    """(epoch at which minidl's EarlyStopping stops or None, its best, its best epoch)."""
    callback = callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta)
    callback.set_model(_Weights()) if hasattr(callback, "set_model") else setattr(callback, "model", _Weights())
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if callback.model.stop_training:
            return epoch, callback.best, callback.best_epoch
    return None, callback.best, callback.best_epoch


def reference() -> SimpleNamespace:
    return SimpleNamespace(EarlyStopper=callbacks.EarlyStopping)


def _curve(rng: numpy.random.Generator, epochs: int) -> list:
    """A held-out loss that falls, flattens (with ties), then rises: values on a grid of 0.01, so ties happen."""
    turn = int(rng.integers(epochs // 3, 2 * epochs // 3))
    values = [2.0 * numpy.exp(-epoch / 4) + 0.01 * max(0, epoch - turn) ** 1.5 + float(rng.normal(0, 0.02))
              for epoch in range(epochs)]
    return [round(value, 2) for value in values]


def check(solution: object) -> Report:
    report = Report(f"exercise 20: {TITLE}")
    forbid(report, {"early stopping": [callbacks.EarlyStopping]})
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    cases = [(int(rng.integers(1, 3)), 0.0), (int(rng.integers(3, 7)), float(rng.choice([0.03, 0.05])))]
    curves = [_curve(rng, 30), _curve(rng, 40), [1.0, 0.9, 0.85, 0.84, 0.83, 0.83, 0.9, 0.95, 1.0, 1.1, 1.2, 1.3],
              [round(1.0 - 0.02 * epoch, 2) for epoch in range(20)]]  # steady steps smaller than min_delta
    for patience, min_delta in cases:
        for number, values in enumerate(curves, start=1):
            stopper = attempt(report, f"EarlyStopper({patience}, min_delta={min_delta}) is made",
                              lambda: solution.EarlyStopper(patience, min_delta=min_delta))
            if stopper is None:
                return report
            stopped = None
            for epoch, value in enumerate(values):
                answer = attempt(report, f"update at epoch {epoch} runs", stopper.update, value)
                if answer is None:
                    return report
                if answer:
                    stopped = epoch
                    break
            expected, best, best_epoch = library_run(values, patience, min_delta)
            what = f"patience {patience}, min_delta {min_delta}, curve {number}"
            report.add(f"{what}: stops at epoch {expected}", stopped == expected,
                       f"yours stopped at {stopped}; values {values[: (expected or len(values)) + 1]}")
            report.add(f"{what}: the best epoch is {best_epoch} (value {best})",
                       getattr(stopper, "best_epoch", None) == best_epoch and getattr(stopper, "best", None) == best,
                       f"yours: best_epoch {getattr(stopper, 'best_epoch', None)}, best {getattr(stopper, 'best', None)}")
    verdict_on_library_use(report)
    return report
