"""Exercise 8: RMSProp. Then run:

    python -m minidl.exercises check 8 this_file.py

    a <- rho a + (1 - rho) g^2;   w <- w - lr g / sqrt(a + epsilon)
"""

import numpy as np  # noqa: F401 - you will need it


def rmsprop_step(w, g, mean_square, lr, rho, epsilon):
    """Return the new (w, mean_square)."""
    raise NotImplementedError
