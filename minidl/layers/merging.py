"""Layers that merge several tensors into one: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

They are called on a list, ``Add()([a, b])``, or through the lower-case
functions Keras users write, ``add([a, b])``, ``concatenate([a, b])``. The
element-wise ones take tensors of one shape (axes of size 1 broadcast);
Concatenate joins tensors that differ only along ``axis``. None has
weights; the gradient of each is that of its differentiable function
(``functional/math.py``, ``functional/shape.py``): a sum passes gy to every
input, a product gy times the other inputs, a maximum routes gy to the largest.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy

from minidl import functional as F
from minidl.core import backend
from minidl.layers.base import Layer
from minidl.layers.masks import keeps_steps
from minidl.layers.symbolic import MERGE_LAYERS
from minidl.autodiff.tensor import Tensor


class _Merge(Layer):
    """Base of the element-wise merges: a list of at least ``minimum_inputs`` tensors of broadcastable shapes."""

    minimum_inputs, maximum_inputs = 2, None

    def _check_inputs(self, input_shape: Any) -> list:
        kind = type(self).__name__
        if not isinstance(input_shape, list):
            raise ValueError(f"layer {self.label!r}: {kind} merges a list of tensors, e.g. {kind}()([a, b]); "
                             f"got one tensor of shape {input_shape}")
        count = len(input_shape)
        if count < self.minimum_inputs or (self.maximum_inputs is not None and count > self.maximum_inputs):
            wanted = f"exactly {self.maximum_inputs}" if self.maximum_inputs == self.minimum_inputs else \
                f"at least {self.minimum_inputs}"
            raise ValueError(f"layer {self.label!r}: {kind} takes {wanted} tensors, got {count}")
        return input_shape

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_inputs(input_shape)
        if len({len(shape) for shape in shapes}) > 1:
            raise ValueError(f"layer {self.label!r}: {type(self).__name__} needs inputs of one rank, got shapes "
                             f"{', '.join(str((None,) + shape) for shape in shapes)}")
        output = []
        for sizes in zip(*shapes):
            known = {size for size in sizes if size not in (None, 1)}
            if len(known) > 1:
                raise ValueError(f"layer {self.label!r}: {type(self).__name__} needs inputs of the same shape "
                                 f"(or 1 where they broadcast), got shapes "
                                 f"{', '.join(str((None,) + shape) for shape in shapes)}")
            output.append(known.pop() if known else (None if None in sizes else 1))
        return tuple(output)

    def call(self, xs: list, training: bool) -> Tensor:
        return self.merge(xs)

    def merge(self, xs: list) -> Tensor:
        raise NotImplementedError

    supports_masking = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's: the inputs' masks or-ed together, None unless every input has one."""
        if not isinstance(mask, (list, tuple)) or any(item is None for item in mask):
            return None
        return reduce(lambda a, b: a | b, [keeps_steps(item) for item in mask])


class Add(_Merge):
    """y = x_1 + x_2 + ... (a residual connection: ``add([x, block(x)])``)."""

    def merge(self, xs: list) -> Tensor:
        return reduce(F.add, xs)


class Subtract(_Merge):
    """y = x_1 - x_2 (exactly two inputs)."""

    minimum_inputs = maximum_inputs = 2

    def merge(self, xs: list) -> Tensor:
        return F.subtract(xs[0], xs[1])


class Multiply(_Merge):
    """y = x_1 * x_2 * ... element by element (a gate).

    As Keras: a masked entry counts as 1 in the product; when every input
    has a mask, the entries masked in all of them are 0.
    """

    def merge(self, xs: list) -> Tensor:
        masks = [_step_mask(x) for x in xs]
        if all(mask is None for mask in masks):
            return reduce(F.multiply, xs)
        xs = [x if mask is None else F.where(mask, x, 1.0) for x, mask in zip(xs, masks)]
        output = reduce(F.multiply, xs)
        if all(mask is not None for mask in masks):
            output = F.where(reduce(lambda a, b: a | b, masks), output, 0.0)
        return output


class Average(_Merge):
    """y = (x_1 + ... + x_n) / n."""

    def merge(self, xs: list) -> Tensor:
        return reduce(F.add, xs) * (1.0 / len(xs))


def _step_mask(x: Any) -> Any:
    """The mask of ``x`` broadcast to its shape (a (batch, time) mask over the features), or None."""
    mask = getattr(x, "_keras_mask", None)
    if mask is None:
        return None
    mask = backend.get_array_module(x.data).asarray(keeps_steps(mask))
    return backend.get_array_module(x.data).broadcast_to(mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim)),
                                                         x.shape)


def _merge_skipping_masked(operation: Any, xs: list) -> Tensor:
    """Keras's ``_apply_merge_op_and_or_mask``: a masked entry of one input takes the other side's value, so
    a maximum or minimum is taken over the unmasked entries only."""
    output, output_mask = xs[0], _step_mask(xs[0])
    for x in xs[1:]:
        mask = _step_mask(x)
        if mask is not None:
            x = F.where(mask, x, output)
        if output_mask is not None:
            output = F.where(output_mask, output, x)
        output_mask = output_mask | mask if mask is not None and output_mask is not None else None
        output = operation(output, x)
    return output


class Maximum(_Merge):
    """y = max(x_1, x_2, ...) element by element (over the unmasked inputs, as Keras)."""

    def merge(self, xs: list) -> Tensor:
        return _merge_skipping_masked(F.maximum, xs)


