"""Every differentiable function of minidl, by name.

Each lower-case function here calls one ``Function`` subclass (or a short
composition of them) whose forward and backward sit side by side in the
module named after its family:

=============  =============================================================
module         functions
=============  =============================================================
math           add, subtract, multiply, divide, negative, power, matmul,
               exp, log, sqrt, abs, clip, maximum, minimum, where
shape          reshape, transpose, getitem, concatenate, stack, pad,
               broadcast_to, repeat
reduce         sum, mean, max, min
activation     sigmoid, tanh, relu, leaky_relu, elu, softplus, softmax,
               log_softmax, selu, gelu, swish (silu), hard_sigmoid,
               hard_swish, softsign, relu6
loss           mean_squared_error, mean_absolute_error, binary_crossentropy,
               categorical_crossentropy, sparse_categorical_crossentropy
mixture        mixture_density_nll (a Gaussian mixture's negative log-likelihood)
coupling_flow  coupling_flow_nll (a conditional affine-coupling flow's negative log-likelihood)
linear         linear
einsum_dense   einsum_dense (Keras's EinsumDense product)
conv           conv1d, conv2d
conv_transpose conv1d_transpose, conv2d_transpose
conv_pool      conv2d_relu_max_pool2d (conv, ReLU and max pooling in one)
pool           max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, global_avg_pool
norm           batch_norm, batch_norm_with_statistics, batch_norm_relu_with_statistics
layer_norm     layer_norm
dropout        dropout
group          group_mean, group_max, group_shuffle
=============  =============================================================
"""

from minidl.functional.activation import (
    elu,
    gelu,
    hard_sigmoid,
    hard_swish,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from minidl.functional.conv import conv1d, conv2d
from minidl.functional.conv_transpose import conv1d_transpose, conv2d_transpose
from minidl.functional.conv_pool import conv2d_relu_max_pool2d
from minidl.functional.dropout import dropout
from minidl.functional.einsum_dense import einsum_dense
from minidl.functional.group import group_max, group_mean, group_shuffle
from minidl.functional.linear import linear
from minidl.functional.loss import (
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from minidl.functional.mixture import mixture_density_nll
from minidl.functional.coupling_flow import coupling_flow_nll
from minidl.functional.math import (
    abs,
    add,
    clip,
    divide,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sqrt,
    subtract,
    where,
)
from minidl.functional.layer_norm import layer_norm
from minidl.functional.norm import batch_norm, batch_norm_relu_with_statistics, batch_norm_with_statistics
from minidl.functional.norm import masked_batch_norm_with_statistics
from minidl.functional.pool import avg_pool1d, avg_pool2d, global_avg_pool, max_pool1d, max_pool2d
from minidl.functional.reduce import max, mean, min, sum
from minidl.functional.shape import broadcast_to, concatenate, getitem, pad, repeat, reshape, stack, transpose
from minidl.functional import operators

operators.install()  # Tensor's + - * / @ ... and .sum() .reshape() ... call the functions above

__all__ = [
    "abs", "add", "avg_pool1d", "avg_pool2d", "batch_norm", "batch_norm_relu_with_statistics",
    "batch_norm_with_statistics", "binary_crossentropy", "categorical_crossentropy", "clip", "concatenate",
    "conv1d", "conv1d_transpose", "conv2d", "conv2d_transpose", "conv2d_relu_max_pool2d", "divide", "dropout",
    "einsum_dense", "elu", "exp", "getitem", "global_avg_pool", "group_max", "group_mean", "group_shuffle", "leaky_relu", "linear", "log", "log_softmax",
    "matmul", "max", "max_pool1d", "max_pool2d", "maximum", "mean", "mean_absolute_error",
    "mean_squared_error", "min", "multiply", "negative", "pad", "power", "relu", "reshape",
    "sigmoid", "softmax", "softplus", "sparse_categorical_crossentropy", "sqrt", "stack", "subtract",
    "sum", "tanh", "transpose", "where",
    "gelu", "hard_sigmoid", "hard_swish", "relu6", "selu", "silu", "softsign", "swish",
    "broadcast_to", "layer_norm", "minimum", "repeat", "mixture_density_nll", "coupling_flow_nll",
]
