"""Data that arrive in batches: Keras's ``PyDataset``, Python generators, and preparing the next batches early.

``fit``, ``evaluate`` and ``predict`` take, instead of arrays,

- a ``PyDataset``: ``len(dataset)`` batches per epoch, ``dataset[i]`` the
  i-th batch as ``(x, y)`` or ``(x, y, sample_weight)`` (``x`` alone for
  predict), ``on_epoch_end()`` called after each epoch (reshuffle, draw
  fresh augmentations, simulate anew: anything);
- a generator (or any iterator) yielding such batches, with
  ``steps_per_epoch`` saying how many make an epoch.

Only the batches in flight are in memory. While the model trains on one
batch, ``workers`` threads prepare the next ones, up to ``max_queue_size``
ahead (numpy releases the interpreter lock in its array code, so reading
and encoding overlap the training step). The threads end with the loop
that started them, when it finishes or fails.
"""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class PyDataset:
    """Base class of a dataset of batches (Keras's ``keras.utils.PyDataset``); see the module docstring.

    Subclasses call ``super().__init__(workers=..., max_queue_size=...)`` and
    define ``__len__`` and ``__getitem__``.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        if use_multiprocessing:
            raise ValueError("PyDataset: use_multiprocessing is not supported; workers are threads (numpy's array "
                             "code runs in parallel in threads)")
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"PyDataset: workers must be a positive int, got {workers!r}")
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(f"PyDataset: max_queue_size must be a positive int, got {max_queue_size!r}")
        self.workers, self.max_queue_size = workers, max_queue_size

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (batches per epoch)")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__ (one batch)")

    @property
    def num_batches(self) -> int:
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch's first batch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch's last batch."""


def is_batch_source(x: Any) -> bool:
    """Whether ``x`` gives batches (a PyDataset, a generator or another iterator) rather than arrays."""
    return isinstance(x, PyDataset) or (isinstance(x, Iterator) and not hasattr(x, "shape"))


def _settings(dataset: PyDataset) -> tuple[int, int]:
    # a subclass that forgot super().__init__ still works, with the defaults
    return getattr(dataset, "workers", 1), getattr(dataset, "max_queue_size", 10)


class Batches:
    """One epoch's batches from a PyDataset (in ``order``) or a generator (``steps``), prepared ahead in threads.

    Use as a context manager, so that its threads end with the loop::

        with Batches(dataset, order) as batches:
            for batch in batches: ...
    """

    def __init__(self, source: Any, order: list | None = None, steps: int | None = None) -> None:
        self.source, self.order, self.steps = source, order, steps
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def __enter__(self) -> "Batches":
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator:
        if isinstance(self.source, PyDataset):
            yield from self._from_dataset()
        else:
            yield from self._from_iterator()

    def _from_dataset(self) -> Iterator:
        workers, ahead = _settings(self.source)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minidl-batches")
        pending: collections.deque = collections.deque()
        indices = iter(self.order)
        for index in indices:
            pending.append(self._pool.submit(self.source.__getitem__, index))
            if len(pending) >= ahead:
                break
        while pending:
            batch = pending.popleft().result()  # an error in __getitem__ surfaces here, in the training loop
            following = next(indices, None)
            if following is not None:
                pending.append(self._pool.submit(self.source.__getitem__, following))
            yield batch

    def _from_iterator(self) -> Iterator:
        """``steps`` items from the iterator, one thread reading ahead into a bounded queue."""
        items: queue.Queue = queue.Queue(maxsize=10)
        done = object()

        def produce() -> None:
            try:
                for _ in range(self.steps):
                    if self._stop.is_set():
                        return
                    item = next(self.source)
                    while not self._stop.is_set():
                        try:
                            items.put(("batch", item), timeout=0.1)
                            break
                        except queue.Full:
                            continue
            except StopIteration:
                items.put(("end", None))
                return
            except BaseException as error:  # noqa: BLE001 - handed to the training loop, which raises it
                items.put(("error", error))
                return
            items.put(("end", done))

        self._thread = threading.Thread(target=produce, name="minidl-generator", daemon=True)
        self._thread.start()
        while True:
            kind, item = items.get()
            if kind == "batch":
                yield item
            elif kind == "error":
                raise item
            else:
                if item is not done:
                    raise ValueError(f"the generator stopped before giving the {self.steps} batches of an epoch "
                                     "(steps_per_epoch); make it loop forever, or give fewer steps")
                return

    def close(self) -> None:
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._thread is not None:
            self._thread.join(timeout=5)


def split_batch(batch: Any, what: str, needs_y: bool = True) -> tuple:
    """(x, y, sample_weight) of a batch given as x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        x, y, weight = (list(batch) + [None, None])[:3]
    elif needs_y:
        raise ValueError(f"{what}: each batch must be (x, y) or (x, y, sample_weight), got a {type(batch).__name__}")
    else:
        x, y, weight = batch, None, None
    if needs_y and y is None:
        raise ValueError(f"{what}: each batch must be (x, y) or (x, y, sample_weight); this one has no y")
    return x, y, weight
