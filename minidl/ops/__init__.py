"""Keras's ``keras.ops`` (and old ``keras.backend``) functions, for custom layers, losses and metrics.

``from keras import ops`` becomes ``from minidl import ops``, and
``from keras import backend as K`` becomes ``from minidl import ops as K``.
Each function takes Tensors or arrays (numpy, or cupy on a GPU):

- given a Tensor it calls a differentiable function, so a custom layer or
  loss written with ``ops`` trains (its gradient is that function's);
- given arrays it computes on them directly and returns an array, which is
  what a metric receives from ``fit``.

Comparisons, logic, ``argmax``/``argsort``, rounding and ``sign`` have no
useful gradient (Keras gives none either): they return plain arrays.

=============  =============================================================
module         functions
=============  =============================================================
core           ones, zeros, full, eye, arange, linspace, one_hot, *_like,
               cast, convert_to_tensor, convert_to_numpy, shape, stop_gradient
math           add ... power, exp, log, sqrt, activations, erf, clip, where,
               rounding, comparisons, logical_*, isnan, nan_to_num
arrays         sum ... norm, logsumexp, cumsum, cumprod, reshape ... tile,
               take, take_along_axis, slice, split, sort, top_k, matmul,
               dot, outer, einsum
matrices       diagonal, diag, trace, tril, triu, moveaxis, swapaxes, vstack,
               hstack, unstack, average, pad, identity, array
trigonometry   sin ... arctan2, sinh ... arctanh, log2, log10
activations    gelu, silu/swish, elu, selu, leaky_relu, relu6, softsign,
               hard_sigmoid, hard_silu/hard_swish, log_sigmoid, rsqrt
statistics     quantile, median, moments, amax, amin, ptp
shapes         ndim, size, ravel, roll, tensordot, is_tensor
image          image.resize, image.extract_patches (``ops.image``)
gradients      the Functions the ops above need beyond minidl.functional
=============  =============================================================
"""

from minidl.core.config import epsilon
from minidl.ops.arrays import (
    all,
    any,
    argmax,
    argmin,
    argsort,
    broadcast_to,
    concatenate,
    count_nonzero,
    cumprod,
    cumsum,
    dot,
    einsum,
    expand_dims,
    flip,
    logsumexp,
    matmul,
    max,
    mean,
    min,
    norm,
    outer,
    prod,
    repeat,
    reshape,
    slice,
    sort,
    split,
    squeeze,
    stack,
    std,
    sum,
    take,
    take_along_axis,
    tile,
    top_k,
    transpose,
    var,
)
from minidl.ops.activations import (
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_sigmoid,
    relu6,
    rsqrt,
    selu,
    silu,
    softsign,
    swish,
)
from minidl.ops import image  # keras.ops.image: resize, extract_patches
from minidl.ops import nn  # keras.ops.nn: the activations, one_hot, moments under a second name
from minidl.ops.shapes import is_tensor, ndim, ravel, roll, size, tensordot
from minidl.ops.statistics import amax, amin, median, moments, ptp, quantile
from minidl.ops.core import (
    arange,
    cast,
    convert_to_numpy,
    convert_to_tensor,
    eye,
    full,
    full_like,
    linspace,
    one_hot,
    ones,
    ones_like,
    shape,
    stop_gradient,
    zeros,
    zeros_like,
)
from minidl.ops.math import (
    abs,
    absolute,
    add,
    ceil,
    clip,
    divide,
    equal,
    erf,
    exp,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    nan_to_num,
    negative,
    not_equal,
    power,
    reciprocal,
    relu,
    round,
    sigmoid,
    sign,
    softmax,
    softplus,
    sqrt,
    square,
    subtract,
    tanh,
    true_divide,
    where,
)

from minidl.ops.matrices import (
    array,
    average,
    diag,
    diagonal,
    hstack,
    identity,
    moveaxis,
    pad,
    swapaxes,
    trace,
    tril,
    triu,
    unstack,
    vstack,
)
from minidl.ops.trigonometry import (
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cos,
    cosh,
    log10,
    log2,
    sin,
    sinh,
    tan,
)

__all__ = [
    "abs", "absolute", "add", "all", "any", "arange", "argmax", "argmin", "argsort", "broadcast_to", "cast", "ceil",
    "clip", "concatenate", "convert_to_numpy", "convert_to_tensor", "count_nonzero", "cumprod", "cumsum", "divide",
    "dot", "einsum", "epsilon", "equal", "erf", "exp", "expand_dims", "expm1", "eye", "flip", "floor",
    "floor_divide", "full", "full_like", "greater", "greater_equal", "isfinite", "isinf", "isnan", "less",
    "less_equal", "linspace", "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logical_xor", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mod", "multiply",
    "nan_to_num", "negative", "norm", "not_equal", "one_hot", "ones", "ones_like", "outer", "power", "prod",
    "reciprocal", "relu", "repeat", "reshape", "round", "shape", "sigmoid", "sign", "slice", "softmax", "softplus",
    "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "stop_gradient", "subtract", "sum", "take",
    "take_along_axis", "tanh", "tile", "top_k", "transpose", "true_divide", "var", "where", "zeros", "zeros_like",
    # matrices
    "array", "average", "diag", "diagonal", "hstack", "identity", "moveaxis", "pad", "swapaxes", "trace", "tril",
    "triu", "unstack", "vstack",
    # activations, statistics
    "elu", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu", "log_sigmoid", "relu6", "rsqrt", "selu",
    "silu", "softsign", "swish", "amax", "amin", "median", "moments", "ptp", "quantile",
    "image", "nn", "is_tensor", "ndim", "ravel", "roll", "size", "tensordot",
    # trigonometry
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "cos", "cosh", "log10", "log2", "sin",
    "sinh", "tan",
]
