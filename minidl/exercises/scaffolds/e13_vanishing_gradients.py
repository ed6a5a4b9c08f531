"""Exercise 13: measure the gradient each layer gets. Then run:

    python -m minidl.exercises check 13 this_file.py
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Tensor  # noqa: F401
from minidl import functional as F  # noqa: F401
from minidl.layers import Dense  # noqa: F401


def gradient_norms(model, x, y):
    """[||dL/dW|| for the kernel of every Dense layer of model, in order], L the cross-entropy of (x, y)."""
    raise NotImplementedError("reset .grad, compute the loss in training mode, backward, collect the norms")
