"""User data as the trainer takes it: one array per model input (output), in the model's order, checked.

``x`` and ``y`` may be one array, a list in the model's order or a dict by
input (output) name. Every check here runs before any batch is computed and
answers in one sentence naming the argument:

- shapes: each input array is ``(batch,) + the input's shape`` (for one
  sample, ``x[None]`` is suggested);
- lengths: every array of ``x`` and ``y`` holds the same number of samples;
- values: ``x`` and ``y`` hold no NaN or infinity (the first bad index is named);
- weights: ``sample_weight`` has one value per sample; ``class_weight``
  values are finite and >= 0.

Per-sample weights combine as ``w_i = sample_weight_i * class_weight[class of sample i]``
(1 for a class the dict does not name), with the class the argmax of a
one-hot (or probability) row, else the rounded label.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl.autodiff.tensor import Tensor


def as_array(data: Any) -> Any:
    """An array from ``data``: cupy arrays stay on their GPU, anything else becomes numpy."""
    if isinstance(data, Tensor):
        data = data.data
    return data if backend.device_of(data) == "gpu" else numpy.asarray(data)


def standardize(what: str, role: str, data: Any, names: list) -> list:
    """``data`` (an array, a list in order or a dict by name) as one array per name."""
    kind = "inputs" if role == "x" else "outputs"
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        extra = sorted(set(data) - set(names))
        if missing or extra:
            raise ValueError(f"{what}: {role} is a dict with keys {', '.join(map(repr, data))} but the model's "
                             f"{kind} are {', '.join(map(repr, names))}")
        return [as_array(data[name]) for name in names]
    if len(names) > 1:
        if not isinstance(data, (list, tuple)) or len(data) != len(names):
            count = len(data) if isinstance(data, (list, tuple)) else "one array"
            raise ValueError(f"{what}: the model has {len(names)} {kind} ({', '.join(names)}); {role} must be a "
                             f"list of {len(names)} arrays or a dict by name, got {count}")
        return [as_array(item) for item in data]
    if isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(data[0], "shape"):
        return [as_array(data[0])]
    if data is None:
        raise ValueError(f"{what}: {role} is None")
    return [as_array(data)]


def check_shape(what: str, name: str | None, array: Any, shape: tuple | None, model_name: str) -> None:
    """A batch of the wrong shape is named, with ``x[None]`` suggested for one sample."""
    if shape is None or (array.ndim == len(shape) + 1 and all(
            expected is None or expected == got for expected, got in zip(shape, array.shape[1:]))):
        return
    label = "x" if name is None else f"input {name!r}"
    hint = f"; for one sample pass x[None] (shape {(1,) + tuple(array.shape)})" \
        if tuple(array.shape) == tuple(shape) else ""
    raise ValueError(f"{what}: {label} has shape {tuple(array.shape)} but model {model_name!r} takes (batch,) + "
                     f"{tuple(shape)}{hint}")


def same_length(what: str, role: str, arrays: list, names: list) -> None:
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        listing = ", ".join(f"{name}: {len(array)}" for name, array in zip(names, arrays))
        raise ValueError(f"{what}: the arrays of {role} hold different numbers of samples ({listing})")


def check_finite(what: str, role: str, arrays: list, names: list, chunk_bytes: int = 64 * 2**20) -> None:
    """Refuse NaN or infinity in ``role``'s arrays, naming the first bad value's index.

    One pass of ``isfinite`` over the data, ``chunk_bytes`` of it at a time
    (so the check never holds a mask as large as the data); integer and
    boolean arrays are finite by construction and skipped.
    """
    for name, array in zip(names, arrays):
        if array.dtype.kind not in "fc" or array.size == 0:
            continue
        xp = backend.get_array_module(array)
        rows_at_once = max(1, chunk_bytes // max(array[:1].nbytes, 1))
        for start in range(0, len(array), rows_at_once):
            finite = xp.isfinite(array[start : start + rows_at_once])
            if bool(finite.all()):
                continue
            flat = int(xp.argmin(finite.reshape(-1)))  # the first False
            index = tuple(int(i) for i in numpy.unravel_index(flat, finite.shape))
            index = (index[0] + start,) + index[1:]
            value = float(array[index])
            label = role if len(arrays) == 1 else f"{role} ({name!r})"
            raise ValueError(f"{what}: {label} holds {value} at index {index} (sample {index[0]}); every value "
                             "must be finite, so clean or impute it before training")


def rows(data: Any, index: numpy.ndarray) -> Any:
    """``data[index]`` for a numpy index, with the index moved to the data's device."""
    return data[backend.to_device(index, backend.device_of(data))]


def checked_batch_size(what: str, batch_size: Any) -> int:
    """``batch_size`` as a positive int; None means Keras's default, 32."""
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer (or None for 32), got {batch_size!r}")
    return int(batch_size)


def check_sample_weight(what: str, sample_weight: Any, samples: int) -> None:
    if sample_weight is not None and len(sample_weight) != samples:
        raise ValueError(f"{what}: sample_weight has {len(sample_weight)} values for {samples} samples")


def check_class_weight(what: str, class_weight: Any) -> None:
    """``class_weight`` is a dict {class index: weight} of finite weights >= 0."""
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise ValueError(f"{what}: class_weight must be a dict {{class index: weight}}, got "
                         f"{type(class_weight).__name__}")
    for label, weight in class_weight.items():
        try:
            value = float(weight)
        except (TypeError, ValueError):
            value = float("nan")
        if not numpy.isfinite(value) or value < 0:
            raise ValueError(f"{what}: class_weight[{label!r}] is {weight!r}; class weights must be finite "
                             "numbers >= 0")


def combined_weights(what: str, ys: list, sample_weight: Any, class_weight: dict | None) -> numpy.ndarray | None:
    """Per-sample weights: ``sample_weight`` times ``class_weight[class of the sample]`` (1 if absent)."""
    y = ys[0]
    check_sample_weight(what, sample_weight, len(y))
    check_class_weight(what, class_weight)
    weights = None if sample_weight is None else numpy.asarray(backend.to_numpy(sample_weight), dtype=float)
    if class_weight:
        y = numpy.asarray(backend.to_numpy(y))
        if y.ndim >= 2 and y.shape[-1] > 1:
            labels = y.argmax(axis=-1)
        else:
            labels = numpy.round(y.reshape(len(y))).astype(int)
        per_class = numpy.array([class_weight.get(int(label), 1.0) for label in labels.reshape(len(y), -1)[:, 0]])
        weights = per_class if weights is None else weights * per_class
    return weights
