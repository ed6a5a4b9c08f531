"""How every ``minidl.ops`` function chooses its path: Tensors through the graph, arrays directly.

Given a Tensor, an op calls a differentiable function (so a custom loss
written with ``ops`` trains); given arrays (numpy or cupy) or Python
numbers, it computes on them and returns an array of the same backend.
"""

from __future__ import annotations

import builtins
from typing import Any

from minidl.core import backend
from minidl.autodiff.tensor import Tensor, data_of


def tensor_in(*values: Any) -> bool:
    """Whether any of ``values`` is a Tensor (then the result must be one, in the graph)."""
    return builtins.any(isinstance(value, Tensor) for value in values)


def array_module(*values: Any) -> Any:
    """numpy or cupy: the module of the arrays among ``values`` (numpy for numbers and lists)."""
    arrays = [data_of(value) for value in values if hasattr(data_of(value), "shape")]
    return backend.get_array_module(*arrays) if arrays else backend.get_array_module(0.0)


def as_array(value: Any) -> Any:
    """The array behind a Tensor, an array itself, or a number or list as an array (numpy's own dtype rules)."""
    value = data_of(value)
    return value if hasattr(value, "shape") else array_module(value).asarray(value)


def float_array(value: Any) -> Any:
    """As ``as_array``, with integers and booleans as float32 (Keras's float results of integer inputs)."""
    array = as_array(value)
    return array if array.dtype.kind in "fc" else array.astype(backend.DEFAULT_FLOAT_DTYPE)


def normalise_axis(axis: int, ndim: int, name: str) -> int:
    """``axis`` in [-ndim, ndim) as a non-negative axis, or a ValueError naming the op."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a tensor with {ndim} axes")
    return axis % ndim
