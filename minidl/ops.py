"""Keras's ``keras.ops`` (and old ``keras.backend``) functions for custom metrics and losses.

``from keras import ops`` becomes ``from minidl import ops``, and
``from keras import backend as K`` becomes ``from minidl import ops as K``.
Each function takes Tensors or arrays (numpy, or cupy on a GPU):

- given a Tensor it calls minidl's differentiable function, so a custom
  loss written with ``ops`` trains (its gradient is that function's);
- given arrays it computes on them directly and returns an array, which is
  what a metric receives from ``fit``.

Comparisons, ``argmax``, ``round``, ``sign`` and ``cast`` have no useful
gradient (Keras gives none either): they return plain arrays.
"""

from __future__ import annotations

import builtins
from typing import Any

from minidl import backend
from minidl import functional as F
from minidl.config import epsilon
from minidl.tensor import Tensor, data_of


def _tensor_in(*values: Any) -> bool:
    return builtins.any(isinstance(value, Tensor) for value in values)


def _xp(*values: Any) -> Any:
    arrays = [data_of(value) for value in values if hasattr(data_of(value), "shape")]
    return backend.get_array_module(*arrays) if arrays else backend.get_array_module(0.0)


def _array(value: Any) -> Any:
    value = data_of(value)
    return value if hasattr(value, "shape") else _xp(value).asarray(value)


def convert_to_tensor(x: Any, dtype: Any = None) -> Tensor:
    return x if isinstance(x, Tensor) and dtype is None else Tensor(data_of(x), dtype=dtype)


def convert_to_numpy(x: Any) -> Any:
    return backend.to_numpy(data_of(x))


