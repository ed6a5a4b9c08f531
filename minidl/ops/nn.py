"""``keras.ops.nn``: the neural-network ops under their second Keras address (``ops.nn.relu is ops.relu``)."""

from minidl.ops.activations import (  # noqa: F401 - the names keras.ops.nn also has
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_sigmoid,
    relu6,
    selu,
    silu,
    softsign,
    swish,
)
from minidl.ops.core import one_hot  # noqa: F401
from minidl.ops.math import log_softmax, relu, sigmoid, softmax, softplus  # noqa: F401
from minidl.ops.statistics import moments  # noqa: F401
