"""Exercise 1: the perceptron. Fill in both functions, then run:

    python -m minidl.exercises check 1 this_file.py

    y_hat = 1 if x . w + b > 0 else 0
    w <- w + lr (y - y_hat) x;   b <- b + lr (y - y_hat)
"""

import numpy as np  # noqa: F401 - you will need it


def predict(w, b, x):
    """x: (n, d) -> (n,) array of 0/1 predictions."""
    raise NotImplementedError("return 1 where x @ w + b > 0, else 0")


def update(w, b, x, y, lr):
    """One example x (d,) with label y in {0, 1}: return the new (w, b)."""
    raise NotImplementedError("w + lr (y - y_hat) x and b + lr (y - y_hat)")
