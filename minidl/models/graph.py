"""The graph of a functional model: which calls, in which order, from the inputs to the outputs.

``map_graph(inputs, outputs)`` walks back from the outputs through the
nodes recorded by calling layers on symbolic tensors (see
``minidl.layers.symbolic``) and returns the nodes to run and the layers,
both in Keras's order, so that weights come out as Keras lists them:

- the *depth* of a node is the longest path from it to an output (an
  output's node has depth 0, its parents depth 1, ...);
- nodes run by decreasing depth: every node runs after the nodes it reads;
- layers are listed by decreasing depth (a shared layer at its greatest),
  ties broken by the order in which the walk from the outputs first met them.

``run_graph`` then computes the outputs from real Tensors, node by node;
``replay_calls`` rebuilds a graph from a config's recorded calls. Names:
``unique_name`` gives a model's unnamed layers ``dense``, ``dense_1``, ...
(unique within the model), ``new_model_name`` gives unnamed models
``functional``, ``functional_1``, ``sequential``, ... (unique in the
process, Keras's one piece of global naming state that minidl keeps).
"""

from __future__ import annotations

from typing import Any

from minidl.layers.core import InputLayer
from minidl.layers.symbolic import Node, SymbolicTensor, flatten
from minidl.models import fusion
from minidl.core.registry import snake_case


class GraphError(ValueError):
    """Inputs and outputs that do not make a model (disconnected, or not symbolic)."""


def _walk(inputs: list, outputs: list) -> tuple[list, dict]:
    """(nodes from the inputs to the outputs, layer -> order of first visit), by a depth-first walk."""
    given = {id(tensor) for tensor in inputs}
    finished: set = set()
    ordered: list[Node] = []
    first_seen: dict = {}

    def visit(tensor: SymbolicTensor) -> None:
        node = tensor.node
        if id(node) in finished:
            return
        if id(tensor) in given and not node.is_input:  # an intermediate tensor given as an input: the graph starts here
            finished.add(id(node))
            return
        first_seen.setdefault(node.layer, len(first_seen))
        for parent_tensor in node.input_tensors:
            visit(parent_tensor)
        finished.add(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)
    return ordered, first_seen


def map_graph(inputs: list, outputs: list) -> tuple[list, list]:
    """(nodes in running order, layers in Keras's order) of the model from ``inputs`` to ``outputs``.

    Raises GraphError, naming the tensor and the layer, when an output needs
    a tensor that cannot be computed from ``inputs``.
    """
    for role, tensors in (("input", inputs), ("output", outputs)):
        for tensor in tensors:
            if not isinstance(tensor, SymbolicTensor):
                raise GraphError(f"Model {role}s must be symbolic tensors (from Input and calls of layers on them), "
                                 f"got {type(tensor).__name__}")
    ordered, first_seen = _walk(inputs, outputs)
    in_graph = {id(node) for node in ordered}
    node_depth: dict = {}
    layer_depth: dict = {}
    for node in reversed(ordered):
        depth = max(node_depth.get(id(node), 0), layer_depth.get(node.layer, 0))
        node_depth[id(node)] = depth
        layer_depth[node.layer] = depth
        for parent in node.parents:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:  # an input no output uses still belongs to the model (Keras keeps it)
        if tensor.node.is_input and tensor.node.layer not in layer_depth:
            layer_depth[tensor.node.layer] = 0
            first_seen[tensor.node.layer] = -1
    nodes = sorted(ordered, key=lambda node: -node_depth[id(node)])  # stable: ties keep the walk's order
    layers = sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))
    _check_computable(inputs, nodes)
    return nodes, layers


def _check_computable(inputs: list, nodes: list) -> None:
    available = {id(tensor) for tensor in inputs}
    for node in nodes:
        if node.is_input and not any(id(tensor) in available for tensor in node.outputs):
            raise GraphError(f"graph disconnected: the outputs need the input {node.outputs[0].name!r} "
                             f"(shape {node.outputs[0].shape}), which is not among the model's inputs")
        for tensor in node.input_tensors:
            if id(tensor) not in available:
                raise GraphError(f"graph disconnected: layer {node.layer.label!r} reads {tensor!r}, which cannot be "
                                 "computed from the model's inputs")
        available.update(id(tensor) for tensor in node.outputs)


