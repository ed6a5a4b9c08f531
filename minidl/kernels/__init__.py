"""Array kernels for convolution and pooling: pure functions on raw arrays.

For now every kernel is the plain array reference in ``reference.py``.
Faster implementations (numba on the CPU, cupy on a GPU) plug in here
without changes to the autodiff code that calls these names.
"""

from minidl.kernels.reference import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    col2im,
    im2col,
    max_pool2d_backward,
    max_pool2d_forward,
)

__all__ = [
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "col2im",
    "im2col",
    "max_pool2d_backward",
    "max_pool2d_forward",
]
