"""Groups of layers that a model runs as one function.

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

A ``Conv1D``/``Conv2D``/``Dense`` without activation whose output is read by one
``BatchNormalization`` alone, optionally followed in the same way by a plain
ReLU (a ``ReLU()`` layer with its defaults, or ``Activation("relu")``),
runs at inference as one convolution: the normalisation folded into its
weights (``functional.norm.folded_into_convolution``: W' = W s,
b' = (b - mean) s + beta, s = gamma / sqrt(variance + eps), from the
moving statistics), the ReLU applied with the bias inside the convolution
(after the product for a Dense). A Conv1D/Conv2D chain with that ReLU,
read only by a MaxPooling1D/MaxPooling2D, runs with the pooling too, as
``functional.conv2d_relu_max_pool2d`` with the folded weights (a Conv1D as
an image of height 1): the convolution's output is pooled slice by slice,
never written out whole (on the family's ``cifar_bn`` and ``conv1d_bn``).
The same without the normalisation: a Conv1D/Conv2D/Dense without
activation read only by a plain ReLU layer (Keras's
``Conv2D(...)``, ``Activation("relu")`` idiom) runs as one convolution
with the ReLU applied with the bias, and with a max pooling after it as
above.
Inference means: the batch normalisation in inference mode and no
gradient recorded (``predict``, ``evaluate``, calls under ``no_grad``);
otherwise, and for layers with an activity regulariser, the layers run
one by one. The outputs agree to float rounding, not to the bit.

In training (the BatchNormalization in training mode), a BatchNormalization
read only by a plain ReLU runs with it as one function,
``functional.batch_norm_relu_with_statistics`` (one pass for the
normalisation and the ReLU, two for their backward instead of three, no
array for the normalised output or its gradient; the same values), and its
moving statistics are updated as the layer does; the convolution before it,
if any, runs on its own.
"""

from __future__ import annotations

from typing import Any

from minidl import activations
from minidl import functional as F
from minidl.autodiff.function import is_grad_enabled
from minidl.autodiff.tensor import Tensor
from minidl.functional.norm import folded_into_convolution
from minidl.layers.activation import ReLU
from minidl.layers.conv import Conv1D, Conv2D
from minidl.layers.core import Activation, Dense
from minidl.layers.normalization import BatchNormalization
from minidl.layers.pooling import MaxPooling1D, MaxPooling2D

#: Whether models run the pairs above as one function (set False to run every layer on its own).
ENABLED = True


class FoldedChain:
    """A BatchNormalization, the convolution or Dense that it alone reads (or None), the ReLU that alone reads it
    (or None), the max pooling of the convolution's rank that alone reads that ReLU (or None); or, without
    normalisation (None), a convolution or Dense and the ReLU that alone reads it (and such a pooling).
    ``convolution`` names the first layer whichever it is: both compute x W + b."""

    def __init__(self, convolution, normalization, relu=None, pooling=None) -> None:
        self.nodes = tuple(node for node in (convolution, normalization, relu, pooling) if node is not None)
        self.training_nodes = tuple(node for node in (normalization, relu) if node is not None)
        self.convolution = None if convolution is None else convolution.layer
        self.normalization = None if normalization is None else normalization.layer
        self.relu = None if relu is None else relu.layer
        self.pooling = None if pooling is None else pooling.layer
        self.with_relu = relu is not None


def fused_pairs(nodes: list, outputs: list) -> dict:
    """{id(last node): group} for each group of the graph's ``nodes`` that may run as one.

    A group is a (Conv2D relu, MaxPooling2D) pair of nodes, keyed by the
    pooling node, or a ``FoldedChain``, keyed by its last node.
    ``outputs``: the model's output tensors (a layer whose output is one of
    them ends any group).
    """
    readers: dict = {}
    for node in nodes:
        for tensor in node.input_tensors:
            readers[id(tensor)] = readers.get(id(tensor), 0) + 1
    for tensor in outputs:
        readers[id(tensor)] = readers.get(id(tensor), 0) + 1

    def sole_producer(node, kinds):  # the node that alone feeds ``node``, when its layer is of one of ``kinds``
        if node.is_input or len(node.input_tensors) != 1:
            return None
        (tensor,) = node.input_tensors
        producer = tensor.node
        usable = not producer.is_input and type(producer.layer) in kinds and readers[id(tensor)] == 1 \
            and getattr(producer.layer, "groups", 1) == 1  # a grouped convolution runs on its own
        return producer if usable else None

    def pooling_after(convolution, relu):  # the max pooling of the convolution's rank that alone reads the ReLU
        if relu is None or convolution is None or type(convolution.layer) is Dense:
            return None
        pool_type = MaxPooling1D if convolution.layer.rank == 1 else MaxPooling2D
        return next((reader for reader in nodes if type(reader.layer) is pool_type
                     and sole_producer(reader, (ReLU, Activation)) is relu), None)

    pairs: dict = {}
    for node in nodes:
        if type(node.layer) is MaxPooling2D and sole_producer(node, (Conv2D,)) is not None:
            pairs[id(node)] = (sole_producer(node, (Conv2D,)), node)
    for node in nodes:
        if type(node.layer) is not BatchNormalization:
            continue
        convolution = sole_producer(node, (Conv1D, Conv2D, Dense))
        if convolution is not None and convolution.layer.activation is not activations.linear:
            convolution = None
        relu = next((reader for reader in nodes if _is_plain_relu(reader.layer)
                     and sole_producer(reader, (BatchNormalization,)) is node), None)
        if convolution is not None or relu is not None:
            chain = FoldedChain(convolution, node, relu, pooling_after(convolution, relu))
            pairs[id(chain.nodes[-1])] = chain
    for node in nodes:  # a convolution or Dense without activation, then a ReLU layer: no normalisation between
        convolution = sole_producer(node, (Conv1D, Conv2D, Dense)) if _is_plain_relu(node.layer) else None
        if convolution is not None and convolution.layer.activation is activations.linear:
            chain = FoldedChain(convolution, None, node, pooling_after(convolution, node))
            pairs[id(chain.nodes[-1])] = chain
    return pairs


