"""Exercise 5: backpropagation by hand, numpy only. Then run:

    python -m minidl.exercises check 5 this_file.py

    a = x W1 + b1;  h = tanh(a);  z = h W2 + b2;  p = softmax(z);  L = -(1/n) sum y log p
"""

import numpy as np


def gradients(x, y, W1, b1, W2, b2):  # noqa: N803
    """Return {"W1": dL/dW1, "b1": dL/db1, "W2": dL/dW2, "b2": dL/db2}."""
    n = len(x)  # noqa: F841 - dL/dz = (p - y) / n needs it
    a = x @ W1 + b1
    h = np.tanh(a)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    raise NotImplementedError("from dL/dz = (p - y) / n, walk back to W2, b2, h, a, W1 and b1")
