"""Exercise 19: clipping gradients by their norm and by their global norm. Then run:

    python -m minidl.exercises check 19 this_file.py
"""

import numpy as np  # noqa: F401 - you will need it


def clip_by_norm(g, max_norm):
    """g * max_norm / max(||g||, max_norm), as a new array of g's dtype."""
    raise NotImplementedError


def clip_by_global_norm(gradients, max_norm):
    """Every g_i * max_norm / max(||G||, max_norm), ||G|| the joint norm of all of them; a new list."""
    raise NotImplementedError
