"""The Layer contract: weights, building from an input shape, calling on Tensors.

A layer is built once it knows the shape of its input (without the batch
axis): ``build`` creates its weights with Keras's shapes and order, and
``compute_output_shape`` says what it returns. Calling a layer on a Tensor
runs ``call(x, training)``; layers never compute gradients themselves: the
differentiable functions they call do. Calling a layer on symbolic tensors
(from ``Input``) computes nothing: it records a node of a model's graph
(see ``minidl.layers.symbolic``). A layer of several inputs (``Add``,
``Concatenate``) takes a list, and its shapes are lists of shapes.

A layer written as Keras's guides write one (``call(self, inputs)``,
``add_weight(shape=..., initializer=...)``, sublayers as attributes,
``add_loss``, ``build(input_shape)`` with the batch axis) runs as it does
in Keras: ``minidl.layers.protocol`` says how it is called and built.
Its weights (``add_weight``, ``weights``, ``get_weights``) are ``minidl.layers.weights``'s.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend, config
from minidl import regularizers
from minidl import functional as F
from minidl.layers.protocol import (
    build_in_either_convention,
    call_parameters,
    call_with_keras_arguments,
    gather_positional_tensors,
    init_arguments,
    layer_call,
    output_shape_in_either_convention,
    resolved_training,
    traced_output_shape,
    written_outside_minidl,
)
from minidl.layers.masks import attach_masks, mask_of
from minidl.layers.symbolic import call_symbolically, is_symbolic, sample_shapes
from minidl.layers.weights import LayerWeights
from minidl.autodiff.tensor import Tensor


class Layer(LayerWeights):
    """Base class of every layer.

    Parameters
    ----------
    name : str, optional
        Unique within a model; a model names unnamed layers after their class
        (``dense``, ``dense_1``, ...).
    input_shape : tuple, optional
        The shape of one sample, for the first layer of a model (as Keras);
        ``input_dim=n`` is ``input_shape=(n,)``.
    trainable : bool
        Whether ``fit`` updates this layer's weights (and its sublayers').
    dtype : dtype-like
        Of the weights (``minidl.config.floatx()`` when None: float32 unless ``set_floatx`` changed it, as Keras).
    activity_regularizer : optional
        A penalty on the layer's outputs, added to ``losses`` at every call
        (divided by the batch size, as Keras).

    A layer written the Keras way, with sublayers as attributes
    (``self.dense = Dense(32)``) and ``call(self, inputs)``, runs as in
    Keras: see ``minidl.layers.protocol`` for how it is called and built.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "Layer":
        layer = super().__new__(cls)
        layer._init_arguments = init_arguments(cls, args, kwargs)  # for get_config of classes that define none
        return layer

    def __init__(self, name: str | None = None, input_shape: tuple | None = None, trainable: bool = True,
                 dtype: Any = None, *, activity_regularizer: Any = None, input_dim: int | None = None,
                 batch_input_shape: tuple | None = None, autocast: bool = True, **kwargs: Any) -> None:
        kwargs.pop("batch_size", None)
        if kwargs:
            raise ValueError(f"{type(self).__name__}: unknown keyword arguments {sorted(kwargs)}")
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        if input_shape is None and batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self.name = name
        self.input_shape = None if input_shape is None else _shape_tuple(input_shape, self)
        self.trainable = trainable
        self.dtype = numpy.dtype(config.floatx() if dtype is None else dtype)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.training = False
        self._weights: list[tuple[str, Tensor, bool]] = []  # (name, tensor, trainable)
        self._regularized: list[tuple[Tensor, Any]] = []
        self._added_losses: list[Tensor] = []  # add_loss's, from this layer's latest call
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
        self._build_once(input_shape)
        return self.sample_output_shape(input_shape)

    def _build_once(self, input_shape: Any) -> None:
        if not self.built:
            input_shape = _normalized_shapes(input_shape)
            if written_outside_minidl(type(self).build):
                build_in_either_convention(self, input_shape)
            else:
                self.build(input_shape)
            self.built_input_shape = input_shape
            self.built = True

    def sample_output_shape(self, input_shape: Any) -> Any:
        """The output shape of one sample (a list for several outputs), in whichever convention the layer's
        ``compute_output_shape`` was written (see ``minidl.layers.protocol``)."""
        input_shape = _normalized_shapes(input_shape)
        method = type(self).compute_output_shape
        if method is Layer.compute_output_shape and written_outside_minidl(type(self)):
            return traced_output_shape(self, input_shape)
        if written_outside_minidl(method):
            return output_shape_in_either_convention(self, input_shape)
        return self.compute_output_shape(input_shape)

    # ----------------------------------------------------------------- calling
    def __call__(self, inputs: Any, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """``call(inputs)`` on Tensors (or arrays); on symbolic tensors, a new node of a graph.

        ``training`` (and ``args``/``kwargs``, passed on to ``call``) as
        ``minidl.layers.protocol`` says.
        """
        inputs, args = gather_positional_tensors(self, inputs, args)
        symbolic = is_symbolic(inputs)
        inputs = self.checked_inputs(inputs, symbolic)
        if symbolic:
            return call_symbolically(self, inputs)
        mask = kwargs.get("mask") if kwargs.get("mask") is not None else mask_of(inputs)
        if mask is not None and kwargs.get("mask") is None and "mask" in call_parameters(type(self)):
            kwargs = {**kwargs, "mask": mask}  # Keras gives a call that names ``mask`` its input's mask
        if args or kwargs or "_layer_attributes" in self.__dict__ or written_outside_minidl(type(self).call):
            with layer_call(self, training) as resolved:
                outputs = call_with_keras_arguments(self, inputs, args, kwargs, resolved)
        else:  # one of minidl's own layers, holding no other: call(x, training), no context to open
            outputs = self.call(inputs, resolved_training(self, training))
        if (mask is not None or type(self).compute_mask is not Layer.compute_mask) and self.masks_pass_through():
            attach_masks(outputs, self.compute_mask(inputs, mask))
        if self.activity_regularizer is not None:
            for output in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                penalty = self.activity_regularizer(output)
                self.add_loss(penalty / output.shape[0] if output.ndim > 0 else penalty)
        return outputs

    def checked_inputs(self, x: Any, symbolic: bool = False) -> Any:
        """``x`` as Tensors (unless symbolic), the layer built for it; a clear error for a shape it was not built for."""
        if not symbolic:
            x = [self._as_tensor(item) for item in x] if isinstance(x, (list, tuple)) else self._as_tensor(x)
        spec = self.__dict__.get("input_spec")
        if spec is not None:
            for rule, item in zip(spec if isinstance(spec, (list, tuple)) else [spec],
                                  x if isinstance(x, (list, tuple)) else [x]):
                if rule is not None:
                    rule.check(self.label, tuple(item.shape))
        shapes = sample_shapes(x)
        self._build_once(shapes)
        if not symbolic and not written_outside_minidl(type(self).compute_output_shape):
            self.compute_output_shape(shapes)  # the layer's own checks of the shapes it is given
        expected = getattr(self, "built_input_shape", None)  # a user's call: only its input_spec checks, as Keras's
        if expected is not None and not written_outside_minidl(type(self).call) and not _compatible_shapes(expected,
                                                                                                            shapes):
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

    # ----------------------------------------------------------------- masks (see minidl.layers.masks)
    #: whether the layer passes a mask on to its outputs (Keras's ``supports_masking``); a layer that
    #: defines ``compute_mask`` does whatever this says
    supports_masking = False

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the outputs, given the inputs' (Keras's): by default the input's, unchanged."""
        return mask

    def masks_pass_through(self) -> bool:
        return bool(self.supports_masking) or type(self).compute_mask is not Layer.compute_mask

    # ----------------------------------------------------------------- losses
    def add_loss(self, loss: Any) -> None:
        """Add a penalty (a Tensor; a non-scalar one is summed, as Keras) to this call's ``losses``.

        Called inside ``call``; the next forward pass starts a new list.
        """
        for item in loss if isinstance(loss, (list, tuple)) else [loss]:
            item = item if isinstance(item, Tensor) else Tensor(item, dtype=self.dtype)
            self._added_losses.append(item if item.ndim == 0 else F.sum(item))

    def clear_losses(self) -> None:
        """Forget the losses ``add_loss`` collected, here and in every sublayer (a new forward pass starts)."""
        if self._added_losses:
            self._added_losses = []
        for layer in self._sublayers():
            layer.clear_losses()

    @property
    def losses(self) -> list[Tensor]:
        """Scalar penalties: ``add_loss``'s of the latest forward pass (this layer's, then its sublayers'),
        then the regularization penalties of the trainable weights (Keras's order). ``fit`` adds their sum
        to the loss."""
        layers = [self, *self._flattened_sublayers()]
        added = [loss for layer in layers for loss in layer._added_losses]
        if not any(layer._regularized for layer in layers):
            return added
        trainable = {id(weight) for weight in self.trainable_weights}
        regularized = [(weight, regularizer) for layer in layers
                       for weight, regularizer in layer._regularized if id(weight) in trainable]
        return added + [regularizer(weight) for weight, regularizer in regularized]

    # ----------------------------------------------------------------- sublayers
    def __setattr__(self, name: str, value: Any) -> None:
        """Remember attributes that may hold sublayers (a layer, or a list, tuple or dict), as Keras tracks them."""
        object.__setattr__(self, name, value)
        if isinstance(value, (Layer, list, dict)) or (isinstance(value, tuple) and any(
                isinstance(item, (Layer, list, tuple, dict)) for item in value)):
            if name not in _INTERNAL_ATTRIBUTES:
                self.__dict__.setdefault("_layer_attributes", {})[name] = None

    def _sublayers(self) -> list["Layer"]:
        """The layers held in this layer's attributes (also in lists, tuples and dicts), in assignment order."""
        attributes = self.__dict__
        names = attributes.get("_layer_attributes")
        if not names:
            return []
        found: list = []

        def collect(value: Any, depth: int) -> None:
            if isinstance(value, Layer):
                if value is not self and all(value is not item for item in found):
                    found.append(value)
            elif depth < 3 and isinstance(value, (list, tuple)):
                for item in value:
                    collect(item, depth + 1)
            elif depth < 3 and isinstance(value, dict):
                for item in value.values():
                    collect(item, depth + 1)

        for name in names:
            if name in attributes:
                collect(attributes[name], 0)
        return found

    def _flattened_sublayers(self) -> list["Layer"]:
        """Every layer below this one, each once, depth first."""
        seen, ordered, pending = {id(self)}, [], list(reversed(self._sublayers()))
        while pending:
            layer = pending.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            ordered.append(layer)
            pending.extend(reversed(layer._sublayers()))
        return ordered

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
        for layer in self._sublayers():
            layer.train(mode)
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
        for layer in self._sublayers():
            layer.to(device)
        return self

    @property
    def device(self) -> str:
        """Where the weights live (where they will be built, before the layer is built)."""
        weights = self.weights
        if weights:
            return weights[0].device
        return getattr(self, "_device", None) or backend.default_device()

    # ----------------------------------------------------------------- names
    @property
    def label(self) -> str:
        return self.name or type(self).__name__

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        """The constructor's arguments as JSON-ready data; ``cls.from_config(config)`` makes the layer again.

        A class that defines no ``get_config`` of its own gets the plain
        arguments it was made with added (Keras's automatic config).
        """
        config: dict = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config and getattr(self, "_init_arguments", None):
            config.update({key: value for key, value in self._init_arguments.items() if key not in config})
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label!r}>"


#: attributes of every layer that never hold sublayers
_INTERNAL_ATTRIBUTES = frozenset({"supports_masking", "_weights", "_regularized", "_added_losses", "inbound_nodes", "input_shape",
                                  "input_spec", "built_input_shape", "_init_arguments", "_layer_attributes"})


def _normalized_shapes(shape: Any) -> Any:
    return [tuple(item) for item in shape] if isinstance(shape, list) else tuple(shape)


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
