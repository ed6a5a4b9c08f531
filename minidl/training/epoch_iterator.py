"""The epoch iterator (Keras 3's ``EpochIterator``): the one way ``fit``, ``evaluate`` and ``predict`` read data.

Separation of concerns, as in Keras 3:

- a data adapter (``data_adapters``) knows one kind of data: arrays,
  ``PyDataset``, generators; batch size, shuffling and steps per epoch;
- the epoch iterator chooses the adapter for the data given, checks the
  arguments that go with it, and hands out each epoch's batches as
  ``(xs, ys, sample_weight)``: lists of arrays in the model's input and
  output order (``ys`` None for predict), weights one per sample or None;
- the trainer owns validation (``validation_split``, ``validation_data``),
  epochs, callbacks and the steps themselves.

::

    iterator = EpochIterator.of_arrays(xs, ys, weights, batch_size=32, shuffle=True)
    for epoch in range(epochs):
        with iterator.epoch() as batches:          # threads of a dataset end with the block
            for step, (xs, ys, weights) in enumerate(batches): ...
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy

from minidl.core import backend
from minidl.training.data import is_batch_source, split_batch
from minidl.training.data_adapters import ArrayDataAdapter, source_adapter
from minidl.training.standardize import check_sample_weight


class EpochIterator:
    """One epoch at a time of standardized batches from an adapter (see the module docstring).

    ``standardize(x, y) -> (xs, ys)`` turns a dataset's or generator's batch
    into the model's lists of arrays (None for arrays, which the trainer
    standardized once, whole). ``needs_y`` is False for predict.
    """

    def __init__(self, adapter: Any, what: str, standardize: Callable | None = None, needs_y: bool = True) -> None:
        self.adapter, self.what, self.standardize, self.needs_y = adapter, what, standardize, needs_y

    @classmethod
    def of_arrays(cls, xs: list, ys: list | None, sample_weight: Any, batch_size: int, shuffle: bool = False,
                  steps: int | None = None, what: str = "fit") -> "EpochIterator":
        return cls(ArrayDataAdapter(xs, ys, sample_weight, batch_size, shuffle, steps), what)

    @classmethod
    def of_source(cls, what: str, source: Any, standardize: Callable, steps: int | None = None,
                  shuffle: bool = False, needs_y: bool = True, epoch_hooks: bool = True) -> "EpochIterator":
        """The iterator of a PyDataset or generator of ``(x, y[, sample_weight])`` batches (``x`` for predict)."""
        return cls(source_adapter(what, source, steps, shuffle, epoch_hooks), what, standardize, needs_y)

    @property
    def num_batches(self) -> int:
        return self.adapter.num_batches

    @contextlib.contextmanager
    def epoch(self) -> Iterator:
        with self.adapter.epoch() as items:
            yield items if self.standardize is None else (self._standardized(item) for item in items)

    def _standardized(self, batch: Any) -> tuple:
        x, y, weight = split_batch(batch, self.what, needs_y=self.needs_y)
        xs, ys = self.standardize(x, y)
        check_sample_weight(self.what, weight, len(xs[0]))
        return xs, ys, None if weight is None else numpy.asarray(backend.to_numpy(weight), dtype=float)


def refuse_arguments_of_arrays(what: str, y: Any, sample_weight: Any, class_weight: Any,
                               validation_split: float = 0.0) -> None:
    """A dataset or generator carries its own targets and weights: refuse the arguments that go with arrays."""
    if y is not None:
        raise ValueError(f"{what}: x is a dataset or generator of (x, y) batches; give no separate y")
    for name, value in (("sample_weight", sample_weight), ("class_weight", class_weight)):
        if value is not None and (not isinstance(value, dict) or value):
            raise ValueError(f"{what}: {name} does not go with a dataset; yield (x, y, sample_weight) batches")
    if validation_split:
        raise ValueError(f"{what}: validation_split needs arrays; give validation_data (arrays or a dataset)")


__all__ = ["EpochIterator", "is_batch_source", "refuse_arguments_of_arrays"]
