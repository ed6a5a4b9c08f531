"""``plot_model``: a picture of a model's layers and the tensors between them, as ``keras.utils.plot_model``.

Each layer is a box ("name (Class)", with ``show_shapes`` its input and
output shapes, with the batch axis None as Keras prints them); each
call of a layer on another's output is an arrow. The picture is drawn by
Graphviz's ``dot`` where it is installed, else laid out here (one row per
depth, top to bottom) and drawn with matplotlib, as ``minidl.plot.graph``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from minidl.teaching.figures import pyplot


def _shape_text(shapes: list) -> str:
    texts = [str(tuple(shape)).replace(",)", ")") for shape in shapes]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def layer_graph(model: Any, show_shapes: bool = False, show_layer_names: bool = True, show_dtype: bool = False,
                show_layer_activations: bool = False, show_trainable: bool = False) -> tuple[dict, list]:
    """({layer name: label}, [(from layer, to layer)]): the boxes and arrows of ``plot_model``."""
    model._require_built("plot_model")
    config = model.get_config()
    outputs: dict = {}
    for node in model._graph_nodes:
        outputs.setdefault(node.layer.name, [list(tensor.shape) for tensor in node.outputs])
    by_name = {layer.name: layer for layer in model.layers}
    labels, edges = {}, []
    entries = config["layers"] if "inbound_nodes" in (config["layers"] or [{}])[0] else None
    if entries is None:  # a Sequential's config lists layers only: a chain
        names = [node.layer.name for node in model._graph_nodes]
        edges = list(zip(names[:-1], names[1:]))
        entries = [{"name": name, "inbound_nodes": []} for name in names]
    for entry in entries:
        name = entry["name"]
        sources = [reference[0] for call in entry.get("inbound_nodes", []) for reference in call["args"]]
        edges.extend((source, name) for source in sources)
        layer = by_name.get(name)
        class_name = type(layer).__name__ if layer is not None else entry.get("class_name", "")
        lines = [f"{name} ({class_name})" if show_layer_names else class_name]
        if show_shapes:
            inputs = [outputs[source][0] for source in sources if source in outputs]
            if inputs:
                lines.append(f"input: {_shape_text(inputs)}")
            lines.append(f"output: {_shape_text(outputs.get(name, []))}")
        if show_dtype and layer is not None:
            lines.append(f"dtype: {getattr(layer.dtype, 'name', layer.dtype)}")
        activation = getattr(layer, "activation", None)
        if show_layer_activations and activation is not None:
            lines.append(f"activation: {getattr(activation, '__name__', activation)}")
        if show_trainable and layer is not None:
            lines.append(f"trainable: {layer.trainable}")
        labels[name] = "\n".join(lines)
    return labels, edges


def to_dot(labels: dict, edges: list, rankdir: str = "TB") -> str:
    """The boxes and arrows in Graphviz's DOT language."""
    lines = ["digraph model {", f"  rankdir={rankdir};", "  node [shape=box, style=rounded];"]
    keys = {name: f"n{i}" for i, name in enumerate(labels)}
    for name, label in labels.items():
        lines.append(f'  {keys[name]} [label="{label.replace(chr(34), chr(39))}"];'.replace("\n", "\\n"))
    lines += [f"  {keys[a]} -> {keys[b]};" for a, b in edges if a in keys and b in keys]
    return "\n".join(lines + ["}"])


def _draw_with_matplotlib(labels: dict, edges: list, path: str, dpi: int) -> None:
    depth: dict = {}
    parents = {name: [a for a, b in edges if b == name] for name in labels}

    def level(name: str) -> int:
        if name not in depth:
            depth[name] = 0
            depth[name] = 1 + max((level(p) for p in parents[name] if p in labels), default=-1)
        return depth[name]

    rows: dict = {}
    for name in labels:
        rows.setdefault(level(name), []).append(name)
    position = {name: (column - (len(names) - 1) / 2, -row) for row, names in rows.items()
                for column, name in enumerate(names)}
    width = max(len(names) for names in rows.values())
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(3.2 * width + 1, 1.3 * len(rows) + 0.5))
    for a, b in edges:
        if a in position and b in position:
            (x0, y0), (x1, y1) = position[a], position[b]
            axes.annotate("", xy=(x1, y1 + 0.25), xytext=(x0, y0 - 0.25),
                          arrowprops={"arrowstyle": "->", "color": "0.4", "lw": 1})
    for name, (x, y) in position.items():
        axes.text(x, y, labels[name], ha="center", va="center", fontsize=8,
                  bbox={"boxstyle": "round", "facecolor": "#eef3fa", "edgecolor": "0.3"})
    axes.set_xlim(-width / 2 - 0.3, width / 2 + 0.3)
    axes.set_ylim(-len(rows) + 0.4, 0.6)
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=min(int(dpi), 150))
    plt.close(figure)


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = False, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False, **kwargs: Any) -> str:
    """Draw ``model``'s layer graph to ``to_file`` (.png, .svg or .pdf; .dot writes the DOT text); returns the path.

    Keras's arguments and defaults; ``expand_nested`` draws a nested model
    as one box (minidl does not expand it).
    """
    path = os.fspath(to_file)
    extension = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    if extension not in ("png", "svg", "pdf", "dot"):
        raise ValueError(f"plot_model: to_file must end in .png, .svg, .pdf or .dot, got {path!r}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir is 'TB' (top to bottom) or 'LR' (left to right), got {rankdir!r}")
    labels, edges = layer_graph(model, show_shapes, show_layer_names, show_dtype, show_layer_activations,
                                show_trainable)
    dot_text = to_dot(labels, edges, rankdir)
    if extension == "dot":
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dot_text)
        return path
    dot = shutil.which("dot")
    if dot is not None:
        subprocess.run([dot, f"-T{extension}", f"-Gdpi={int(dpi)}", "-o", path], input=dot_text.encode(),
                       check=True, capture_output=True)
    else:
        _draw_with_matplotlib(labels, edges, path, dpi)
    return path
