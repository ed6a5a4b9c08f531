"""The Layer contract: weights, building from an input shape, calling on Tensors.

A layer is built once it knows the shape of its input (without the batch
axis): ``build`` creates its weights with Keras's shapes and order, and
``compute_output_shape`` says what it returns. Calling a layer on a Tensor
runs ``call(x, training)``; layers never compute gradients themselves: the
differentiable functions they call do. Calling a layer on symbolic tensors
(from ``Input``) computes nothing: it records a node of a model's graph
(see ``minidl.layers.symbolic``). A layer of several inputs (``Add``,
``Concatenate``) takes a list, and its shapes are lists of shapes.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import activations, backend, constraints, initializers, regularizers
from minidl.file_limits import claim_weight
from minidl.layers.symbolic import call_symbolically, is_symbolic, sample_shapes
from minidl.tensor import Tensor


class Layer:
    """Base class of every layer.

    Parameters
    ----------
    name : str, optional
        Unique within a model; a model names unnamed layers after their class
        (``dense``, ``dense_1``, ...).
    input_shape : tuple, optional
        The shape of one sample, for the first layer of a model (as Keras).
    trainable : bool
        Whether ``fit`` updates this layer's weights.
    """

    def __init__(self, name: str | None = None, input_shape: tuple | None = None, trainable: bool = True,
                 dtype: Any = "float32") -> None:
        self.name = name
        self.input_shape = None if input_shape is None else _shape_tuple(input_shape, self)
        self.trainable = trainable
        self.dtype = numpy.dtype(dtype)
        self.built = False
        self.training = False
        self._weights: list[tuple[str, Tensor, bool]] = []  # (name, tensor, trainable)
        self._regularized: list[tuple[Tensor, Any]] = []
        self.inbound_nodes: list = []  # one per call on symbolic tensors, see minidl.layers.symbolic

    # ----------------------------------------------------------------- building
    def build(self, input_shape: tuple) -> None:
        """Create the weights for inputs of ``input_shape`` (one sample, no batch axis)."""
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The shape of one output sample for one input sample of ``input_shape``."""
        return tuple(input_shape)

    def ensure_built(self, input_shape: Any) -> Any:
        """Build on first use (checking the configuration); return the output shape.

        ``input_shape`` is one shape, or a list of shapes for a layer of several inputs.
        """
        input_shape = [tuple(shape) for shape in input_shape] if isinstance(input_shape, list) else tuple(input_shape)
        if not self.built:
            self.build(input_shape)
            self.built_input_shape = input_shape
            self.built = True
        return self.compute_output_shape(input_shape)

    def add_weight(self, name: str, shape: tuple, initializer: Any = "zeros", regularizer: Any = None,
                   trainable: bool = True, constraint: Any = None) -> Tensor:
        claim_weight(f"{self.label}/{name}", shape)  # within a model file's weight budget, before allocating
        values = initializers.get(initializer)(tuple(shape), self.dtype).astype(self.dtype, copy=False)
        values = backend.to_device(values, getattr(self, "_device", None) or backend.default_device())
        weight = Tensor(values, requires_grad=trainable, name=f"{self.label}/{name}")
        weight.constraint = constraints.get(constraint)  # the optimizer applies it after each update
        self._weights.append((name, weight, trainable))
        if regularizer is not None:
            self._regularized.append((weight, regularizer))
        return weight

    # ----------------------------------------------------------------- calling
    def __call__(self, x: Any, training: bool | None = None) -> Any:
        """``call(x, training)`` on Tensors (or arrays); on symbolic tensors, a new node of a graph."""
        symbolic = is_symbolic(x)
        x = self.checked_inputs(x, symbolic)
        if symbolic:
            return call_symbolically(self, x)
        return self.call(x, self.training if training is None else training)

    def checked_inputs(self, x: Any, symbolic: bool = False) -> Any:
        """``x`` as Tensors (unless symbolic), the layer built for it; a clear error for a shape it was not built for."""
        if not symbolic:
            x = [self._as_tensor(item) for item in x] if isinstance(x, (list, tuple)) else self._as_tensor(x)
        shapes = sample_shapes(x)
        self.ensure_built(shapes)
        expected = getattr(self, "built_input_shape", None)
        if expected is not None and not _compatible_shapes(expected, shapes):
            got = [item.shape for item in x] if isinstance(x, list) else x.shape
            raise ValueError(
                f"layer {self.label!r} was built for inputs of shape (batch,) + {expected} but got "
                f"a tensor of shape {got}"
            )
        return x

    def _as_tensor(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim == 0:
            raise ValueError(f"layer {self.label!r}: input needs a batch axis, got a scalar")
        return x

    # ----------------------------------------------------------------- graph (functional models)
    def _first_node(self, what: str) -> Any:
        if not self.inbound_nodes:
            raise AttributeError(f"layer {self.label!r} has no {what}: it has not been called on symbolic tensors "
                                 "(from Input), so it belongs to no graph yet")
        return self.inbound_nodes[0]

    @property
    def input(self) -> Any:
        """The symbolic input(s) of this layer's first call in a graph (Keras's ``layer.input``)."""
        return self._first_node("input").inputs

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's first call in a graph, e.g. for a model of hidden activations."""
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return x

    def train(self, mode: bool = True) -> "Layer":
        self.training = mode
        return self

    def eval(self) -> "Layer":
        return self.train(False)

    # ----------------------------------------------------------------- devices
    def to(self, device: str) -> "Layer":
        """Move the weights (and their gradients) to ``device`` in place; weights built later go there too."""
        self._device = backend.check_device(device)
        for _, weight, _ in self._weights:
            weight.data = backend.to_device(weight.data, self._device)
            if weight.grad is not None:
                weight.grad = backend.to_device(weight.grad, self._device)
        return self

    @property
    def device(self) -> str:
        """Where the weights live (where they will be built, before the layer is built)."""
        if self._weights:
            return self._weights[0][1].device
        return getattr(self, "_device", None) or backend.default_device()

    # ----------------------------------------------------------------- weights
    @property
    def label(self) -> str:
        return self.name or type(self).__name__

    @property
    def weights(self) -> list[Tensor]:
        """All weights in Keras's order (trainable and not, e.g. kernel, bias)."""
        return [w for _, w, _ in self._weights]

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [w for _, w, trainable in self._weights if trainable and self.trainable]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [w for _, w, trainable in self._weights if not (trainable and self.trainable)]

    @property
    def losses(self) -> list[Tensor]:
        """The regularization penalties of this layer's weights (differentiable scalars)."""
        return [regularizer(weight) for weight, regularizer in self._regularized]

    def count_params(self) -> int:
        return int(sum(w.size for w in self.weights))

    def get_weights(self) -> list[numpy.ndarray]:
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, values: list) -> None:
        """Replace every weight's values (same order as get_weights); checks count and shapes first."""
        if len(values) != len(self._weights):
            raise ValueError(f"layer {self.label!r} has {len(self._weights)} weights, got {len(values)} arrays")
        arrays = []
        for (name, weight, _), value in zip(self._weights, values):
            value = numpy.asarray(backend.to_numpy(value))
            if value.shape != weight.shape:
                raise ValueError(
                    f"layer {self.label!r}: weight {name!r} has shape {weight.shape}, got an array of shape {value.shape}"
                )
            arrays.append(value)
        for (_, weight, _), value in zip(self._weights, arrays):
            xp = backend.get_array_module(weight.data)
            weight.data[...] = xp.asarray(value, dtype=weight.dtype)

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        config: dict = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label!r}>"


def _shape_tuple(shape: Any, layer: Any) -> tuple:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(dim is None or (isinstance(dim, (int, numpy.integer)) and dim > 0) for dim in shape):
        raise ValueError(f"layer {type(layer).__name__}: input_shape must hold positive ints, got {shape}")
    return tuple(None if dim is None else int(dim) for dim in shape)


def _compatible(expected: tuple, actual: tuple) -> bool:
    return len(expected) == len(actual) and all(e is None or e == a for e, a in zip(expected, actual))


def _compatible_shapes(expected: Any, actual: Any) -> bool:
    """Shape compatibility for one shape or lists of shapes (None matches any size)."""
    if isinstance(expected, list) or isinstance(actual, list):
        return (isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual)
                and all(_compatible(e, a) for e, a in zip(expected, actual)))
    return _compatible(expected, actual)


def check_positive_int(layer: str, name: str, value: Any) -> int:
    if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")
    return int(value)


class KernelLayer(Layer):
    """A layer with a kernel, an optional bias and an activation (Dense and the convolutions)."""

    def __init__(self, activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build_kernel_and_bias(self, kernel_shape: tuple, units: int) -> None:
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (units,), self.bias_initializer, self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def get_config(self) -> dict:
        return {
            **super().get_config(), "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
