"""Pairs of layers that a model runs as one function.

A ``Conv2D`` with ``activation="relu"`` whose output is read by one
``MaxPooling2D`` and by nothing else (no other layer, not a model output)
runs together with that pooling as ``functional.conv2d_relu_max_pool2d``:
the same outputs, and a backward that sums over the pooled maxima only
(``functional/conv_pool.py``: on the benchmark CNN, a quarter of the
multiply-adds of the second convolution's backward, and no patch matrix).
The layers, their weights, the graph and the model's configuration are
unchanged; only how a call computes them differs. The convolution's output
is then never a Tensor of its own, so a model run that records every
layer's activations (``minidl.plot.layer_statistics``) runs the two layers
apart, as does any model with ``fusion.ENABLED = False``.
"""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.layers.conv import Conv2D
from minidl.layers.pooling import MaxPooling2D
from minidl.autodiff.tensor import Tensor

#: Whether models run the pairs above as one function (set False to run every layer on its own).
ENABLED = True


def fused_pairs(nodes: list, outputs: list) -> dict:
    """{id(pooling node): convolution node} for each pair of the graph's ``nodes`` that may run as one.

    ``outputs``: the model's output tensors (a convolution whose output is
    one of them is never fused).
    """
    readers: dict = {}
    for node in nodes:
        for tensor in node.input_tensors:
            readers[id(tensor)] = readers.get(id(tensor), 0) + 1
    for tensor in outputs:
        readers[id(tensor)] = readers.get(id(tensor), 0) + 1
    pairs = {}
    for node in nodes:
        if node.is_input or type(node.layer) is not MaxPooling2D or len(node.input_tensors) != 1:
            continue
        (tensor,) = node.input_tensors
        producer = tensor.node
        if type(producer.layer) is Conv2D and not producer.is_input and readers[id(tensor)] == 1:
            pairs[id(node)] = producer
    return pairs


def runs_fused(convolution: Conv2D) -> bool:
    """Whether a convolution of a fused pair runs with its pooling now (its activation may have been changed)."""
    return ENABLED and convolution.activation is F.relu


def run_pair(convolution: Conv2D, pooling: MaxPooling2D, x: Any) -> Tensor:
    """``pooling(convolution(x))`` as one function: the same checks of ``x`` as calling the convolution."""
    x = convolution.checked_inputs(x)
    return F.conv2d_relu_max_pool2d(x, convolution.kernel, convolution.bias, convolution.strides,
                                    convolution.padding, convolution.dilation_rate, pooling.pool_size,
                                    pooling.strides, pooling.padding)
