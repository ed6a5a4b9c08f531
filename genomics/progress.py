"""Progress lines for long steps: count/total, rate and the time left, soon and then regularly.

A library function that runs long takes ``progress: Callable[[int, int], None] | None`` and calls
``progress(done, total)`` as its work advances (``progress(0, total)`` before it starts). A ``Progress`` is such
a callable that writes lines like::

    simulate: 300/3000 replicates (10%), 12.5 replicates/s, about 3 min 36 s left

Its promise: a first line within ``first_within`` seconds (10) of ``start()``, then a line at least every
``every`` seconds (30) until ``finish()``, whether or not the work reported in between (a heartbeat thread
writes lines when the step is between reports, as while one simulation shard runs), and
never more than one line per ``every`` / 3 seconds from reports alone. ``clock`` and ``heartbeat=False``
let a test drive it with a fake time (``poll()`` is what the heartbeat calls); the module's ``FIRST_LINE_WITHIN``,
``LINE_EVERY`` and ``HEARTBEAT_POLL`` (seconds) are the defaults, which a test of a command may shorten to run a
slow stand-in in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Callable, Iterable, Iterator, TextIO, TypeVar


T = TypeVar("T")

FIRST_LINE_WITHIN = 10.0
"""Seconds within which a step's first line is written (the heartbeat writes it at half this time)."""
LINE_EVERY = 30.0
"""Seconds between lines at the most while a step runs."""
HEARTBEAT_POLL = 1.0
"""Seconds between the heartbeat thread's looks at whether a line is due."""


def duration(seconds: float) -> str:
    """``75`` -> ``"1 min 15 s"``; ``4000`` -> ``"1 h 6 min"``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class Progress:
    """A ``progress(done, total)`` callback that writes count/total, rate and time left to ``stream``."""

    def __init__(self, label: str, unit: str = "replicates", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float | None = None,
                 first_within: float | None = None, heartbeat: bool = True) -> None:
        self.label, self.unit, self.clock = label, unit, clock
        self.stream = stream if stream is not None else sys.stdout
        self.every = LINE_EVERY if every is None else every
        self.first_within = FIRST_LINE_WITHIN if first_within is None else first_within
        self.heartbeat, self.poll_seconds = heartbeat, HEARTBEAT_POLL
        self.done, self.total, self.first_done = 0, None, None
        self.started = self.last_line = self.first_report = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Progress":
        self.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.finish()

    def start(self) -> None:
        self.started = self.clock()
        if self.heartbeat:
            self._thread = threading.Thread(target=self._beat, name=f"progress of {self.label}", daemon=True)
            self._thread.start()

    def __call__(self, done: int, total: int | None = None) -> None:
        """The library's report: ``done`` of ``total`` units finished."""
        with self._lock:
            if self.started is None:
                self.started = self.clock()
            now = self.clock()
            if self.first_done is None or done < self.done:  # the rate counts from the first report of a count
                self.first_done, self.first_report = done, now
            self.done, self.total = done, total if total is not None else self.total
            finished = self.total is not None and done >= self.total
            if self.last_line is None or finished or now - self.last_line >= self.every / 3:
                self._write(now)

    def poll(self) -> None:
        """Write a line if one is due: the first after ``first_within`` seconds, then every ``every`` seconds."""
        with self._lock:
            now = self.clock()
            if self.started is None:
                return
            if (self.last_line is None and now - self.started >= self.first_within / 2) or \
                    (self.last_line is not None and now - self.last_line >= self.every):
                self._write(now, heartbeat=True)

    def finish(self) -> None:
        """Stop the heartbeat."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def line(self, now: float, heartbeat: bool = False) -> str:
        """The line at time ``now``: count/total (and share), rate and time left once they are known;
        ``heartbeat``: a line written between reports."""
        total = f"/{self.total}" if self.total is not None else ""
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        elapsed = now - self.started
        if self.first_done is None:  # a step that reports no count: only that it is alive
            return f"{self.label}: {'starting' if elapsed < 1 else duration(elapsed) + ' elapsed'}"
        text = f"{self.label}: {self.done}{total} {self.unit}{share}"
        if heartbeat and self.total is not None and self.done >= self.total:  # counted, but the step goes on
            return f"{text} done; {duration(elapsed)} elapsed, the step goes on"
        rate_time = now - self.first_report if self.first_report is not None else 0.0
        advanced = self.done - (self.first_done or 0)
        if advanced > 0 and rate_time > 0:
            rate = advanced / rate_time
            text += f", {rate:.3g} {self.unit}/s"
            if self.total is not None and self.done < self.total:
                text += f", about {duration((self.total - self.done) / rate)} left"
        elif elapsed < 1:
            text += ", starting"
        elif self.total is None or self.done < self.total:
            text += f", {duration(elapsed)} elapsed, rate not known yet"
        return text

    def _write(self, now: float, heartbeat: bool = False) -> None:
        print(self.line(now, heartbeat), file=self.stream, flush=True)
        self.last_line = now

    def _beat(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.poll()


@contextlib.contextmanager
def reporting(label: str, unit: str = "replicates", quiet: bool = False) -> Iterator[Progress | None]:
    """``with reporting("simulated") as progress:`` a running ``Progress`` on stdout, or None when ``quiet``."""
    if quiet:
        yield None
        return
    with Progress(label, unit) as progress:
        yield progress


def counted(items: Iterable[T], total: int, progress: Callable[[int, int], None] | None) -> Iterator[T]:
    """``items`` as they are, calling ``progress(done, total)`` after each one is used (nothing without it)."""
    if progress is None:
        yield from items
        return
    progress(0, total)
    for done, item in enumerate(items, start=1):
        yield item
        progress(done, total)
