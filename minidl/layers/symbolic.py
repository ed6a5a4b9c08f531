"""Symbolic tensors and nodes: how calling layers on ``Input``s records a graph (Keras's functional API).

``Input(shape)`` returns a ``SymbolicTensor``: a shape and a dtype, no data.
Calling a layer on symbolic tensors computes nothing; it builds the layer
for their shapes and records a ``Node``::

    node.layer     the layer that was called
    node.inputs    the symbolic tensors it was called on (one, or a list)
    node.outputs   the symbolic tensors it returned
    node.kwargs    keyword arguments of the call, replayed with it (symbolic tensors among them are inputs too:
                   ``mha(x, x, attention_mask=mask)``)

and every symbolic tensor remembers the node that made it. Walking back
from the outputs through ``tensor.node.inputs`` recovers the whole
computation, which ``minidl.models.Model(inputs, outputs)`` then runs on
real Tensors, in the order of a topological sort.

A layer called several times (a shared layer) has one node per call, in
``layer.inbound_nodes``; ``layer.input`` and ``layer.output`` are those of
its first call, as in Keras.
"""

from __future__ import annotations

from typing import Any

import numpy


#: the merge layers by name, which ``minidl.layers.merging`` registers (it is built on this module)
MERGE_LAYERS: dict = {}


class SymbolicTensor:
    """A placeholder for a batch of data: ``shape`` (batch axis first, None) and ``dtype``, no values.

    ``node`` is the call that produced it and ``index`` which of that call's
    outputs it is; ``name`` is the producing layer's name (with the index
    for a layer of several outputs).
    """

    def __init__(self, shape: tuple, dtype: Any, node: "Node", index: int = 0) -> None:
        self.shape = tuple(shape)
        self.dtype = numpy.dtype(dtype)
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self) -> Any:
        return self.node.layer

    @property
    def name(self) -> str:
        return self.node.layer.name if self.index == 0 else f"{self.node.layer.name}_{self.index}"

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype.name} from {self.node.layer!r}>"

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self!r} is symbolic (made by Input and layers, for Model(inputs, outputs)); it holds no values. "
            "Call the layers on arrays or Tensors to compute, or build a Model and call model.predict"
        )

    def __bool__(self) -> bool:
        raise TypeError(f"{self!r} is symbolic: it has no truth value")

    def _merged(self, other: Any, kind: str, reverse: bool = False) -> Any:
        """``self + other`` (``-``, ``*``) of two symbolic tensors: a node of the merge layer (Keras records an
        operation node; its files name the same class, Add, Subtract or Multiply)."""
        if not isinstance(other, SymbolicTensor) or kind not in MERGE_LAYERS:
            return NotImplemented
        pair = [other, self] if reverse else [self, other]
        return MERGE_LAYERS[kind]()(pair)

    def __add__(self, other: Any) -> Any:
        return self._merged(other, "Add")

    def __radd__(self, other: Any) -> Any:
        return self._merged(other, "Add", reverse=True)

    def __sub__(self, other: Any) -> Any:
        return self._merged(other, "Subtract")

    def __rsub__(self, other: Any) -> Any:
        return self._merged(other, "Subtract", reverse=True)

    def __mul__(self, other: Any) -> Any:
        return self._merged(other, "Multiply")

    def __rmul__(self, other: Any) -> Any:
        return self._merged(other, "Multiply", reverse=True)


class Node:
    """One call of ``layer`` on symbolic ``inputs`` (a tensor or a list of tensors); see the module docstring."""

    def __init__(self, layer: Any, inputs: Any, output_shapes: list, dtype: Any, kwargs: dict | None = None) -> None:
        self.layer = layer
        self.inputs = inputs
        self.kwargs = kwargs or {}
        self.outputs = [SymbolicTensor(shape, dtype, self, index) for index, shape in enumerate(output_shapes)]

    @property
    def input_tensors(self) -> list:
        """The symbolic inputs as a flat list (empty for an Input's node), those given by keyword last."""
        return flatten(self.inputs) + [value for value in flatten(self.kwargs) if isinstance(value, SymbolicTensor)]

    @property
    def parents(self) -> list:
        """The nodes that made this node's inputs."""
        return [tensor.node for tensor in self.input_tensors]

    @property
    def is_input(self) -> bool:
        return self.inputs is None

    def __repr__(self) -> str:
        return f"<Node {self.layer!r} #{self.layer.inbound_nodes.index(self)}>"


def flatten(structure: Any) -> list:
    """The leaves of nested lists, tuples and dicts (dicts in key order as given), in order."""
    if structure is None:
        return []
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def is_symbolic(structure: Any) -> bool:
    """Whether ``structure`` (a tensor or nested lists of them) holds a symbolic tensor."""
    leaves = flatten(structure)
    symbolic = [isinstance(leaf, SymbolicTensor) for leaf in leaves]
    if any(symbolic) and not all(symbolic):
        raise TypeError("a layer was called on a mix of symbolic tensors (from Input) and data; "
                        "call it on symbolic tensors only, to build a model, or on data only, to compute")
    return any(symbolic)


def sample_shapes(inputs: Any) -> Any:
    """The shapes without the batch axis, in the structure of ``inputs`` (a tuple or a list of tuples)."""
    if isinstance(inputs, (list, tuple)):
        return [tuple(tensor.shape[1:]) for tensor in inputs]
    return tuple(inputs.shape[1:])


def call_symbolically(layer: Any, inputs: Any, kwargs: dict | None = None, output_shape: Any = None) -> Any:
    """Record ``layer(inputs, **kwargs)`` on symbolic inputs (the layer is built): make a Node, return its
    output(s); ``output_shape`` (one sample's, a list for several outputs) when the layer computed it."""
    inputs = list(inputs) if isinstance(inputs, tuple) else inputs
    if output_shape is None:
        output_shape = layer.sample_output_shape(sample_shapes(inputs))
    several = isinstance(output_shape, list)
    shapes = [(None,) + tuple(shape) for shape in (output_shape if several else [output_shape])]
    node = Node(layer, inputs, shapes, layer.dtype, kwargs)
    layer.inbound_nodes.append(node)
    return list(node.outputs) if several else node.outputs[0]


def remove_nodes(nodes: list) -> None:
    """Forget ``nodes`` (calls recorded by a model that rebuilds its graph) in their layers' histories."""
    for node in nodes:
        if node in node.layer.inbound_nodes:
            node.layer.inbound_nodes.remove(node)
