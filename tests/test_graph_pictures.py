"""Pictures for lessons: the computation graph behind a tensor, and per-layer statistics of a network."""

import numpy as np
import pytest

import minidl
from minidl import Tensor
from minidl import functional as F
from minidl.exercises import experiments


def test_the_graph_of_an_expression_has_its_tensors_functions_and_edges():
    w = Tensor(np.array([[0.5], [-1.0]]), requires_grad=True, name="w")
    x = Tensor(np.array([[1.0, 2.0]]), name="x")
    loss = F.mean(F.tanh(x @ w) * 3.0)
    graph = minidl.teaching.plot.graph(loss)
    assert sorted(node.label for node in graph.functions) == ["MatMul", "Mean", "Multiply", "Tanh"]
    leaves = {node.label for node in graph.tensors if node.tensor.creator is None}
    assert {"w", "x"} <= leaves  # and the constant 3.0
    assert len(graph.edges()) == 6 + 4  # inputs read (MatMul and Multiply two each, Tanh and Mean one) + outputs
    assert graph.depths()[f"t{id(loss)}"] == max(graph.depths().values())
    dot = graph.to_dot(values=True)
    assert dot.startswith("digraph") and 'label="MatMul"' in dot and "shape (2, 1)" in dot


def test_a_graph_drawn_after_backward_shows_the_leaves_gradients(tmp_path):
    w = Tensor(np.array([2.0, -1.0]), requires_grad=True, name="w")
    loss = F.sum(w * w)
    graph = minidl.teaching.plot.graph(loss)
    loss.backward()
    node = next(node for node in graph.tensors if node.label == "w")
    assert "grad [4, -2]" in graph.text(node, gradients=True)
    path = graph.draw(str(tmp_path / "graph.png"), values=True, gradients=True)
    assert open(path, "rb").read(4) == b"\x89PNG"
    with pytest.raises(ValueError, match="released by backward"):
        minidl.teaching.plot.graph(loss)
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        graph.draw(str(tmp_path / "graph.pdf"))


def test_layer_statistics_show_vanishing_gradients_in_a_deep_sigmoid_network(tmp_path):
    minidl.core.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 10)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    model = experiments.deep_network("sigmoid", depth=8)
    statistics = minidl.teaching.plot.layer_statistics(model, x, y, path=str(tmp_path / "layers.png"))
    names = [layer.name for layer in model.layers]
    assert list(statistics) == names
    first, last = statistics[names[0]], statistics[names[-1]]
    assert first["gradients"]["std"] < 1e-2 * last["gradients"]["std"]
    assert 0 < first["activations"]["min"] and first["activations"]["max"] < 1  # sigmoid outputs
    assert (tmp_path / "layers.png").read_bytes()[:4] == b"\x89PNG"
    relu = minidl.Sequential([minidl.Input((10,)), minidl.layers.Dense(64, activation="relu",
                                                                        bias_initializer="constant")])
    relu.layers[0].bias.data[:] = -5.0  # every unit dead
    assert minidl.teaching.plot.layer_statistics(relu, x)[relu.layers[0].name]["activations"]["zeros"] == 1.0
