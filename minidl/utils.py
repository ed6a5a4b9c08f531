"""``keras.utils``'s names: ``to_categorical``, ``PyDataset`` (from ``minidl.training.data``), ``plot_model``, custom objects.

``get_custom_objects``, ``custom_object_scope`` (``CustomObjectScope``),
``register_keras_serializable`` and ``serialize_keras_object`` /
``deserialize_keras_object`` are the same as in ``minidl.saving``.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core.sequences import pad_sequences  # noqa: F401 - keras.utils.pad_sequences's place
from minidl.training.data import PyDataset  # noqa: F401 - keras.utils.PyDataset's place
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

