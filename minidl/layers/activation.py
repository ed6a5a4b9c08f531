"""Activations as layers, Keras's names and defaults: ReLU, LeakyReLU, PReLU, ELU, Softmax.

=========  ==================================================================
layer      y (element-wise unless said)
=========  ==================================================================
ReLU       min(x, max_value) for x > threshold, else negative_slope (x - threshold)
LeakyReLU  x for x > 0, else negative_slope x (negative_slope 0.3, Keras 3's default)
PReLU      x for x > 0, else alpha x, alpha a trained weight (one per element of a
           sample, shared along ``shared_axes``)
ELU        x for x > 0, else alpha (e^x - 1)
Softmax    e^x / sum e^x along ``axis`` (an int, or several axes at once)
=========  ==================================================================

Each is a short composition of the differentiable functions of
``minidl.functional``, so its gradient comes from theirs; ReLU with options
follows Keras's own formula (``keras.activations.relu``): with a
threshold t the negative side is ``-negative_slope * relu(t - x)``.
"""

from __future__ import annotations

from typing import Any

from minidl import constraints, initializers, regularizers
from minidl import functional as F
from minidl.layers.base import Layer
from minidl.autodiff.tensor import Tensor


def _non_negative(layer: str, name: str, value: Any, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{layer}: {name} must be a number >= 0, got {value!r}")
    return float(value)


class ReLU(Layer):
    """Rectified linear unit with Keras's options: ``max_value`` caps it, ``threshold`` moves its knee,
    ``negative_slope`` leaks below the knee."""

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, x: Tensor, training: bool) -> Tensor:
        slope, max_value, threshold = self.negative_slope, self.max_value, self.threshold
        if slope != 0 and max_value is None and threshold == 0:
            return F.leaky_relu(x, slope)
        y = F.where(x.data > threshold, x, 0.0) if threshold != 0 else F.relu(x)
        if max_value is not None:
            y = F.clip(y, 0.0, max_value)
        if slope != 0:
            y = y - slope * F.relu(threshold - x)
        return y

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """y = x for x > 0, negative_slope x otherwise (Keras 3's default slope 0.3; ``alpha=`` is Keras 2's name)."""

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """y = relu(x) - alpha relu(-x), alpha trained (Keras's weight "alpha", zeros at first).

    alpha has the shape of one sample, with size 1 along ``shared_axes``
    (axes counted as Keras does, 1 being the first axis after the batch):
    ``PReLU(shared_axes=[1, 2])`` after a Conv2D learns one slope per channel.
    """

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        if shared_axes is not None and not all(isinstance(axis, int) and axis >= 1 for axis in shared_axes):
            raise ValueError(f"PReLU: shared_axes must be axes >= 1 (0 is the batch axis), got {shared_axes!r}")
        self.shared_axes = None if shared_axes is None else list(shared_axes)

    def build(self, input_shape: tuple) -> None:
        alpha_shape = list(input_shape)
        for axis in self.shared_axes or []:
            if axis > len(alpha_shape):
                raise ValueError(f"layer {self.label!r}: shared axis {axis} is beyond inputs of shape "
                                 f"(batch,) + {tuple(input_shape)}")
            alpha_shape[axis - 1] = 1
        if any(dim is None for dim in alpha_shape):
            raise ValueError(f"layer {self.label!r}: PReLU needs known sizes on its unshared axes, got input shape "
                             f"{tuple(input_shape)}; share the variable axes (shared_axes=)")
        self.alpha = self.add_weight(shape=tuple(alpha_shape), initializer=self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.relu(x) - self.alpha * F.relu(-x)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint), "shared_axes": self.shared_axes}


class ELU(Layer):
    """y = x for x > 0, alpha (e^x - 1) otherwise (alpha 1.0, Keras's default)."""

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise ValueError(f"ELU: alpha must be a number, got {alpha!r}")
        self.alpha = float(alpha)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.elu(x, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """y = e^x / sum(e^x) along ``axis`` (-1 by default; a list of axes normalises over them together)."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or not all(isinstance(item, int) and not isinstance(item, bool) for item in axes):
            raise ValueError(f"Softmax: axis must be an int or a list of ints, got {axis!r}")
        self.axis = axis if isinstance(axis, int) else list(axis)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if isinstance(self.axis, int) or len(self.axis) == 1:
            return F.softmax(x, self.axis if isinstance(self.axis, int) else self.axis[0])
        axes = tuple(self.axis)
        shifted = x - Tensor(x.data.max(axis=axes, keepdims=True))  # a constant shift: e^x / sum e^x is unchanged
        exponentials = F.exp(shifted)
        return exponentials / F.sum(exponentials, axis=axes, keepdims=True)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
