"""``model.summary()``: Keras's table of layers, output shapes, parameter counts, and, for graphs, their inputs.

A graph model lists each layer with the outputs of its calls in the model
and the tensors they read (``layer[call][output]``, Keras's notation); a
Sequential and a subclassed model give their own rows (``_summary_rows``).
"""

from __future__ import annotations

from typing import Any


def graph_rows(model: Any) -> tuple[tuple, list]:
    """(header, rows) for a graph model, one row per layer in Keras's order."""
    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    in_model = {id(node) for node in model._graph_nodes}
    rows = []
    for layer in model._layers:
        nodes = [node for node in layer.inbound_nodes if id(node) in in_model]
        shapes = [str(t.shape) for node in nodes for t in node.outputs]
        sources = [f"{t.node.layer.name}[{_node_index(t.node)}][{t.index}]"
                   for node in nodes for t in node.input_tensors]
        rows.append((f"{layer.name} ({type(layer).__name__})", ", ".join(dict.fromkeys(shapes)),
                     f"{layer.count_params():,}", ", ".join(sources) or "-"))
    return header, rows


def print_table(model: Any, print_fn: Any = print) -> str:
    """Give the table of ``model._summary_rows()`` and the parameter counts to ``print_fn``; return it."""
    header, rows = model._summary_rows()
    widths = [max(len(row[i]) for row in rows + [header]) + 2 for i in range(len(header))]
    rule = "-" * sum(widths)

    def line(row: tuple) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2])]
        if len(row) > 3:
            cells.append("  " + row[3].ljust(widths[3] - 2))
        return "".join(cells).rstrip()

    trainable = sum(w.size for w in model.trainable_weights)
    total = model.count_params()
    text = "\n".join([
        f'Model: "{model.name}"', rule, line(header), "=" * sum(widths), *map(line, rows), "=" * sum(widths),
        f"Total params: {total:,}", f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}", rule,
    ])
    print_fn(text)
    return text


def _node_index(node: Any) -> int:
    return node.layer.inbound_nodes.index(node) if node in node.layer.inbound_nodes else 0
