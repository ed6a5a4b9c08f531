"""Dense, Activation, Flatten, Dropout and the Input marker."""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl import activations
from minidl import functional as F
from minidl.layers.base import KernelLayer, Layer, _shape_tuple, check_positive_int
from minidl.layers.symbolic import Node, SymbolicTensor
from minidl.tensor import Tensor


class InputLayer(Layer):
    """The source of a graph: the shape of one input sample; its ``output`` is the symbolic input tensor.

    In a ``Sequential`` it only sets the input shape and is not counted among
    the layers; in a functional ``Model`` it is listed first, as in Keras.
    """

    def __init__(self, shape: Any, name: str | None = None, dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(name=name, input_shape=shape, dtype=dtype, **kwargs)
        self.built = True
        self.inbound_nodes.append(Node(self, None, [(None,) + self.input_shape], self.dtype))

    @property
    def shape(self) -> tuple:
        return self.input_shape

    def get_config(self) -> dict:
        config = {"shape": list(self.input_shape), "name": self.name}
        if self.dtype != numpy.dtype("float32"):
            config["dtype"] = self.dtype.name
        return config


def Input(shape: Any, name: str | None = None, dtype: Any = "float32") -> SymbolicTensor:  # noqa: N802 - Keras's name
    """``Input(shape=(784,))``: a symbolic batch of samples of ``shape`` (no batch axis), Keras's ``keras.Input``.

    Its ``shape`` is ``(None,) + shape``. Call layers on it and give the
    results to ``Model(inputs, outputs)``, or put it first in a ``Sequential``.
    """
    return InputLayer(_shape_tuple(shape, InputLayer), name=name, dtype=dtype).output


class Dense(KernelLayer):
    """y = activation(x @ kernel + bias), kernel (in, out), bias (out,): Keras's layout.

    Acts on the last axis, so (batch, ..., in) becomes (batch, ..., units).
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, **kwargs: Any) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        self.units = check_positive_int(f"Dense({units!r})", "units", units)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"layer {self.label!r}: Dense needs a known last axis, got input shape {input_shape}")
        self.build_kernel_and_bias((input_shape[-1], self.units), self.units)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return self.activation(F.linear(x, self.kernel, self.bias))

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}


class Activation(Layer):
    """y = activation(x), by name ("relu", "softmax", ...) or callable."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return self.activation(x)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...), in row-major (channels-last) order, as Keras."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if any(dim is None for dim in input_shape):
            raise ValueError(f"layer {self.label!r}: Flatten needs a fully known input shape, got {input_shape}")
        return (math.prod(input_shape),)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.reshape(x, (x.shape[0], -1))


class Dropout(Layer):
    """Inverted dropout at ``rate`` in training (``noise_shape``: a mask shape that broadcasts); the identity in inference."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.dropout(x, self.rate, training=training, generator=self._generator, noise_shape=self.noise_shape)

    def get_config(self) -> dict:
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed}
        if self.noise_shape is not None:
            config["noise_shape"] = list(self.noise_shape)
        return config
