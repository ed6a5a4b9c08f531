"""The array backend: which array library holds the data, and the default dtype.

Every other module asks this one for its array module (``xp``) instead of
importing numpy directly, so the same autodiff code runs on numpy arrays on
the CPU and, once the GPU backend lands, on cupy arrays on a GPU. This is the
only module allowed to import cupy; it is imported lazily so that minidl works
where cupy is not installed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy

from minidl import memory

DEFAULT_FLOAT_DTYPE = numpy.dtype("float32")

_cupy: ModuleType | None = None
_cupy_checked = False


def _load_cupy() -> ModuleType | None:
    """Import cupy once, returning None where it is not installed or unusable."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported on demand

            _cupy = cupy
        except Exception:  # ImportError, or a CUDA runtime that fails to load
            _cupy = None
    return _cupy


def get_array_module(*arrays: Any) -> ModuleType:
    """Return the array module (numpy or cupy) that owns ``arrays``.

    Chainer's rule: the data chooses the backend. If any argument is a cupy
    array the answer is cupy, otherwise numpy. Arguments may be Tensors, arrays
    or anything else (scalars, None), which count as numpy.
    """
    arrays = tuple(_unwrap(array) for array in arrays)
    if any(hasattr(array, "__cuda_array_interface__") for array in arrays):
        cupy = _load_cupy()
        if cupy is not None and any(isinstance(array, cupy.ndarray) for array in arrays):
            return cupy
    return numpy


def _unwrap(x: Any) -> Any:
    """The array inside a Tensor; anything else unchanged."""
    from minidl.tensor import Tensor  # noqa: PLC0415 - tensor.py imports this module

    return x.data if isinstance(x, Tensor) else x


def as_array(data: Any, dtype: Any = None) -> Any:
    """Convert ``data`` to an array of the backend that already owns it.

    Floating arrays (numpy, cupy, numpy scalars) keep their dtype. Python
    numbers and lists, and integer or boolean arrays, become
    ``DEFAULT_FLOAT_DTYPE``, unless ``dtype`` says otherwise.
    """
    xp = get_array_module(data)
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    is_array = isinstance(data, (numpy.ndarray, numpy.generic)) or hasattr(
        data, "__cuda_array_interface__"
    )
    array = xp.asarray(data)
    if not is_array or array.dtype.kind != "f":
        array = array.astype(DEFAULT_FLOAT_DTYPE)
    return array


def to_numpy(array: Any) -> numpy.ndarray:
    """Copy an array of any backend to a numpy array on the host."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get"):
        return array.get()
    return numpy.asarray(array)


def empty(shape: tuple, dtype: Any, like: Any) -> Any:
    """An uninitialised array on ``like``'s backend, for a temporary the caller fills completely.

    numpy arrays of 1 MiB and more come from ``minidl.memory``'s cache of
    buffers that earlier batches freed, so that their pages are already
    mapped; cupy arrays come from cupy's own memory pool.
    """
    xp = get_array_module(like)
    if xp is numpy:
        return memory.buffer_cache().empty(shape, dtype)
    return xp.empty(shape, dtype=dtype)


def zeros(shape: tuple, dtype: Any, like: Any) -> Any:
    """``empty`` filled with zeros."""
    array = empty(shape, dtype, like)
    array.fill(0)
    return array
