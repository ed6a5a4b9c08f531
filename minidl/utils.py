"""``keras.utils``'s names: ``to_categorical``, ``normalize``, ``set_random_seed``, ``PyDataset`` (also as Keras 2's
``Sequence``, from ``minidl.training.data``), ``split_dataset``, ``plot_model``, custom objects,
``pack_x_y_sample_weight``.

``get_custom_objects``, ``custom_object_scope`` (``CustomObjectScope``),
``register_keras_serializable`` and ``serialize_keras_object`` /
``deserialize_keras_object`` are the same as in ``minidl.saving``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy

from minidl.core.sequences import pad_sequences  # noqa: F401 - keras.utils.pad_sequences's place
from minidl.backend import clear_session  # noqa: F401 - keras.utils.clear_session's place
from minidl.core import random as minidl_random

from minidl.training.data import PyDataset  # noqa: F401 - keras.utils.PyDataset's place
from minidl.training.split_dataset import split_dataset  # noqa: F401 - keras.utils.split_dataset's place
from minidl.training.data import PyDataset as Sequence  # noqa: F401 - Keras 2's name, kept by Keras 3
from minidl.teaching.model_plot import plot_model  # noqa: F401 - keras.utils.plot_model's place
from minidl.core.registry import (  # noqa: F401 - keras.utils's names for custom objects
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minidl.saving.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> numpy.ndarray:
    """One-hot rows for integer class labels: ``to_categorical([2, 0], 3)`` is ``[[0, 0, 1], [1, 0, 0]]``.

    ``num_classes`` defaults to the largest label + 1. A trailing axis of size
    1 is dropped first, as in Keras; the result is float32 (Keras's is float64).
    """
    labels = numpy.asarray(y)
    if labels.ndim and labels.shape[-1] == 1 and labels.ndim > 1:
        labels = labels[..., 0]
    if labels.size and (not numpy.issubdtype(labels.dtype, numpy.number) or numpy.any(labels != numpy.round(labels))
                        or labels.min() < 0):
        raise ValueError(f"to_categorical: labels must be integers >= 0, got values such as {labels.ravel()[:5]}")
    labels = labels.astype(int)
    classes = int(labels.max()) + 1 if num_classes is None and labels.size else int(num_classes or 0)
    if labels.size and labels.max() >= classes:
        raise ValueError(f"to_categorical: label {labels.max()} does not fit num_classes={classes}")
    return numpy.eye(classes, dtype=dtype)[labels]



def normalize(x: Any, axis: int = -1, order: int = 2) -> numpy.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (rows of norm 0 are left as they are), as Keras's.

    ``axis=0`` normalises columns (Keras's numpy path reads 0 as -1: ``axis = axis or -1``).
    """
    array = numpy.asarray(x, dtype=float) if not numpy.issubdtype(numpy.asarray(x).dtype, numpy.floating) \
        else numpy.asarray(x)
    norm = numpy.atleast_1d(numpy.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / numpy.expand_dims(norm, axis)


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and minidl's streams at once (Keras's helper)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
        raise ValueError(f"set_random_seed: seed must be an int, got {seed!r}")
    random.seed(int(seed))
    numpy.random.seed(int(seed))
    minidl_random.seed(int(seed))


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
    """``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``, whichever are given (Keras's, for custom ``train_step``)."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x  # one input needs no tuple (Keras)
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """``(x, y, sample_weight)`` from a batch of one, two or three items (the absent ones None)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ValueError(f"unpack_x_y_sample_weight: a batch is (x,), (x, y) or (x, y, sample_weight), "
                         f"got {len(data)} items")
    return tuple(data) + (None,) * (3 - len(data))