class Minimum(_Merge):
    """y = min(x_1, x_2, ...) element by element (over the unmasked inputs, as Keras)."""

    def merge(self, xs: list) -> Tensor:
        return _merge_skipping_masked(F.minimum, xs)


class Concatenate(_Merge):
    """y = the inputs joined along ``axis`` (counted with the batch axis, as Keras; -1: the channels)."""

    minimum_inputs = 1

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int) or axis == 0:
            raise ValueError(f"Concatenate: axis must be a non-zero int (0 is the batch axis), got {axis!r}")
        self.axis = axis

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_inputs(input_shape)
        rank = len(shapes[0])
        if any(len(shape) != rank for shape in shapes) or not -rank - 1 <= self.axis <= rank:
            raise ValueError(f"layer {self.label!r}: Concatenate(axis={self.axis}) needs inputs of one rank with "
                             f"that axis, got shapes {', '.join(str((None,) + shape) for shape in shapes)}")
        along = (self.axis - 1) if self.axis > 0 else (self.axis % (rank + 1)) - 1
        output = []
        for position, sizes in enumerate(zip(*shapes)):
            if position == along:
                output.append(None if None in sizes else sum(sizes))
                continue
            known = {size for size in sizes if size is not None}
            if len(known) > 1:
                raise ValueError(f"layer {self.label!r}: Concatenate(axis={self.axis}) needs shapes that match "
                                 f"except along that axis, got {', '.join(str((None,) + s) for s in shapes)}")
            output.append(known.pop() if known else None)
        return tuple(output)

    def merge(self, xs: list) -> Tensor:
        return F.concatenate(xs, axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's: each input's mask spread over its features (all True where it has none), joined along
        ``axis``, then any over the last axis."""
        if not isinstance(mask, (list, tuple)) or all(item is None for item in mask):
            return None
        spread = []
        for x, item in zip(inputs, mask):
            shape = tuple(x.shape)
            if item is None:
                spread.append(numpy.ones(shape, dtype=bool))
                continue
            item = numpy.asarray(backend.to_numpy(keeps_steps(item)))
            spread.append(numpy.broadcast_to(item.reshape(item.shape + (1,) * (len(shape) - item.ndim)), shape))
        return numpy.concatenate(spread, axis=self.axis).any(axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """y = the dot product of two tensors along ``axes`` (one for both, or one each; counted with the batch axis),
    per sample: Keras's ``batch_dot``. (batch, n, d) . (batch, m, d) with axes=2 gives (batch, n, m); two
    vectors give (batch, 1). ``normalize``: each input first divided by its L2 norm along its axis (the cosine).
    """

    minimum_inputs = maximum_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int) and not (isinstance(axes, (list, tuple)) and len(axes) == 2
                                              and all(isinstance(axis, int) for axis in axes)):
            raise ValueError(f"Dot: axes must be an int or a pair of ints, got {axes!r}")
        self.axes, self.normalize = axes if isinstance(axes, int) else list(axes), bool(normalize)

    def _axes(self, ranks: tuple) -> list:
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        axes = [axis % rank for axis, rank in zip(pair, ranks)]
        if any(axis == 0 for axis in axes):
            raise ValueError(f"layer {self.label!r}: Dot(axes={self.axes}) would contract the batch axis")
        return axes

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_inputs(input_shape)
        axes = self._axes((len(shapes[0]) + 1, len(shapes[1]) + 1))
        sizes = [shape[axis - 1] for shape, axis in zip(shapes, axes)]
        if None not in sizes and sizes[0] != sizes[1]:
            raise ValueError(f"layer {self.label!r}: Dot(axes={self.axes}) needs equal sizes along the axes, got "
                             f"shapes {(None, *shapes[0])} and {(None, *shapes[1])}")
        rest = tuple(size for position, size in enumerate(shapes[0]) if position != axes[0] - 1) + \
            tuple(size for position, size in enumerate(shapes[1]) if position != axes[1] - 1)
        return rest or (1,)

    def merge(self, xs: list) -> Tensor:
        x, y = xs
        axes = self._axes((x.ndim, y.ndim))
        if self.normalize:  # Keras's normalize: x * min(1 / ||x||, 1 / epsilon)
            x, y = (item * F.minimum(1.0 / F.sqrt(F.sum(item * item, axis=axis, keepdims=True)), 1e7)
                    for item, axis in ((x, axes[0]), (y, axes[1])))
        x = F.transpose(x, [a for a in range(x.ndim) if a != axes[0]] + [axes[0]])  # (batch, ..., d)
        y = F.transpose(y, [0, axes[1]] + [a for a in range(1, y.ndim) if a != axes[1]])  # (batch, d, ...)
        out_shape = (x.shape[0],) + (tuple(x.shape[1:-1]) + tuple(y.shape[2:]) or (1,))
        product = F.matmul(F.reshape(x, (x.shape[0], -1, x.shape[-1])), F.reshape(y, (y.shape[0], y.shape[1], -1)))
        return F.reshape(product, out_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None  # Keras's Dot drops masks

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


MERGE_LAYERS.update(Add=Add, Subtract=Subtract, Multiply=Multiply)  # a + b, a - b, a * b on symbolic tensors


def add(inputs: list, **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``: Keras's functional form."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``: Keras's functional form."""
    return Concatenate(axis=axis, **kwargs)(inputs)
