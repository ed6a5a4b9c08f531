"""Element-by-element ops: arithmetic, exponentials, activations, rounding, comparisons and logic.

Arithmetic, ``exp``/``log``/``sqrt``, the activations, ``erf``, ``clip``,
``maximum``/``minimum``, ``where`` and ``nan_to_num`` differentiate (given
a Tensor they return a Tensor in the graph). Rounding (``floor``, ``ceil``,
``round``, ``sign``), comparisons, logic and ``isnan``/``isfinite`` have no
useful gradient (Keras gives none either): they return plain arrays, which
combine with Tensors as constants.
"""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.ops.dispatch import array_module, as_array, float_array, tensor_in
from minidl.ops.gradients import Erf
from minidl.autodiff.tensor import Tensor


# ---------------------------------------------------------------------------- arithmetic
def add(x1: Any, x2: Any) -> Any:
    return F.add(x1, x2) if tensor_in(x1, x2) else as_array(x1) + as_array(x2)


def subtract(x1: Any, x2: Any) -> Any:
    return F.subtract(x1, x2) if tensor_in(x1, x2) else as_array(x1) - as_array(x2)


def multiply(x1: Any, x2: Any) -> Any:
    return F.multiply(x1, x2) if tensor_in(x1, x2) else as_array(x1) * as_array(x2)


def divide(x1: Any, x2: Any) -> Any:
    return F.divide(x1, x2) if tensor_in(x1, x2) else float_array(x1) / as_array(x2)


true_divide = divide


def power(x1: Any, x2: Any) -> Any:
    return F.power(x1, x2) if tensor_in(x1, x2) else as_array(x1) ** as_array(x2)


def negative(x: Any) -> Any:
    return F.negative(x) if tensor_in(x) else -as_array(x)


def square(x: Any) -> Any:
    return F.multiply(x, x) if tensor_in(x) else as_array(x) * as_array(x)


def reciprocal(x: Any) -> Any:
    return F.divide(1.0, x) if tensor_in(x) else 1.0 / float_array(x)


def abs(x: Any) -> Any:  # noqa: A001 - Keras's name
    return F.abs(x) if tensor_in(x) else array_module(x).abs(as_array(x))


absolute = abs


def maximum(x1: Any, x2: Any) -> Any:
    return F.maximum(x1, x2) if tensor_in(x1, x2) else array_module(x1, x2).maximum(as_array(x1), as_array(x2))


def minimum(x1: Any, x2: Any) -> Any:
    return F.minimum(x1, x2) if tensor_in(x1, x2) else array_module(x1, x2).minimum(as_array(x1), as_array(x2))


def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """x limited to [x_min, x_max]; the gradient is gy inside, 0 outside."""
    return F.clip(x, x_min, x_max) if tensor_in(x) else array_module(x).clip(as_array(x), x_min, x_max)


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """x1 where ``condition`` holds, else x2 (gradients to each on its side); one argument: the indices, as numpy."""
    if x1 is None and x2 is None:
        return tuple(index.astype("int32") for index in array_module(condition).nonzero(as_array(condition)))
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither")
    if tensor_in(x1, x2):
        return F.where(as_array(condition).astype(bool), x1, x2)
    return array_module(x1, x2).where(as_array(condition), as_array(x1), as_array(x2))


# ---------------------------------------------------------------------------- exponentials and activations
def exp(x: Any) -> Any:
    return F.exp(x) if tensor_in(x) else array_module(x).exp(float_array(x))


def log(x: Any) -> Any:
    return F.log(x) if tensor_in(x) else array_module(x).log(float_array(x))


def sqrt(x: Any) -> Any:
    return F.sqrt(x) if tensor_in(x) else array_module(x).sqrt(float_array(x))


def log1p(x: Any) -> Any:
    return F.log(F.add(x, 1.0)) if tensor_in(x) else array_module(x).log1p(float_array(x))


def expm1(x: Any) -> Any:
    return F.subtract(F.exp(x), 1.0) if tensor_in(x) else array_module(x).expm1(float_array(x))


def _activation(function: Any, x: Any, *args: Any) -> Any:
    """An activation of minidl.functional on a Tensor, or on an array through a constant Tensor."""
    if tensor_in(x):
        return function(x, *args)
    return function(Tensor(float_array(x)), *args).data


def tanh(x: Any) -> Any:
    return _activation(F.tanh, x)


def sigmoid(x: Any) -> Any:
    return _activation(F.sigmoid, x)


def softplus(x: Any) -> Any:
    """log(1 + e^x), computed without overflow."""
    return _activation(F.softplus, x)


def relu(x: Any) -> Any:
    return _activation(F.relu, x)


def softmax(x: Any, axis: int = -1) -> Any:
    return _activation(F.softmax, x, axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x - logsumexp(x) along ``axis``, computed stably."""
    return _activation(F.log_softmax, x, axis)


def erf(x: Any) -> Any:
    """The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x."""
    return Erf()(x) if tensor_in(x) else Erf().forward(float_array(x))


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
    """NaN as ``nan``, +-inf as ``posinf``/``neginf`` (the largest finite values by default); gradient where finite."""
    values = as_array(x)
    replaced = array_module(x).nan_to_num(values, nan=nan, posinf=posinf, neginf=neginf)
    if tensor_in(x):
        return F.where(isfinite(values), x, Tensor(replaced, dtype=values.dtype))
    return replaced


# ---------------------------------------------------------------------------- no gradient
def floor(x: Any) -> Any:
    return array_module(x).floor(float_array(x))


def ceil(x: Any) -> Any:
    return array_module(x).ceil(float_array(x))


def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001 - Keras's name
    """Rounded to ``decimals`` places, halves to even (numpy's and Keras's rule)."""
    return array_module(x).round(as_array(x), decimals)


def sign(x: Any) -> Any:
    return array_module(x).sign(as_array(x))


def isnan(x: Any) -> Any:
    return array_module(x).isnan(as_array(x))


def isfinite(x: Any) -> Any:
    return array_module(x).isfinite(as_array(x))


def isinf(x: Any) -> Any:
    return array_module(x).isinf(as_array(x))


def equal(x1: Any, x2: Any) -> Any:
    return as_array(x1) == as_array(x2)


def not_equal(x1: Any, x2: Any) -> Any:
    return as_array(x1) != as_array(x2)


def greater(x1: Any, x2: Any) -> Any:
    return as_array(x1) > as_array(x2)


def greater_equal(x1: Any, x2: Any) -> Any:
    return as_array(x1) >= as_array(x2)


def less(x1: Any, x2: Any) -> Any:
    return as_array(x1) < as_array(x2)


def less_equal(x1: Any, x2: Any) -> Any:
    return as_array(x1) <= as_array(x2)


def logical_and(x1: Any, x2: Any) -> Any:
    return array_module(x1, x2).logical_and(as_array(x1), as_array(x2))


def logical_or(x1: Any, x2: Any) -> Any:
    return array_module(x1, x2).logical_or(as_array(x1), as_array(x2))


def logical_xor(x1: Any, x2: Any) -> Any:
    return array_module(x1, x2).logical_xor(as_array(x1), as_array(x2))


def logical_not(x: Any) -> Any:
    return array_module(x).logical_not(as_array(x))


def mod(x1: Any, x2: Any) -> Any:
    return array_module(x1, x2).mod(as_array(x1), as_array(x2))


def floor_divide(x1: Any, x2: Any) -> Any:
    return array_module(x1, x2).floor_divide(as_array(x1), as_array(x2))

