"""Exercise 9: Adam with its bias corrections. Then run:

    python -m minidl.exercises check 9 this_file.py

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
    m_hat = m / (1 - b1^t);   v_hat = v / (1 - b2^t);   w <- w - lr m_hat / (sqrt(v_hat) + eps)
"""

import numpy as np  # noqa: F401 - you will need it


def adam_step(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    """Step t = 1, 2, ...: return the new (w, m, v)."""
    raise NotImplementedError
