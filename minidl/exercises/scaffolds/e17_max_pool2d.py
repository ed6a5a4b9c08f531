"""Exercise 17: 2 x 2 max pooling with stride 2, forward and backward. Then run:

    python -m minidl.exercises check 17 this_file.py

x (n, h, w, c) -> (n, h // 2, w // 2, c); the gradient goes to each window's winner only.
"""

import numpy as np  # noqa: F401 - you will need it

from minidl import Function


class MaxPool2D(Function):
    def forward(self, x):
        raise NotImplementedError("crop to even sizes, reshape to (n, h/2, 2, w/2, 2, c), remember the winners")

    def backward(self, gy):
        raise NotImplementedError("gy to each window's winner, 0 elsewhere (and 0 for a cropped row or column)")
