"""Grouped convolution (Keras's ``Conv1D``/``Conv2D`` with ``groups=G``), channels-last.

The Cin input channels and the Cout filters are split into G groups in
order; filter group g sees only input group g. With c = Cin / G and
f = Cout / G, kernel (*window, c, Cout) in Keras's layout:

    y[..., g f + o] = conv(x[..., g c : (g + 1) c],  kernel[..., :, g f + o])  + b[g f + o]

G = 1 is the ordinary convolution; G = Cin with f filters per group is a
depthwise convolution with depth multiplier f. Each group is one
``conv1d``/``conv2d`` (im2col and a product, ``functional/conv.py``), so the
backward is theirs, passed through the slicing and the concatenation:

    dL/dx[..., g c : (g + 1) c]  = the backward of conv group g for gy[..., g f : (g + 1) f]
    dL/dkernel[..., g f : (g + 1) f] = that group's kernel gradient
    dL/db = gy summed over batch and positions

(the slice's backward writes its gradient into zeros of x's shape, the
concatenation's splits gy back into the groups' outputs).
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.functional.conv import conv1d, conv2d
from minidl.functional.shape import concatenate, getitem


def grouped_conv(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
                 dilation_rate: Any = 1, groups: int = 1) -> Tensor:
    """Convolution of ``x (N, *spatial, Cin)`` with ``kernel (*window, Cin / groups, Cout)`` in ``groups`` groups
    (module docstring); one or two spatial axes, from the kernel's rank."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    rank = kernel.ndim - 2
    if rank not in (1, 2) or x.ndim != rank + 2:
        raise ValueError(f"grouped_conv: x (N, *spatial, Cin) and kernel (*window, Cin / groups, Cout) need one or "
                         f"two spatial axes each, got shapes {x.shape} and {kernel.shape}")
    channels, filters = x.shape[-1], kernel.shape[-1]
    if groups < 1 or channels % groups or filters % groups or kernel.shape[-2] * groups != channels:
        raise ValueError(f"grouped_conv: {groups} groups need input channels ({channels}) and filters ({filters}) "
                         f"divisible by it and a kernel of {channels // max(groups, 1)} channels per group, got "
                         f"kernel shape {kernel.shape}")
    convolve = conv1d if rank == 1 else conv2d
    per_group, filters_per_group = channels // groups, filters // groups
    lead = (slice(None),) * (rank + 1)
    outputs = [convolve(getitem(x, lead + (slice(g * per_group, (g + 1) * per_group),)),
                        getitem(kernel, (slice(None),) * (rank + 1) + (slice(g * filters_per_group,
                                                                             (g + 1) * filters_per_group),)),
                        None, strides, padding, dilation_rate)
               for g in range(groups)]
    y = outputs[0] if groups == 1 else concatenate(outputs, axis=-1)
    return y if bias is None else y + as_tensor(bias)
