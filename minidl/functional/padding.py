"""Keras's arithmetic for window sizes, strides, dilation and 'valid'/'same' padding.

Plain integers in, integers out: shared by convolution and pooling.
"""

from __future__ import annotations

import math
from typing import Any

PADDINGS = ("valid", "same")


def normalize_tuple(value: Any, rank: int, name: str) -> tuple:
    """An int or a sequence of ``rank`` positive ints as a tuple of ``rank`` ints."""
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{name} must be a positive int or {rank} positive ints, got {value!r}")
    return values


def normalize_padding(padding: str) -> str:
    lowered = padding.lower() if isinstance(padding, str) else padding
    if lowered not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    return lowered


def effective_kernel_size(kernel_size: int, dilation: int) -> int:
    """A dilated kernel spans (k - 1) d + 1 input positions."""
    return (kernel_size - 1) * dilation + 1


def output_length(length: int, kernel_size: int, stride: int, dilation: int, padding: str) -> int:
    """Output length along one axis: ceil(n / s) for 'same', floor((n - k_eff) / s) + 1 for 'valid'."""
    if padding == "same":
        return math.ceil(length / stride)
    return max((length - effective_kernel_size(kernel_size, dilation)) // stride + 1, 0)


def padding_amounts(length: int, kernel_size: int, stride: int, dilation: int, padding: str) -> tuple:
    """(before, after) zeros along one axis; for 'same' the odd one goes after, as in TensorFlow."""
    if padding == "valid":
        return (0, 0)
    out = output_length(length, kernel_size, stride, dilation, padding)
    total = max((out - 1) * stride + effective_kernel_size(kernel_size, dilation) - length, 0)
    return (total // 2, total - total // 2)


def window_output_size(
    what: str, input_shape: tuple, spatial_axes: tuple, window: tuple, strides: tuple, dilation: tuple,
    padding: str,
) -> tuple:
    """Output sizes along ``spatial_axes`` of ``input_shape`` for a (dilated) window, checked.

    With 'valid' padding only complete windows count, so a window larger than
    its input leaves nothing: that is a ValueError naming ``what`` (the
    function or layer), the window and the input shape. Shared by every
    convolution and pooling, functions and layers alike.
    """
    sizes = []
    for axis, k, s, d in zip(spatial_axes, window, strides, dilation):
        if padding == "valid" and input_shape[axis] < effective_kernel_size(k, d):
            spread = "" if all(v == 1 for v in dilation) else f" (dilation {tuple(dilation)})"
            raise ValueError(
                f"{what}: the window {tuple(window)}{spread} is larger than its input of shape "
                f"{tuple(input_shape)} with padding='valid'"
            )
        sizes.append(output_length(input_shape[axis], k, s, d, padding))
    return tuple(sizes)
