"""Dense, Activation, Flatten, Dropout, Lambda and the Input marker."""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl import activations, regularizers
from minidl import functional as F
from minidl.layers.base import Layer, _shape_tuple, check_positive_int
from minidl.layers.kernel import KernelLayer
from minidl.layers.protocol import traced_output_shape
from minidl.layers.symbolic import Node, SymbolicTensor
from minidl.autodiff.tensor import Tensor


class InputLayer(Layer):
    """The source of a graph: the shape of one input sample; its ``output`` is the symbolic input tensor.

    In a ``Sequential`` it only sets the input shape and is not counted among
    the layers; in a functional ``Model`` it is listed first, as in Keras.
    """

    def __init__(self, shape: Any = None, name: str | None = None, dtype: Any = "float32", *,
                 batch_shape: Any = None, batch_size: int | None = None, sparse: Any = None, **kwargs: Any) -> None:
        shape = _keras_input_shape(shape, batch_shape, kwargs.pop("input_shape", None), sparse, "InputLayer")
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


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = "float32", sparse: Any = None,  # noqa: N802
          batch_shape: Any = None, name: str | None = None) -> SymbolicTensor:
    """``Input(shape=(784,))``: a symbolic batch of samples of ``shape`` (no batch axis), Keras's ``keras.Input``.

    Its ``shape`` is ``(None,) + shape``. Call layers on it and give the
    results to ``Model(inputs, outputs)``, or put it first in a ``Sequential``.
    Keras's ``batch_shape=(None, 784)`` gives the shape with the batch axis;
    ``batch_size`` is accepted and not kept (minidl takes any batch size).
    """
    shape = _keras_input_shape(shape, batch_shape, None, sparse, "Input")
    return InputLayer(_shape_tuple(shape, InputLayer), name=name, dtype=dtype).output


def _keras_input_shape(shape: Any, batch_shape: Any, input_shape: Any, sparse: Any, what: str) -> Any:
    """One sample's shape from Keras's ways of giving it: shape, batch_shape (batch axis first) or input_shape."""
    if sparse:
        raise ValueError(f"{what}: sparse inputs are not supported (minidl's tensors are dense)")
    given = [name for name, value in (("shape", shape), ("batch_shape", batch_shape), ("input_shape", input_shape))
             if value is not None]
    if len(given) != 1:
        raise ValueError(f"{what}: give exactly one of shape= or batch_shape=, got {', '.join(given) or 'neither'}")
    return tuple(batch_shape)[1:] if batch_shape is not None else shape if shape is not None else input_shape


class Dense(KernelLayer):
    """y = activation(x @ kernel + bias), kernel (in, out), bias (out,): Keras's layout.

    Acts on the last axis, so (batch, ..., in) becomes (batch, ..., units).
    """

    supports_masking = True  # passes a mask on unchanged, as Keras's

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

    supports_masking = True  # passes a mask on unchanged, as Keras's

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

    supports_masking = True  # passes a mask on unchanged, as Keras's

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


class Lambda(Layer):
    """y = function(x, **arguments): a function of Tensors used as a layer (Keras's ``Lambda``).

    ``function`` takes the input Tensor (a list for several inputs) and
    returns Tensors, using minidl's differentiable functions (``minidl.ops``
    or ``minidl.functional``). ``output_shape`` (Keras's: a shape without
    the batch axis, or a function of the input shape with it) is optional:
    without it the function is run once on zeros to learn the shape. A
    function is code, and model files never hold code: a model with a Lambda
    is saved with ``save_weights``, not ``save`` (Keras, too, refuses to load
    one unless told the file is safe).
    """

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None, arguments: dict | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: function must be callable, got {function!r}")
        if mask is not None:
            raise ValueError("Lambda: masks are not supported (minidl has no masking)")
        self.function, self.given_output_shape, self.arguments = function, output_shape, dict(arguments or {})
        self._traced_shapes: dict = {}

    def call(self, x: Any, training: bool) -> Any:
        return self.function(x, **self.arguments)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if callable(self.given_output_shape):
            batch_first = [(None,) + tuple(s) for s in input_shape] if isinstance(input_shape, list) else (
                (None,) + tuple(input_shape))
            shape = self.given_output_shape(batch_first)
            return [tuple(s)[1:] for s in shape] if isinstance(shape, list) else tuple(shape)[1:]
        if self.given_output_shape is not None:
            return tuple(self.given_output_shape)
        key = repr(input_shape)
        if key not in self._traced_shapes:
            self._traced_shapes[key] = traced_output_shape(self, input_shape)
        return self._traced_shapes[key]

    def get_config(self) -> dict:
        raise ValueError(f"layer {self.label!r}: a Lambda holds Python code, which minidl's model files never do; "
                         "save the weights (model.save_weights) and rebuild the model in code, or write the "
                         "function as a Layer subclass with get_config")


class Identity(Layer):
    """y = x (Keras's placeholder layer)."""


class UnitNormalization(Layer):
    """y = x / ||x||_2 along ``axis`` (Keras's: x * min(1 / ||x||, 1e12))."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else tuple(axis)

    def call(self, x: Tensor, training: bool) -> Tensor:
        inverse_norm = 1.0 / F.sqrt(F.sum(x * x, axis=self.axis, keepdims=True))
        return x * F.minimum(inverse_norm, 1e12)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis if isinstance(self.axis, int) else list(self.axis)}


class ActivityRegularization(Layer):
    """y = x, adding l1 * sum|x| + l2 * sum x^2 (divided by the batch size, as Keras) to the model's losses."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
