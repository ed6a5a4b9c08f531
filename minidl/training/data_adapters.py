"""Data adapters (Keras 3's ``DataAdapter``): every kind of data as one epoch's batches of raw items.

An adapter knows how many batches an epoch has (``num_batches``) and gives
one epoch at a time as a context manager, so that threads preparing
batches end with the loop that reads them::

    with adapter.epoch() as batches:
        for batch in batches: ...

Kinds of data:

- ``ArrayDataAdapter``: arrays already standardized (one per input and
  output); batches of ``batch_size`` rows, in a fresh random order each
  epoch when ``shuffle`` (one ``permutation`` from ``minidl.random`` per
  epoch, drawn when the epoch starts), the last batch smaller. Items are
  ``(xs, ys, sample_weight)``.
- ``PyDatasetAdapter``: ``len(dataset)`` batches (or ``steps``), shuffled
  batch order if ``shuffle``; ``on_epoch_begin``/``on_epoch_end`` called
  around each epoch (``epoch_hooks``). Items are the dataset's batches.
- ``GeneratorDataAdapter``: ``steps`` items of any iterator per epoch.

Dataset and generator items are prepared ahead in threads by
``minidl.training.data.Batches``; the ``EpochIterator`` turns them into arrays.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy

from minidl.core import backend
from minidl.core import random as minidl_random
from minidl.training.data import Batches, PyDataset, is_batch_source
from minidl.training.standardize import rows


class ArrayDataAdapter:
    """Batches of standardized arrays (see the module docstring)."""

    def __init__(self, xs: list, ys: list | None, sample_weight: Any, batch_size: int, shuffle: bool,
                 steps: int | None = None) -> None:
        self.xs, self.ys, self.sample_weight = xs, ys, sample_weight
        self.batch_size, self.shuffle = batch_size, shuffle
        self.samples = len(xs[0])
        full = math.ceil(self.samples / batch_size)
        self.num_batches = full if steps is None else min(int(steps), full)

    @contextlib.contextmanager
    def epoch(self) -> Iterator:
        yield self._batches(minidl_random.generator().permutation(self.samples) if self.shuffle else None)

    def _batches(self, order: numpy.ndarray | None) -> Iterator:
        size = self.batch_size
        weight = self.sample_weight
        if weight is not None and order is None:
            weight = numpy.asarray(backend.to_numpy(weight))
        for batch in range(self.num_batches):
            if order is None:  # contiguous slices: views, no copies
                part = slice(batch * size, (batch + 1) * size)
                yield ([a[part] for a in self.xs], None if self.ys is None else [a[part] for a in self.ys],
                       None if weight is None else weight[part])
            else:
                index = order[batch * size : (batch + 1) * size]
                yield ([rows(a, index) for a in self.xs], None if self.ys is None else [rows(a, index) for a in self.ys],
                       None if weight is None else weight[index])


class PyDatasetAdapter:
    """The batches of a ``PyDataset``, ``dataset[i]`` in (shuffled) index order."""

    def __init__(self, dataset: PyDataset, steps: int | None, shuffle: bool, epoch_hooks: bool = True) -> None:
        self.dataset, self.shuffle, self.epoch_hooks = dataset, shuffle, epoch_hooks
        self.total = len(dataset)
        self.num_batches = self.total if steps is None else min(int(steps), self.total)

    @contextlib.contextmanager
    def epoch(self) -> Iterator:
        if self.epoch_hooks:
            self.dataset.on_epoch_begin()
        order = minidl_random.generator().permutation(self.total) if self.shuffle else numpy.arange(self.total)
        batches = Batches(self.dataset, order=[int(i) for i in order[: self.num_batches]])
        try:
            yield iter(batches)
        finally:
            batches.close()
        if self.epoch_hooks:  # only after an epoch that ended without an error
            self.dataset.on_epoch_end()


class GeneratorDataAdapter:
    """``steps`` items of a generator (or any iterator) per epoch, read ahead in a thread."""

    def __init__(self, generator: Iterator, steps: int) -> None:
        self.generator, self.num_batches = generator, int(steps)

    @contextlib.contextmanager
    def epoch(self) -> Iterator:
        batches = Batches(self.generator, steps=self.num_batches)
        try:
            yield iter(batches)
        finally:
            batches.close()


def source_adapter(what: str, source: Any, steps: int | None, shuffle: bool, epoch_hooks: bool = True) -> Any:
    """The adapter of a PyDataset or a generator, with ``steps`` checked (a generator needs them)."""
    if isinstance(source, PyDataset):
        adapter = PyDatasetAdapter(source, steps, shuffle, epoch_hooks)
        if adapter.num_batches < 1:
            raise ValueError(f"{what}: the dataset has no batches (len(dataset) is {adapter.total})")
        return adapter
    if not is_batch_source(source):
        raise ValueError(f"{what}: expected a PyDataset or a generator of batches, got {type(source).__name__}")
    if steps is None or int(steps) < 1:
        option = "steps" if what.startswith(("predict", "evaluate")) else "steps_per_epoch"
        if what.startswith("fit (validation"):
            option = "validation_steps"
        raise ValueError(f"{what}: a generator needs {option} (how many of its batches make an epoch)")
    return GeneratorDataAdapter(source, int(steps))