def _is_plain_relu(layer) -> bool:
    """Whether ``layer`` computes max(x, 0) and nothing else."""
    if type(layer) is ReLU:
        return layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0
    return type(layer) is Activation and layer.activation is F.relu


def running_together(group, training: bool | None) -> tuple:
    """The nodes of ``group`` that run as one function in a call with this ``training`` flag, in their order
    (the last one's output is the result); () where every layer runs on its own (see the module docstring)."""
    if not isinstance(group, FoldedChain):
        return group if runs_fused(group[0].layer) else ()
    normalization = group.normalization
    layers = [layer for layer in (group.convolution, normalization, group.relu) if layer is not None]
    if not ENABLED or any(layer.activity_regularizer is not None for layer in layers):
        return ()
    if normalization is None:  # convolution and ReLU: at inference only
        inference = not is_grad_enabled() and group.convolution.activation is activations.linear
        return group.nodes if inference and _is_plain_relu(group.relu) else ()
    in_training = (bool(normalization.training) if training is None else training) and normalization.trainable
    if not in_training and group.convolution is not None and not is_grad_enabled():
        return group.nodes if group.convolution.activation is activations.linear else ()
    if in_training and group.with_relu and _is_plain_relu(group.relu):
        return group.training_nodes
    return ()


def run_together(group, nodes: tuple, x: Any) -> Tensor:
    """The output of ``nodes`` (``running_together``'s answer) on their first one's input ``x``."""
    if not isinstance(group, FoldedChain):
        return run_pair(nodes[0].layer, nodes[1].layer, x)
    if nodes == group.training_nodes:
        return run_normalization_relu(group.normalization, x)
    return run_folded(group, x)


def run_normalization_relu(normalization: BatchNormalization, x: Any) -> Tensor:
    """BatchNormalization (training mode) then a ReLU, as one function; the moving statistics updated as the layer
    does."""
    x = normalization.checked_inputs(x)
    y, batch_mean, batch_variance = F.batch_norm_relu_with_statistics(x, normalization.gamma, normalization.beta,
                                                                      normalization.epsilon)
    normalization.update_moving_statistics(batch_mean, batch_variance)
    return y


def run_folded(chain: FoldedChain, x: Any) -> Tensor:
    """The chain's output at inference: one convolution (or product) with the normalisation folded in (and the
    ReLU)."""
    convolution, normalization = chain.convolution, chain.normalization
    x = convolution.checked_inputs(x)
    kernel, bias = convolution.kernel.data, None if convolution.bias is None else convolution.bias.data
    if normalization is not None:
        kernel, bias = folded_into_convolution(
            kernel, bias, normalization.moving_mean.data, normalization.moving_variance.data,
            None if normalization.gamma is None else normalization.gamma.data,
            None if normalization.beta is None else normalization.beta.data, normalization.epsilon)
    if isinstance(convolution, Dense):
        y = F.linear(x, kernel, bias)
        return F.relu(y) if chain.with_relu else y
    if chain.pooling is not None:
        return folded_and_pooled(convolution, chain.pooling, x, kernel, bias)
    convolve = F.conv1d if convolution.rank == 1 else F.conv2d
    return convolve(x, kernel, bias, convolution.strides, convolution.padding, convolution.dilation_rate,
                    "relu" if chain.with_relu else None)


def folded_and_pooled(convolution, pooling, x: Tensor, kernel: Any, bias: Any) -> Tensor:
    """max_pool(relu(conv(x, kernel) + bias)) as one function (``functional.conv2d_relu_max_pool2d``: the
    convolution's output is never written out whole); a rank-1 chain as an image of height 1."""
    if convolution.rank == 2:
        return F.conv2d_relu_max_pool2d(x, kernel, bias, convolution.strides, convolution.padding,
                                        convolution.dilation_rate, pooling.pool_size, pooling.strides,
                                        pooling.padding)
    image = F.reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
    y = F.conv2d_relu_max_pool2d(image, kernel[None], bias, (1,) + tuple(convolution.strides), convolution.padding,
                                 (1,) + tuple(convolution.dilation_rate), (1,) + tuple(pooling.pool_size),
                                 (1,) + tuple(pooling.strides), pooling.padding)
    return F.reshape(y, (y.shape[0],) + tuple(y.shape[2:]))


def runs_fused(convolution: Conv2D) -> bool:
    """Whether a convolution of a fused pair runs with its pooling now (its activation may have been changed)."""
    return ENABLED and convolution.activation is F.relu


def run_pair(convolution: Conv2D, pooling: MaxPooling2D, x: Any) -> Tensor:
    """``pooling(convolution(x))`` as one function: the same checks of ``x`` as calling the convolution."""
    x = convolution.checked_inputs(x)
    return F.conv2d_relu_max_pool2d(x, convolution.kernel, convolution.bias, convolution.strides,
                                    convolution.padding, convolution.dilation_rate, pooling.pool_size,
                                    pooling.strides, pooling.padding)
