"""Exercise 7: SGD with (Nesterov) momentum. Then run:

    python -m minidl.exercises check 7 this_file.py

    v <- momentum v - lr g;   w <- w + v          (Nesterov: w <- w + momentum v - lr g)
"""


def sgd_step(w, g, velocity, lr, momentum, nesterov):
    """Return the new (w, velocity)."""
    raise NotImplementedError
