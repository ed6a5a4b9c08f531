"""A Keras-like progress bar for fit, evaluate and predict, on one refreshed terminal line."""

from __future__ import annotations

import sys
import time
from typing import TextIO


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
