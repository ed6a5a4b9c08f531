"""A Keras-like progress bar for fit, evaluate and predict, on one refreshed terminal line, and its callback."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from minidl.callbacks import Callback


def format_logs(logs: dict) -> str:
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


class ProgressBar:
    """``update(done, logs)`` redraws ``12/80 [===>......] - 3s 40ms/step - loss: 0.41``."""

    def __init__(self, total: int, width: int = 30, stream: TextIO | None = None) -> None:
        self.total, self.width = total, width
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self.previous_length = 0

    def update(self, done: int, logs: dict | None = None, final: bool = False) -> None:
        elapsed = time.perf_counter() - self.start
        filled = int(self.width * done / max(self.total, 1))
        bar = "=" * max(filled - 1, 0) + (">" if done < self.total else "=") if filled else ""
        per_step = elapsed / max(done, 1)
        timing = f"{elapsed:.0f}s {per_step * 1000:.0f}ms/step" if final else f"ETA {per_step * (self.total - done):.0f}s"
        digits = len(str(self.total))
        line = f"\r{done:>{digits}}/{self.total} [{bar:<{self.width}}] - {timing}"
        if logs:
            line += " - " + format_logs(logs)
        padding = " " * max(self.previous_length - len(line), 0)  # wipe the rest of a longer previous line
        self.previous_length = len(line)
        self.stream.write(line + padding + ("\n" if final else ""))
        self.stream.flush()


class ProgbarLogger(Callback):
    """The progress printed by ``fit``, ``evaluate`` and ``predict`` (Keras's ``ProgbarLogger``), as a callback.

    ``params`` (set by the callback list) give ``verbose``, ``epochs`` and
    ``steps``. In ``fit`` with ``verbose=1``: ``Epoch 3/10``, then a bar
    redrawn after each batch but the last, then the epoch's line with the
    validation figures; with ``verbose=2`` one line per epoch. Alone,
    ``evaluate`` and ``predict`` draw a bar over their batches with
    ``verbose=1``; the validation inside ``fit`` draws none.
    """

    def __init__(self) -> None:
        self.bar: ProgressBar | None = None
        self.in_fit = False

    def _verbose(self) -> int:
        return int(self.params.get("verbose", 1))

    def _steps(self) -> int:
        return int(self.params.get("steps") or 0)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.in_fit = True

    def on_train_end(self, logs: dict | None = None) -> None:
        self.in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._verbose() == 1:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')}")
            self.bar = ProgressBar(self._steps())

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        stopped = self.model is not None and getattr(self.model, "stop_training", False)
        if self.bar is not None and batch + 1 < self._steps() and not stopped:
            self.bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._verbose() == 1 and self.bar is not None:
            self.bar.update(self._steps(), logs, final=True)
        elif self._verbose() == 2:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {format_logs(logs or {})}")

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self.in_fit and self._verbose() == 1:
            self.bar = ProgressBar(self._steps())

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self.in_fit and self._verbose() == 1 and self.bar is not None:
            self.bar.update(batch + 1, logs, final=batch + 1 == self._steps())

    def on_predict_begin(self, logs: dict | None = None) -> None:
        if self._verbose() == 1:
            self.bar = ProgressBar(self._steps())

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._verbose() == 1 and self.bar is not None:
            self.bar.update(batch + 1, final=batch + 1 == self._steps())
