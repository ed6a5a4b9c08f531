"""A convolution with ReLU followed by max pooling, as one function: y = max_pool(relu(conv(x, K) + b)).

x (N, H, W, Cin),  kernel (kh, kw, Cin, Cout),  z (N, OH, OW, Cout),  y (N, PH, PW, Cout)

    z = relu(conv2d(x, K) + b)                   (functional/conv.py)
    y[n, p, o] = max over the window of p of z,  argmax[n, p, o] = where in its window it was

The same numbers as conv2d(..., activation="relu") then max_pool2d: this is
how a model runs that pair of layers (``minidl.models.fusion``). What the
fusion changes is the backward. Only one conv output per window and
channel receives a gradient, its maximum, and only when that maximum is
positive (the ReLU lets nothing through below zero). With

    gm[n, p, o] = dL/dy[n, p, o] * [y[n, p, o] > 0]
    q(n, p, o)  = the conv output position of that maximum

the gradients of the convolution (conv.py's, with dL/dz zero everywhere
else) become sums over the maxima only:

    dL/db[o]          = sum_{n, p} gm[n, p, o]
    dL/dK[i, j, c, o] = sum_{n, p} gm[n, p, o] x_pad[n, q*s + (i, j)*d, c]
    dL/dx_pad[n, q*s + (i, j)*d, c] += gm[n, p, o] K[i, j, c, o]    for every (n, p, o)

For 2 x 2 pooling that is a quarter of the multiply-adds of the dense
products cols^T dL/dz and dL/dz K^T, and neither the patch matrix nor dL/dz
(the size of the conv output) is ever written. The compiled loop
(``minidl.kernels``) does exactly this, gathering each maximum's patch from
x; it runs where a patch row, kw * Cin values, is long enough to be worth a
vectorised loop (``GATHERED_MIN_ROW``). On the benchmark CNN's second layer
(32 -> 64 channels, 3 x 3, batch 64) dL/dK and dL/dx together take 28.6 ms,
against 54-62 ms for the pooling's and ReLU's backward and the two dense
products alone (before the patches are built again and col2im); a training
step of that CNN takes 0.73x as long as with the layers apart, one of the
genomics cnn2d preset 0.75x (in-process A/B, ``fusion.ENABLED`` flipped
between epochs). Elsewhere (a first layer over one or two channels, three
or six values a row) the backward is the dense one: dL/dz is built by
routing gm to the maxima and the convolution's own backward runs on it (a
loop that builds each row of dL/dz as dL/dK needs it was no faster).

The forward runs a few samples at a time: patches, product, bias and ReLU,
pooling, so that z (39 MB on the CNN's first layer) is never written out
whole.

The reference array code below computes the dense way, from im2col and
col2im; ``tests/test_kernels.py`` checks the compiled loop against it.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend, batch_threads
from minidl.autodiff.function import as_tensor
from minidl.functional.activation import bias_relu, relu_backward_and_channel_sums
from minidl.functional import conv
from minidl.functional.conv import Conv2D, check_conv_shapes, col2im, im2col
from minidl.functional.padding import normalize_padding, normalize_tuple, padding_amounts, window_output_size
from minidl.functional.pool import max_pool2d_backward, max_pool2d_forward
from minidl.kernels import accelerated, implementation
from minidl.autodiff.tensor import Tensor

#: The compiled backward gathers patches from x where a patch row (kw * Cin values) has at least this many.
GATHERED_MIN_ROW = 16


@accelerated
def conv_relu_max_pool_gradients(x: Any, kernel: Any, gy: Any, y: Any, argmax: Any, conv_geometry: tuple,
                                 pool_geometry: tuple, input_gradient: bool) -> tuple:
    """(dL/dx or None, dL/dK, dL/db) of y = max_pool(relu(conv(x, K) + b)), from gy = dL/dy.

    ``conv_geometry`` = (out_size, strides, dilation, pads) of the convolution,
    ``pool_geometry`` = (pool_size, strides, pads) of the pooling; ``y`` and
    ``argmax`` are the pooling's outputs. The dense way (see the module docstring).
    """
    out_size, strides, dilation, pads = conv_geometry
    pool_size, pool_strides, pool_pads = pool_geometry
    filters = kernel.shape[3]
    g_max = gy * (y > 0)                                          # the ReLU passes positive maxima only
    z_shape = (x.shape[0],) + tuple(out_size) + (filters,)
    g_z = max_pool2d_backward.reference(g_max, argmax, z_shape, pool_size, pool_strides, pool_pads)
    g_rows = g_z.reshape(-1, filters)                             # dL/dz: zero but at the maxima
    cols = im2col.reference(x, kernel.shape[:2], strides, dilation, pads, out_size).reshape(g_rows.shape[0], -1)
    g_kernel = (cols.T @ g_rows).reshape(kernel.shape)
    g_x = None
    if input_gradient:
        g_cols = (g_rows @ kernel.reshape(-1, filters).T).reshape(z_shape[:3] + kernel.shape[:3])
        g_x = col2im.reference(g_cols, x.shape, strides, dilation, pads)
    return g_x, g_kernel, g_max.sum(axis=(0, 1, 2))


class Conv2DReluMaxPool2D(Conv2D):
    """y = max_pool(relu(conv2d(x, K) + b)); the backward sums over the pooled maxima (module docstring)."""

    def __init__(self, strides: tuple, padding: str, dilation_rate: tuple, pool_size: tuple, pool_strides: tuple,
                 pool_padding: str) -> None:
        super().__init__(strides, padding, dilation_rate, relu=True)
        self.pool_size, self.pool_strides, self.pool_padding = pool_size, pool_strides, pool_padding

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        self.has_bias = bias is not None
        kh, kw, channels, filters = kernel.shape
        self.gathers = (kw * channels >= GATHERED_MIN_ROW and implementation(
            "conv_relu_max_pool_gradients", x, kernel) is not conv_relu_max_pool_gradients.reference)
        self.set_geometry(x, kernel)
        z_shape = (x.shape[0],) + self.out_size + (filters,)
        pooled_size = window_output_size("conv2d_relu_max_pool2d", z_shape, (1, 2), self.pool_size,
                                         self.pool_strides, (1, 1), self.pool_padding)
        self.pool_pads = tuple(padding_amounts(z_shape[axis], k, s, 1, self.pool_padding)
                               for axis, k, s in zip((1, 2), self.pool_size, self.pool_strides))
        self.y, self.argmax = self.pooled_in_slices(x, kernel.reshape(-1, filters), bias, pooled_size,
                                                    self.needs_input_grad[1] and not self.gathers)
        self.x = x if self.gathers and any(self.needs_input_grad) else None  # the backward gathers patches from it
        return self.y

    def pooled_in_slices(self, x: Any, kernel_rows: Any, bias: Any, pooled_size: tuple, keep_patches: bool) -> tuple:
        """(y, argmax), a few samples at a time: patches, cols @ K, bias and ReLU, pooling, while in the cache.

        The conv output z is never written out whole (on the CPU a slice
        takes about ``backend.CACHE_SLICE_BYTES`` of patches and z, in training
        ``conv.TRAINING_SLICE_BYTES``); with
        ``keep_patches`` the patch matrix is (for dL/dK, self.cols).
        """
        n, (patch, filters), rows = x.shape[0], kernel_rows.shape, self.out_size[0] * self.out_size[1]
        budget = conv.TRAINING_SLICE_BYTES if any(self.needs_input_grad) else None  # training's slices, or predict's
        step = backend.samples_per_cache_slice(x, rows * (patch + filters) * x.dtype.itemsize, n, budget)
        shape = (n,) + pooled_size + (filters,)
        y = backend.empty(shape, backend.get_array_module(x).result_type(x, kernel_rows), x)
        argmax = backend.empty(shape, backend.window_index_dtype(self.pool_size), x)
        self.cols = backend.empty((n * rows, patch), x.dtype, x) if keep_patches else None
        inference = not any(self.needs_input_grad) and backend.get_array_module(x) is numpy
        if inference:  # the batch split over the cores (core/batch_threads.py), slices for one core each
            step = max(1, step // batch_threads.parts_for(n))

        def compute(start: int, stop: int) -> None:
            for first in range(start, stop, step):
                last = min(stop, first + step)
                cols = self.patches(x[first:last], None if self.cols is None else self.cols[first * rows : last * rows])
                z = bias_relu(backend.matmul(cols, kernel_rows), bias)    # z = max(cols @ K + b, 0)
                max_pool2d_forward(z.reshape((last - first,) + self.out_size + (filters,)), self.pool_size,
                                   self.pool_strides, self.pool_pads, pooled_size,
                                   out=(y[first:last], argmax[first:last]))

        if inference:
            batch_threads.run_in_parts(compute, n)
        else:
            compute(0, n)
        return y, argmax

    def backward(self, gy: Any) -> tuple:
        pool_geometry = (self.pool_size, self.pool_strides, self.pool_pads)
        if self.gathers:
            conv_geometry = (self.out_size, self.strides, self.dilation, self.pads)
            gy = backend.get_array_module(gy).ascontiguousarray(gy)  # a broadcast gradient, as sum()'s, is not
            return self.selected(*conv_relu_max_pool_gradients(self.x, self.kernel, gy, self.y, self.argmax,
                                                               conv_geometry, pool_geometry, self.needs_input_grad[0]))
        z_shape = (self.x_shape[0],) + self.out_size + (self.kernel.shape[3],)
        g_max, g_bias = relu_backward_and_channel_sums(gy, self.y)  # gy * [y > 0]: positive maxima only
        g_z = max_pool2d_backward(g_max, self.argmax, z_shape, *pool_geometry)  # dL/dz: zero but at the maxima
        return self.product_backward(g_z.reshape(-1, self.kernel.shape[3]), g_bias)

    def selected(self, g_x: Any, g_kernel: Any, g_bias: Any) -> tuple:
        """The gradients of the inputs that need them (None for the others), as many as the inputs."""
        g_x = g_x if self.needs_input_grad[0] else None
        g_kernel = g_kernel if self.needs_input_grad[1] else None
        if not self.has_bias:
            return g_x, g_kernel
        return g_x, g_kernel, g_bias if self.needs_input_grad[2] else None


def conv2d_relu_max_pool2d(
    x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid", dilation_rate: Any = 1,
    pool_size: Any = 2, pool_strides: Any = None, pool_padding: str = "valid",
) -> Tensor:
    """max_pool2d(conv2d(x, kernel, bias, ..., activation="relu"), pool_size, pool_strides, pool_padding).

    The same outputs as the two calls; the backward sums over the pooled
    maxima only (module docstring). ``pool_strides`` defaults to ``pool_size``.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_tuple(strides, 2, "conv2d strides")
    dilation = normalize_tuple(dilation_rate, 2, "conv2d dilation_rate")
    padding = normalize_padding(padding)
    check_conv_shapes("conv2d", x.shape, kernel.shape, bias, rank=2)
    out_size = window_output_size("conv2d", x.shape, (1, 2), kernel.shape[:2], strides, dilation, padding)
    pool_size = normalize_tuple(pool_size, 2, "max_pool2d pool_size")
    pool_strides = pool_size if pool_strides is None else normalize_tuple(pool_strides, 2, "max_pool2d strides")
    pool_padding = normalize_padding(pool_padding)
    window_output_size("max_pool2d", (x.shape[0],) + out_size + (kernel.shape[3],), (1, 2), pool_size, pool_strides,
                       (1, 1), pool_padding)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2DReluMaxPool2D(strides, padding, dilation, pool_size, pool_strides, pool_padding)(*inputs)
