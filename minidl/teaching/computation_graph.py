"""The computation graph behind a Tensor, as data a picture can be drawn from (micrograd's draw_dot, for minidl).

Every Tensor made by a Function remembers it (``tensor.creator``) and the
Function its inputs; walking back from a result visits the whole
computation. ``ComputationGraph(loss)`` records that walk once: Tensor
nodes (shape, name, optionally values) and Function nodes (the operation),
with edges input -> function -> output. Record it *before* ``backward``:
backward releases what each Function kept, its inputs included. Leaves
(weights, inputs) keep their ``.grad`` after backward, and ``draw`` can
show it.

``to_dot()`` writes Graphviz's DOT language; ``draw(path)`` renders it with
Graphviz's ``dot`` program if it is installed, or else lays the graph out
itself (columns by depth, left to right) and draws it with matplotlib.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import numpy

from minidl.core import backend
from minidl.teaching.figures import pyplot
from minidl.autodiff.tensor import Tensor


@dataclass
class GraphNode:
    key: str
    kind: str  # "tensor" or "function"
    label: str
    tensor: Tensor | None = None
    parents: list = field(default_factory=list)  # keys of the nodes feeding this one


def _describe(array: Any, limit: int = 4) -> str:
    values = numpy.asarray(backend.to_numpy(array)).ravel()
    shown = ", ".join(f"{v:.3g}" for v in values[:limit])
    return f"[{shown}{', ...' if values.size > limit else ''}]"


class ComputationGraph:
    """The Tensors and Functions that computed ``output``, recorded now (see the module docstring)."""

    def __init__(self, output: Tensor) -> None:
        if not isinstance(output, Tensor):
            raise TypeError(f"graph: give a Tensor computed by minidl, got {type(output).__name__}")
        self.output = output
        self.nodes: dict[str, GraphNode] = {}
        stack = [output]
        while stack:
            tensor = stack.pop()
            key = f"t{id(tensor)}"
            if key in self.nodes:
                continue
            self.nodes[key] = GraphNode(key, "tensor", tensor.name or "", tensor)
            function = tensor.creator
            if function is None:
                continue
            if function.released:
                raise ValueError("graph: this Tensor's graph was released by backward(); record the graph first "
                                 "(graph = minidl.plot.graph(loss); loss.backward(); graph.draw(path, "
                                 "gradients=True))")
            function_key = f"f{id(function)}"
            self.nodes[key].parents.append(function_key)
            if function_key not in self.nodes:
                self.nodes[function_key] = GraphNode(function_key, "function", type(function).__name__)
                self.nodes[function_key].parents = [f"t{id(x)}" for x in function.inputs]
                stack.extend(function.inputs)

    @property
    def tensors(self) -> list[GraphNode]:
        return [node for node in self.nodes.values() if node.kind == "tensor"]

    @property
    def functions(self) -> list[GraphNode]:
        return [node for node in self.nodes.values() if node.kind == "function"]

    def edges(self) -> list[tuple[str, str]]:
        return [(parent, node.key) for node in self.nodes.values() for parent in node.parents]

    def text(self, node: GraphNode, values: bool = False, gradients: bool = False) -> str:
        """A node's label: the operation, or a tensor's name, shape (and values, gradient)."""
        if node.kind == "function":
            return node.label
        tensor = node.tensor
        lines = [node.label or ("leaf" if tensor.creator is None else ""), f"shape {tuple(tensor.shape)}"]
        if values:
            lines.append(f"data {_describe(tensor.data)}")
        if gradients and tensor.grad is not None:
            lines.append(f"grad {_describe(tensor.grad)}")
        return "\n".join(line for line in lines if line)

    def depths(self) -> dict[str, int]:
        """Each node's column: the longest path from a leaf to it."""
        depth: dict[str, int] = {}

        def visit(key: str) -> int:
            if key not in depth:
                parents = self.nodes[key].parents
                depth[key] = 0 if not parents else 1 + max(visit(parent) for parent in parents)
            return depth[key]

        for key in self.nodes:
            visit(key)
        return depth

    def to_dot(self, values: bool = False, gradients: bool = False) -> str:
        """The graph in Graphviz's DOT language (tensors as boxes, functions as ellipses)."""
        lines = ["digraph computation {", "  rankdir=LR;"]
        for node in self.nodes.values():
            label = self.text(node, values, gradients).replace('"', "'").replace("\n", "\\n")
            shape = "ellipse" if node.kind == "function" else "box"
            style = ', style=filled, fillcolor="#dde8f6"' if node.kind == "tensor" and node.tensor.creator is None \
                else ""
            lines.append(f'  {node.key} [label="{label}", shape={shape}{style}];')
        lines += [f"  {parent} -> {child};" for parent, child in self.edges()]
        return "\n".join(lines + ["}"])

    def draw(self, path: str, values: bool = False, gradients: bool = False) -> str:
        """Write the picture to ``path`` (.svg or .png): with Graphviz if it is installed, else with matplotlib."""
        extension = os.path.splitext(path)[1].lstrip(".").lower() or "png"
        if extension not in ("png", "svg"):
            raise ValueError(f"graph: draw to a .png or .svg file, got {path!r}")
        dot = shutil.which("dot")
        if dot is not None:
            subprocess.run([dot, f"-T{extension}", "-o", path], input=self.to_dot(values, gradients).encode(),
                           check=True, capture_output=True)
            return path
        return self._draw_with_matplotlib(path, values, gradients)

    def _draw_with_matplotlib(self, path: str, values: bool, gradients: bool) -> str:
        plt = pyplot()
        depth = self.depths()
        columns: dict[int, list[str]] = {}
        for key in self.nodes:
            columns.setdefault(depth[key], []).append(key)
        position = {key: (column, row - (len(keys) - 1) / 2) for column, keys in columns.items()
                    for row, key in enumerate(keys)}
        height = max(len(keys) for keys in columns.values())
        figure, axes = plt.subplots(figsize=(2.2 * (len(columns) + 1), 1.1 * (height + 1)))
        for parent, child in self.edges():
            (x0, y0), (x1, y1) = position[parent], position[child]
            axes.annotate("", xy=(x1 - 0.3, y1), xytext=(x0 + 0.3, y0),
                          arrowprops={"arrowstyle": "->", "color": "0.4", "lw": 1})
        for key, (x, y) in position.items():
            node = self.nodes[key]
            leaf = node.kind == "tensor" and node.tensor.creator is None
            box = {"boxstyle": "round" if node.kind == "function" else "square",
                   "facecolor": "#f6e7c8" if node.kind == "function" else ("#dde8f6" if leaf else "white"),
                   "edgecolor": "0.3"}
            axes.text(x, y, self.text(node, values, gradients), ha="center", va="center", fontsize=7, bbox=box)
        axes.set_xlim(-0.7, len(columns) - 0.3)
        axes.set_ylim(-height / 2 - 0.7, height / 2 + 0.7)
        axes.axis("off")
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
        return path
