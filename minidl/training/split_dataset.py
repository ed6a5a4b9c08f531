"""``keras.utils.split_dataset`` over arrays: two datasets of samples, batched with ``.batch(n)`` for ``fit``.

Keras returns ``tf.data.Dataset`` objects; minidl has no tf.data, so each
half is a ``SampleDataset``: ``len()`` samples, iterated one sample at a
time (``x_i``, or ``(x_i, y_i, ...)`` for a tuple of arrays, or a dict for a
dict of arrays: what iterating Keras's unbatched halves gives),
``cardinality()`` as tf.data's, ``.batch(batch_size)`` a ``PyDataset`` of
batches that ``fit``, ``evaluate`` and ``predict`` take, and ``.arrays``
the half's arrays themselves. Sizes and shuffling follow Keras: a float is a
fraction of the samples (rounded as Python rounds), an int a count, the
missing size the rest; ``shuffle=True`` permutes the samples as Keras's
``random.seed(seed); random.shuffle(samples)`` does, so a seed gives the same
halves as Keras.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy

from minidl.training.data import PyDataset


class SampleDataset:
    """One half of ``split_dataset``: ``arrays`` (one array, a tuple of them or a dict of them), sample by sample."""

    def __init__(self, arrays: Any) -> None:
        self.arrays = arrays

    def _parts(self) -> list:
        if isinstance(self.arrays, dict):
            return list(self.arrays.values())
        return list(self.arrays) if isinstance(self.arrays, tuple) else [self.arrays]

    def __len__(self) -> int:
        return len(self._parts()[0])

    def cardinality(self) -> int:
        return len(self)

    def _take(self, index: Any) -> Any:
        if isinstance(self.arrays, dict):
            return {key: value[index] for key, value in self.arrays.items()}
        if isinstance(self.arrays, tuple):
            return tuple(part[index] for part in self.arrays)
        return self.arrays[index]

    def __iter__(self) -> Any:
        return (self._take(i) for i in range(len(self)))

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "SampleBatches":
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, numpy.integer)) or batch_size < 1:
            raise ValueError(f"batch: batch_size must be a positive int, got {batch_size!r}")
        return SampleBatches(self, int(batch_size), drop_remainder)

    def __repr__(self) -> str:
        return f"<SampleDataset of {len(self)} samples>"


class SampleBatches(PyDataset):
    """The batches of a ``SampleDataset``, in order (``fit(shuffle=True)`` shuffles their order)."""

    def __init__(self, samples: SampleDataset, batch_size: int, drop_remainder: bool) -> None:
        super().__init__()
        self.samples, self.batch_size = samples, batch_size
        count = len(samples) / batch_size
        self.batches = math.floor(count) if drop_remainder else math.ceil(count)

    def __len__(self) -> int:
        return self.batches

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < self.batches:
            raise IndexError(f"batch {index} of {self.batches}")
        return self.samples._take(slice(index * self.batch_size, (index + 1) * self.batch_size))


def _as_arrays(dataset: Any) -> tuple[Any, int]:
    """The dataset as an array, a tuple or a dict of arrays of one length, and that length. A tuple or list of
    arrays is parallel arrays (x, y), as in Keras; a list of numbers is one array."""
    if isinstance(dataset, dict):
        arrays: Any = {key: numpy.asarray(value) for key, value in dataset.items()}
        parts = list(arrays.values())
    elif isinstance(dataset, (tuple, list)) and dataset and all(numpy.ndim(part) >= 1 for part in dataset):
        arrays = tuple(numpy.asarray(part) for part in dataset)
        parts = list(arrays)
    else:
        arrays = numpy.asarray(dataset)
        parts = [arrays]
    if not parts or any(part.ndim == 0 for part in parts):
        raise ValueError(f"split_dataset: dataset must be an array, a tuple of arrays or a dict of arrays, got "
                         f"{type(dataset).__name__}")
    lengths = {len(part) for part in parts}
    if len(lengths) != 1:
        raise ValueError(f"split_dataset: the arrays of the dataset must have one length, got {sorted(lengths)}")
    return arrays, lengths.pop()


def _split_sizes(left_size: Any, right_size: Any, total: int) -> tuple[int, int]:
    """Keras's rules: a float in (0, 1) is a fraction of ``total``, an int in (0, total) a count; one may be None."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: give left_size or right_size (a fraction in (0, 1) or a count of samples)")
    sizes = []
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            sizes.append(None)
        elif isinstance(size, float) and 0 < size < 1:
            sizes.append(round(size * total))
        elif isinstance(size, (int, numpy.integer)) and not isinstance(size, bool) and 0 < size < total:
            sizes.append(int(size))
        else:
            raise ValueError(f"split_dataset: {name} must be a fraction in (0, 1) or a count of samples in "
                             f"(0, {total}), got {size!r}")
    left, right = sizes
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size and right_size ask for {left} + {right} samples; the dataset "
                         f"has {total}")
    return left, right


def split_dataset(dataset: Any, left_size: Any = None, right_size: Any = None, shuffle: bool = False,
                  seed: int | None = None, preferred_backend: Any = None) -> tuple[SampleDataset, SampleDataset]:
    """(left, right) halves of ``dataset`` (an array, a tuple or a dict of arrays); see the module docstring."""
    if preferred_backend not in (None, "numpy"):
        raise ValueError(f"split_dataset: minidl splits into its own datasets of arrays; preferred_backend must be "
                         f"None, got {preferred_backend!r}")
    arrays, total = _as_arrays(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        seed = random.randint(0, int(1e6)) if seed is None else seed
        random.Random(seed).shuffle(order)  # the same permutation as Keras's random.seed(seed); random.shuffle
    order = numpy.asarray(order, dtype=numpy.intp)

    def take(indices: Any) -> SampleDataset:
        if isinstance(arrays, dict):
            return SampleDataset({key: value[indices] for key, value in arrays.items()})
        if isinstance(arrays, tuple):
            return SampleDataset(tuple(part[indices] for part in arrays))
        return SampleDataset(arrays[indices])

    return take(order[:left]), take(order[total - right:])
