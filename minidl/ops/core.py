"""Making and converting: ``ones``, ``zeros``, ``full``, ``eye``, ``arange``, ``linspace``, ``one_hot``, ``cast``.

New arrays are float32 unless ``dtype`` says otherwise (Keras's floatx);
``arange`` of integers gives int32, as Keras. They are made on the default
device (``minidl.backend.set_default_device``). The ``*_like`` functions
keep the dtype and the device of ``x``.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl.ops.dispatch import array_module, as_array, tensor_in
from minidl.ops.gradients import Cast
from minidl.autodiff.tensor import Tensor, data_of

FLOATX = backend.DEFAULT_FLOAT_DTYPE


def _on_default_device(array: numpy.ndarray) -> Any:
    return backend.to_device(array, backend.default_device())


def _shape(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, (int, numpy.integer)) else tuple(int(n) for n in shape)


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    """A Tensor holding ``x`` in its own dtype (Python ints as int32, floats as float32, as Keras).

    A Tensor given with no dtype is returned as it is, graph and all.
    """
    if sparse or ragged:
        raise ValueError("convert_to_tensor: minidl has no sparse or ragged tensors (sparse=None, ragged=None)")
    if isinstance(x, Tensor) and dtype is None:
        return x
    if dtype is None and isinstance(data_of(x), (list, tuple, int, float, bool)):  # Keras's types for Python values
        dtype = {"i": "int32", "b": "bool"}.get(numpy.asarray(x).dtype.kind, FLOATX)
    return Tensor(data_of(x), dtype=dtype if dtype is not None else as_array(x).dtype)


def convert_to_numpy(x: Any) -> numpy.ndarray:
    """A numpy array on the host, from a Tensor, a numpy or cupy array, or a number or list."""
    return numpy.asarray(backend.to_numpy(data_of(x)))


def shape(x: Any) -> tuple:
    """The shape of ``x`` as a tuple of ints (Keras gives None for unknown sizes; minidl's are always known)."""
    return tuple(as_array(x).shape)


def cast(x: Any, dtype: Any) -> Any:
    """``x`` as ``dtype``; from a float Tensor to a float type the gradient flows (cast back), as in Keras."""
    dtype = numpy.dtype(dtype)
    if tensor_in(x):
        if dtype.kind == "f" and x.dtype.kind == "f":
            return Cast(dtype)(x)
        return Tensor(x.data.astype(dtype), dtype=dtype)
    return as_array(x).astype(dtype)


def stop_gradient(variable: Any) -> Any:
    """The same values, cut from the graph: no gradient flows back through it."""
    return Tensor(variable.data, dtype=variable.dtype) if tensor_in(variable) else as_array(variable)


def ones(shape: Any, dtype: Any = None) -> Any:
    return _on_default_device(numpy.ones(_shape(shape), dtype=dtype or FLOATX))


def zeros(shape: Any, dtype: Any = None) -> Any:
    return _on_default_device(numpy.zeros(_shape(shape), dtype=dtype or FLOATX))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    return _on_default_device(numpy.full(_shape(shape), backend.to_numpy(data_of(fill_value)), dtype=dtype or FLOATX))


def ones_like(x: Any, dtype: Any = None) -> Any:
    return array_module(x).ones(as_array(x).shape, dtype=dtype or as_array(x).dtype)


def zeros_like(x: Any, dtype: Any = None) -> Any:
    return array_module(x).zeros(as_array(x).shape, dtype=dtype or as_array(x).dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    return array_module(x).full(as_array(x).shape, fill_value, dtype=dtype or as_array(x).dtype)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803 - Keras's names
    """An N x M matrix with ones on the k-th diagonal."""
    return _on_default_device(numpy.eye(int(N), None if M is None else int(M), int(k), dtype=dtype or FLOATX))


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """start, start + step, ... below stop (``arange(n)``: 0 ... n-1); int32 for integers, float32 otherwise."""
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        integers = all(isinstance(v, (int, numpy.integer)) for v in (start, stop, step))
        dtype = "int32" if integers else FLOATX
    return _on_default_device(numpy.arange(start, stop, step).astype(dtype))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype: Any = None,
             axis: int = 0) -> Any:
    """``num`` evenly spaced values from start to stop (stop included when ``endpoint``), float32."""
    values = numpy.linspace(backend.to_numpy(data_of(start)), backend.to_numpy(data_of(stop)), int(num),
                            endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        return _on_default_device(values[0].astype(dtype or FLOATX)), values[1]
    return _on_default_device(values.astype(dtype or FLOATX))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    """One-hot vectors of integer labels along a new ``axis``; a label outside [0, num_classes) gives zeros, as Keras.

    Float labels are cast to integers first, towards zero (Keras's ``cast(x, "int32")``: 2.0 and 2.7 are class 2).
    """
    if sparse:
        raise ValueError("one_hot: minidl has no sparse tensors (sparse=False)")
    labels = as_array(x)
    xp = array_module(labels)
    if labels.dtype.kind == "f":
        if not bool(xp.isfinite(labels).all()):
            raise ValueError("one_hot: float labels must be finite to be cast to classes, got NaN or infinity")
        labels = labels.astype("int64")
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"one_hot: labels must be integers or floats, got an array of {labels.dtype}")
    classes = xp.arange(int(num_classes))
    encoded = (labels[..., None] == classes).astype(dtype or FLOATX)
    return encoded if axis == -1 else xp.moveaxis(encoded, -1, axis)
