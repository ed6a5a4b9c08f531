"""Exercise 18: Glorot's and He's initialisation. Then run:

    python -m minidl.exercises check 18 this_file.py

Draw from ``generator`` (a numpy Generator) only; return float64 arrays of shape (fan_in, fan_out).
"""

import numpy as np  # noqa: F401 - you will need it


def glorot_uniform(fan_in, fan_out, generator):
    """Uniform on [-limit, limit], limit = sqrt(6 / (fan_in + fan_out))."""
    raise NotImplementedError("generator.uniform(-limit, limit, size=(fan_in, fan_out))")


def he_normal(fan_in, fan_out, generator):
    """Normal with mean 0 and standard deviation sqrt(2 / fan_in)."""
    raise NotImplementedError
