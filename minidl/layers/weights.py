"""A layer's weights: made by ``add_weight`` (Keras 3's signature), listed in Keras's order, read and replaced.

``LayerWeights`` is the part of ``minidl.layers.base.Layer`` that owns ``_weights``
((name, Tensor, trainable) in creation order) and ``_regularized`` ((weight, penalty));
``weights`` lists this layer's trainable weights, then its non-trainable ones, then
each sublayer's (``Layer._sublayers``), as Keras does. A weight is a Tensor that
``assign``/``assign_add`` change in place, as Keras's variables.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import constraints, initializers, regularizers
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.core.file_limits import claim_weight


class LayerWeights:
    """add_weight, the weight lists and get/set_weights of every layer (mixed into ``Layer``)."""

    def add_weight(self, *args: Any, shape: Any = None, initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None, constraint: Any = None,
                   aggregation: str = "none", overwrite_with_gradient: bool = False, name: str | None = None) -> Tensor:
        """A new weight of this layer: Keras 3's ``add_weight(shape, initializer, dtype, ...)``.

        Positional arguments are Keras 3's (shape, initializer, dtype), or, when
        the first is a string, minidl's (name, shape, initializer, regularizer,
        trainable, constraint). ``initializer`` defaults to "glorot_uniform"
        (Keras's); ``name`` to "variable", "variable_1", ... ``autocast``,
        ``aggregation`` and ``overwrite_with_gradient`` are accepted and have no
        effect (minidl has one device and no mixed precision).
        """
        given = {"shape": shape, "initializer": initializer, "dtype": dtype, "regularizer": regularizer,
                 "constraint": constraint, "name": name}
        order = (("name", "shape", "initializer", "regularizer", "trainable", "constraint")
                 if args and isinstance(args[0], str) else ("shape", "initializer", "dtype"))
        if len(args) > len(order):
            raise TypeError(f"add_weight takes at most {len(order)} positional arguments ({', '.join(order)}), "
                            f"got {len(args)}")
        for key, value in zip(order, args):
            if key == "trainable":
                trainable = value
            elif given[key] is not None:
                raise TypeError(f"add_weight: {key} was given both by position and by keyword")
            else:
                given[key] = value
        shape = _weight_shape(given["shape"], self)
        dtype = numpy.dtype(self.dtype if given["dtype"] is None else given["dtype"])
        name = given["name"] or _unique_weight_name(self)
        claim_weight(f"{self.label}/{name}", shape)  # within a model file's weight budget, before allocating
        default_initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        initializer = initializers.get(default_initializer if given["initializer"] is None else given["initializer"])
        values = initializer(shape, dtype)
        values = numpy.asarray(backend.to_numpy(values.data if isinstance(values, Tensor) else values), dtype=dtype)
        if values.shape != shape:
            raise ValueError(f"layer {self.label!r}: the initializer of weight {given['name']!r} made an array of "
                             f"shape {values.shape}, not {shape}")
        values = backend.to_device(values, getattr(self, "_device", None) or backend.default_device())
        weight = Tensor(values, requires_grad=trainable, name=f"{self.label}/{name}")
        weight.constraint = constraints.get(given["constraint"])  # the optimizer applies it after each update
        self._weights.append((name, weight, trainable))
        if given["regularizer"] is not None:
            self._regularized.append((weight, regularizers.get(given["regularizer"])))
        return weight

    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None, trainable: bool = True,
                     autocast: bool = True, regularizer: Any = None, constraint: Any = None,
                     name: str | None = None) -> Tensor:
        """Keras's alias of ``add_weight``."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               regularizer=regularizer, constraint=constraint, name=name)

    def _weight_entries(self) -> list[tuple[str, Tensor, bool]]:
        """(name, weight, trainable) of every weight in Keras's order: this layer's trainable ones, its
        non-trainable ones, then each sublayer's; trainable is False for all when the layer is frozen."""
        own = self._weights
        if not all(trainable for _, _, trainable in own):
            own = [entry for entry in own if entry[2]] + [entry for entry in own if not entry[2]]
        entries = list(own) if self.trainable else [(name, weight, False) for name, weight, _ in own]
        sublayers = self._sublayers()
        if not sublayers:
            return entries
        seen = {id(weight) for _, weight, _ in entries}
        for layer in sublayers:
            for name, weight, trainable in layer._weight_entries():
                if id(weight) not in seen:
                    seen.add(id(weight))
                    entries.append((name, weight, trainable and self.trainable))
        return entries

    @property
    def weights(self) -> list[Tensor]:
        """All weights in Keras's order (trainable and not, e.g. kernel, bias; then the sublayers')."""
        return [w for _, w, _ in self._weight_entries()]

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [w for _, w, trainable in self._weight_entries() if trainable]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [w for _, w, trainable in self._weight_entries() if not trainable]

    @property
    def trainable_variables(self) -> list[Tensor]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Tensor]:
        return self.non_trainable_weights

    @property
    def variables(self) -> list[Tensor]:
        return self.weights

    def count_params(self) -> int:
        return int(sum(w.size for w in self.weights))

    def get_weights(self) -> list[numpy.ndarray]:
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, values: list) -> None:
        """Replace every weight's values (same order as get_weights); checks count and shapes first."""
        entries = self._weight_entries()
        values = list(values)
        if len(values) != len(entries):
            raise ValueError(f"layer {self.label!r} has {len(entries)} weights, got {len(values)} arrays")
        arrays = []
        for (name, weight, _), value in zip(entries, values):
            value = numpy.asarray(backend.to_numpy(value))
            if value.shape != weight.shape:
                raise ValueError(
                    f"layer {self.label!r}: weight {name!r} has shape {weight.shape}, got an array of shape {value.shape}"
                )
            arrays.append(value)
        for (_, weight, _), value in zip(entries, arrays):
            xp = backend.get_array_module(weight.data)
            weight.data[...] = xp.asarray(value, dtype=weight.dtype)


def _weight_shape(shape: Any, layer: Any) -> tuple:
    shape = () if shape is None else (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)
    if not all(isinstance(dim, (int, numpy.integer)) and not isinstance(dim, bool) and dim >= 0 for dim in shape):
        raise ValueError(f"layer {layer.label!r}: a weight's shape must hold known sizes (ints >= 0), got {shape}")
    return tuple(int(dim) for dim in shape)


def _unique_weight_name(layer: Any) -> str:
    taken = {name for name, _, _ in layer._weights}
    name, suffix = "variable", 0
    while name in taken:
        suffix += 1
        name = f"variable_{suffix}"
    return name