# ---------------------------------------------------------------------------- reductions
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001 - Keras's name
    return F.sum(x, axis, keepdims) if _tensor_in(x) else _array(x).sum(axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return F.mean(x, axis, keepdims) if _tensor_in(x) else _array(x).mean(axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return F.max(x, axis, keepdims) if _tensor_in(x) else _array(x).max(axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return F.min(x, axis, keepdims) if _tensor_in(x) else _array(x).min(axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The biased variance mean((x - mean(x))^2), as Keras."""
    centred = subtract(x, mean(x, axis, keepdims=True))
    return mean(square(centred), axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """sqrt(var(x)), the biased standard deviation, as Keras."""
    return sqrt(var(x, axis, keepdims))


def argmax(x: Any, axis: int = -1) -> Any:
    return _array(x).argmax(axis=axis)


def argmin(x: Any, axis: int = -1) -> Any:
    return _array(x).argmin(axis=axis)


# ---------------------------------------------------------------------------- element by element
def add(x: Any, y: Any) -> Any:
    return F.add(x, y) if _tensor_in(x, y) else _array(x) + _array(y)


def subtract(x: Any, y: Any) -> Any:
    return F.subtract(x, y) if _tensor_in(x, y) else _array(x) - _array(y)


def multiply(x: Any, y: Any) -> Any:
    return F.multiply(x, y) if _tensor_in(x, y) else _array(x) * _array(y)


def divide(x: Any, y: Any) -> Any:
    return F.divide(x, y) if _tensor_in(x, y) else _array(x) / _array(y)


def power(x: Any, y: Any) -> Any:
    return F.power(x, y) if _tensor_in(x, y) else _array(x) ** _array(y)


def square(x: Any) -> Any:
    return F.multiply(x, x) if _tensor_in(x) else _array(x) * _array(x)


def sqrt(x: Any) -> Any:
    return F.sqrt(x) if _tensor_in(x) else _xp(x).sqrt(_array(x))


def abs(x: Any) -> Any:  # noqa: A001
    return F.abs(x) if _tensor_in(x) else _xp(x).abs(_array(x))


def exp(x: Any) -> Any:
    return F.exp(x) if _tensor_in(x) else _xp(x).exp(_array(x))


def log(x: Any) -> Any:
    return F.log(x) if _tensor_in(x) else _xp(x).log(_array(x))


def negative(x: Any) -> Any:
    return F.negative(x) if _tensor_in(x) else -_array(x)


def maximum(x: Any, y: Any) -> Any:
    return F.maximum(x, y) if _tensor_in(x, y) else _xp(x, y).maximum(_array(x), _array(y))


def minimum(x: Any, y: Any) -> Any:
    return F.minimum(x, y) if _tensor_in(x, y) else _xp(x, y).minimum(_array(x), _array(y))


def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    return F.clip(x, x_min, x_max) if _tensor_in(x) else _xp(x).clip(_array(x), x_min, x_max)


def where(condition: Any, x: Any, y: Any) -> Any:
    if _tensor_in(x, y):
        return F.where(data_of(condition), x, y)
    return _xp(x, y).where(_array(condition), _array(x), _array(y))


def sigmoid(x: Any) -> Any:
    return F.sigmoid(x) if _tensor_in(x) else F.sigmoid(Tensor(_array(x))).data


def relu(x: Any) -> Any:
    return F.relu(x) if _tensor_in(x) else _xp(x).maximum(_array(x), 0)


def softmax(x: Any, axis: int = -1) -> Any:
    return F.softmax(x, axis) if _tensor_in(x) else F.softmax(Tensor(_array(x)), axis).data


# ---------------------------------------------------------------------------- shapes
def matmul(x: Any, y: Any) -> Any:
    return F.matmul(x, y) if _tensor_in(x, y) else _array(x) @ _array(y)


def transpose(x: Any, axes: Any = None) -> Any:
    return F.transpose(x, axes) if _tensor_in(x) else _xp(x).transpose(_array(x), axes)


def reshape(x: Any, new_shape: Any) -> Any:
    return F.reshape(x, new_shape) if _tensor_in(x) else _array(x).reshape(new_shape)


def expand_dims(x: Any, axis: int) -> Any:
    shape = list(x.shape)
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
    return reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Any:
    shape = x.shape
    axes = [i for i, n in enumerate(shape) if n == 1] if axis is None else \
        [a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)]
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def concatenate(xs: Any, axis: int = 0) -> Any:
    if _tensor_in(*xs):
        return F.concatenate(list(xs), axis=axis)
    return _xp(*xs).concatenate([_array(x) for x in xs], axis=axis)


def stack(xs: Any, axis: int = 0) -> Any:
    if _tensor_in(*xs):
        return F.stack(list(xs), axis=axis)
    return _xp(*xs).stack([_array(x) for x in xs], axis=axis)


# ---------------------------------------------------------------------------- no gradient
def cast(x: Any, dtype: Any) -> Any:
    return _array(x).astype(dtype)


def equal(x: Any, y: Any) -> Any:
    return _array(x) == _array(y)


def not_equal(x: Any, y: Any) -> Any:
    return _array(x) != _array(y)


def greater(x: Any, y: Any) -> Any:
    return _array(x) > _array(y)


def greater_equal(x: Any, y: Any) -> Any:
    return _array(x) >= _array(y)


def less(x: Any, y: Any) -> Any:
    return _array(x) < _array(y)


def less_equal(x: Any, y: Any) -> Any:
    return _array(x) <= _array(y)


def round(x: Any) -> Any:  # noqa: A001
    return _xp(x).round(_array(x))


def sign(x: Any) -> Any:
    return _xp(x).sign(_array(x))


def ones_like(x: Any) -> Any:
    return _xp(x).ones_like(_array(x))


def zeros_like(x: Any) -> Any:
    return _xp(x).zeros_like(_array(x))


def shape(x: Any) -> tuple:
    return tuple(x.shape)


__all__ = [
    "abs", "add", "argmax", "argmin", "cast", "clip", "concatenate", "convert_to_numpy", "convert_to_tensor",
    "divide", "epsilon", "equal", "exp", "expand_dims", "greater", "greater_equal", "less", "less_equal", "log",
    "matmul", "max", "maximum", "mean", "min", "minimum", "multiply", "negative", "not_equal", "ones_like", "power",
    "relu", "reshape", "round", "shape", "sigmoid", "sign", "softmax", "sqrt", "square", "squeeze", "stack", "std",
    "subtract", "sum", "transpose", "var", "where", "zeros_like",
]
