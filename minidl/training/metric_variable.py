"""The state of a metric (Keras's ``Variable`` as metrics use it): an array that ``assign_add`` changes in place.

Keras users write a metric's state as variables and change them in place::

    self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
    self.true_positives.assign_add(ops.sum(values))
    return self.true_positives / (self.true_positives + self.false_positives)

``MetricVariable`` is that object on a host numpy array: not a Tensor (a
metric is never differentiated), but anything numpy or ``minidl.ops``
computes with.
"""

from __future__ import annotations

from typing import Any

import numpy
from numpy.lib.mixins import NDArrayOperatorsMixin

from minidl.core import backend
from minidl.autodiff.tensor import data_of


class MetricVariable(NDArrayOperatorsMixin):
    """A metric's state: a host array changed in place by ``assign``, ``assign_add``, ``assign_sub`` (Keras's Variable).

    It computes like an array (``tp / (tp + fp)``, ``ops.sum(v)``,
    ``numpy.asarray(v)``); ``v.value`` is the array itself, ``v.numpy()`` a copy.
    """

    def __init__(self, value: Any, name: str | None = None) -> None:
        self._value = numpy.array(value)
        self.initial = self._value.copy()
        self.name = name

    @property
    def value(self) -> numpy.ndarray:
        return self._value

    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    def numpy(self) -> numpy.ndarray:
        return self._value.copy()

    def assign(self, value: Any) -> "MetricVariable":
        self._value[...] = _host_array(value)
        return self

    def assign_add(self, delta: Any) -> "MetricVariable":
        numpy.add(self._value, _host_array(delta), out=self._value, casting="unsafe")
        return self

    def assign_sub(self, delta: Any) -> "MetricVariable":
        numpy.subtract(self._value, _host_array(delta), out=self._value, casting="unsafe")
        return self

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        return self._value if dtype is None else self._value.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        inputs = tuple(item._value if isinstance(item, MetricVariable) else item for item in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __float__(self) -> float:
        return float(self._value)

    def __getitem__(self, index: Any) -> Any:
        return self._value[index]

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"<MetricVariable {self.name!r} {self._value!r}>"


def _host_array(value: Any) -> numpy.ndarray:
    return numpy.asarray(backend.to_numpy(data_of(getattr(value, "value", value))))