def map_structure(structure: Any, function: Any) -> Any:
    """``structure`` with every leaf replaced by ``function(leaf)`` (lists, tuples and dicts kept)."""
    if isinstance(structure, dict):
        return {key: map_structure(value, function) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [map_structure(item, function) for item in structure]
    return function(structure)


def run_graph(inputs: list, outputs: list, nodes: list, values: list, training: bool | None,
              record: dict | None = None, fused: dict | None = None) -> list:
    """The outputs' values: ``values`` (one Tensor per input) pushed through ``nodes`` in order.

    ``record``, if given, receives every call's output by layer name (a
    shared layer's later calls as "name:1", "name:2", ...): the activations
    ``minidl.plot.layer_statistics`` draws. ``fused``: the pairs of nodes
    that run as one function (``fusion.fused_pairs``), unless ``record`` is given.
    """
    known = {id(tensor): value for tensor, value in zip(inputs, values)}
    calls: dict = {}  # layer name -> calls recorded so far
    together = {} if record is not None or not fused else {
        id(members[-1]): (group, members) for group in fused.values()
        if (members := fusion.running_together(group, training))}
    deferred = {id(member) for _, members in together.values() for member in members[:-1]}  # run by the last
    for node in nodes:
        if node.is_input or id(node) in deferred:
            continue
        if id(node) in together:
            group, members = together[id(node)]
            (source,) = members[0].input_tensors
            result = fusion.run_together(group, members, known[id(source)])
        else:
            kwargs = {name: known[id(value)] if isinstance(value, SymbolicTensor) else value
                      for name, value in node.kwargs.items()}
            result = node.layer(map_structure(node.inputs, lambda tensor: known[id(tensor)]), training=training,
                                **kwargs)
        for tensor, value in zip(node.outputs, flatten(result) if isinstance(result, list) else [result]):
            known[id(tensor)] = value
        if record is not None:
            count = calls[node.layer.name] = calls.get(node.layer.name, -1) + 1
            record[node.layer.name if count == 0 else f"{node.layer.name}:{count}"] = result
    return [known[id(tensor)] for tensor in outputs]


def replay_calls(created: dict, calls: list, inputs: Any, outputs: Any) -> tuple:
    """(inputs, outputs) of a graph rebuilt from layers by name and their recorded calls, each replayed as soon
    as its inputs exist.

    ``calls``: (layer name, call index, {"args": [[layer, call, output], ...],
    "list": bool, "kwargs": {name: value or {"tensor": [layer, call, output]}}}); ``inputs``/``outputs``: lists (or dicts by name) of
    [layer, call, output]. A shared layer's calls replay in their order, so
    call indices keep their meaning.
    """
    produced: dict[tuple, list] = {}  # (layer name, call index) -> output tensors
    for layer_name, layer in created.items():
        if isinstance(layer, InputLayer):
            produced[(layer_name, 0)] = [layer.output]

    def lookup(reference: list) -> Any:
        outputs_of_call = produced.get((reference[0], reference[1]))
        return None if outputs_of_call is None else outputs_of_call[reference[2]]

    pending = list(calls)
    while pending:
        progressed = False
        for item in list(pending):
            layer_name, index, call = item
            if index > 0 and (layer_name, index - 1) not in produced:
                continue
            tensors = [lookup(reference) for reference in call["args"]]
            kwargs = {name: lookup(value["tensor"]) if isinstance(value, dict) and "tensor" in value else value
                      for name, value in (call.get("kwargs") or {}).items()}
            if any(tensor is None for tensor in tensors + list(kwargs.values())):
                continue
            if layer_name not in created:
                raise ValueError(f"the graph calls a layer {layer_name!r} that it does not define")
            result = created[layer_name](tensors if call.get("list") else tensors[0], **kwargs)
            produced[(layer_name, index)] = flatten(result) if isinstance(result, list) else [result]
            pending.remove(item)
            progressed = True
        if not progressed:
            waiting = ", ".join(sorted({layer_name for layer_name, _, _ in pending}))
            raise ValueError(f"the graph cannot be rebuilt: layers {waiting} wait for inputs that no layer makes")

    def tensors_of(references: Any) -> Any:
        if isinstance(references, dict):
            return {key: lookup(value) for key, value in references.items()}
        return [lookup(reference) for reference in references]

    return tensors_of(inputs), tensors_of(outputs)


#: how many unnamed models of each kind were made ("functional": 2 means functional, functional_1 exist), as Keras
_MODEL_NAME_COUNTS: dict = {}


def new_model_name(cls: type, model_class: type) -> str:
    """"functional", "functional_1", ... for Model; "sequential", ... for Sequential; unique in the process."""
    base = "functional" if cls is model_class else snake_case(cls.__name__)
    count = _MODEL_NAME_COUNTS.get(base, 0)
    _MODEL_NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def unique_name(base: str, taken: set) -> str:
    """``base``, or ``base_1``, ``base_2``, ... whichever is free first (Keras's naming)."""
    name, suffix = base, 0
    while name in taken:
        suffix += 1
        name = f"{base}_{suffix}"
    return name
