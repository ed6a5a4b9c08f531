"""Convolution (Keras's: cross-correlation) in the channels-last layout.

conv2d:  x (N, H, W, Cin),  kernel (kh, kw, Cin, Cout),  y (N, OH, OW, Cout)

    y[n, oh, ow, o] = b[o] + sum_{i, j, c} x_pad[n, oh*sh + i*dh, ow*sw + j*dw, c] kernel[i, j, c, o]

Computed as one matrix product: ``im2col`` lays every window out as a row,
``cols (N*OH*OW, kh*kw*Cin)``, so that ``y = cols @ K`` with
``K = kernel.reshape(kh*kw*Cin, Cout)``. The backward is that product's:

    dL/dK    = cols^T @ gy           (reshaped to the kernel's shape)
    dL/dcols = gy @ K^T,  dL/dx = col2im(dL/dcols)   (windows added back in place)
    dL/db    = gy summed over batch and positions

``col2im`` is the adjoint of ``im2col``: an input element that lies in
several windows receives the sum of its patches' gradients. On the CPU,
dL/dcols is computed a few samples at a time (about 8 MiB of it,
``TRAINING_SLICE_BYTES``; 2 MiB before 2026-12-07, figures below) and each
slice goes through col2im while it is still in the processor's cache. With
2 MiB slices, on the benchmark CNN's second layer the product ran at 142
instead of 100 GFLOP/s (a product whose output fits in the cache runs
faster), and the 81 MB dL/dcols is never written out. BLAS may sum a slice's dot products in another order than
the whole product's: the results agree to float rounding (on random data
of the benchmark's shapes 3% of the elements differ, by at most 8e-6 of
their size or of 1), and the same batch size always gives the same slices,
so a seed still fixes a run.

In training, the forward product of a convolution with at most 64 filters
and patches wider than its output is computed the same way: a slice of
patches is built and multiplied right away, then kept for dL/dK. For such
skinny products the whole product spends much of its time reading the patch
matrix back from memory; on the genomics network over the joint spectrum a
training step is about 8% faster, on the cnn1d preset 4% (on the cnn2d preset
0.96x and 1.03x in two measurements: within the noise). For wider outputs
(Perez et al.'s 125-250 filters) the whole product is one call: in slices
those steps were about 5% slower.

Among those convolutions, where a patch holds 49 to 300 values and the batch
takes more than one slice, the patches are not kept at all: dL/dK builds
them again from x, slice by slice, and sums cols_s^T gy_s over the slices
(``Conv2D.kernel_gradient_by_slices``). Writing the patch matrix out in the
forward and reading it back, cold, in the backward cost more than building
it twice in the cache: a step of the spectrum network is 0.89x as long,
the benchmark CNN's 0.95x (its second layer keeps no 79 MB patch matrix).
For patches of up to 48 values (a first layer over one to five channels,
whose dL/dK runs as a compiled loop) and for wider ones (genomics's cnn1d
preset, 320-600 values, short slices) rebuilding was 2-17% slower per layer.

Slices of 8 MiB rather than 2 (``TRAINING_SLICE_BYTES``, for every slice
of training: patches, forward product, dL/dcols): each slice costs two
parallel regions, a compiled kernel and a threaded product, and a region
ends when its slowest thread does. On the shared 2-core machine at load
11-17, whole training steps took 0.61-0.86x as long with 8 MiB slices
(cifar_bn, resnet_block, conv1d_bn; pggan 0.85), 0.61-0.82x with 16 MiB
(``benchmarks/RESULTS.md``, 2026-12-07). 8 MiB is a quarter of the 32 MiB
L3 cache, so the slices are still read back from the cache; the 2 MiB
figures above were measured on a quiet machine, which this session did not
have. Inference keeps cache slices of ``backend.CACHE_SLICE_BYTES``.

With ``activation="relu"`` the ReLU is applied in the same pass as the bias,
y = max(cols @ K + b, 0), and the backward first turns gy into the
gradient before the ReLU, gy * [y > 0] (summed for dL/db in that pass):
the same numbers as conv2d followed by relu, with two passes over the
output fewer (cuDNN fuses them the same way). When max pooling follows,
models run the three as one function whose backward needs the gradient at
the pooled maxima only (``functional/conv_pool.py``).

In training (a gradient needed, numpy arrays), a 3 x 3 convolution of
stride 1 over at least 16 channels runs by Winograd's F(2 x 2, 3 x 3)
(``functional/winograd.py``), and a Conv1D of width 3 or 5, stride 1, by
F(4, r) (``functional/winograd_1d.py``): the same sums with 2.25x (2-D)
and 2-2.5x (1-D) fewer multiplications, no patch matrix (the time it saves
on whole training steps: benchmarks/RESULTS.md, "Winograd convolutions in
training").

conv1d is conv2d over an image of height 1.

``im2col`` and ``col2im`` below are the readable array code (one slice per
kernel position); ``minidl.kernels`` runs a compiled loop of the same name
where one applies (numba on the CPU, CUDA on a GPU), checked against them.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend, batch_threads
from minidl.autodiff.function import Function, as_tensor
from minidl.functional.activation import bias_relu, relu_backward_and_channel_sums
from minidl.functional.padding import normalize_padding, normalize_tuple, padding_amounts, window_output_size
from minidl.functional.reduce import channel_sums
from minidl.functional.shape import reshape
from minidl.functional.winograd import WinogradConvolution, applies as winograd_applies
from minidl.functional.winograd_1d import WinogradConvolution1D, applies as winograd_1d_applies
from minidl.kernels import accelerated
from minidl.autodiff.tensor import Tensor


# ---------------------------------------------------------------------------- the array code: windows as rows
def window_slices(i: int, j: int, out_size: tuple, strides: tuple, dilation: tuple) -> tuple:
    """Rows and columns of the padded input that kernel position (i, j) meets, for every output position."""
    (out_h, out_w), row0, col0 = out_size, i * dilation[0], j * dilation[1]
    rows = slice(row0, row0 + strides[0] * (out_h - 1) + 1, strides[0])
    cols = slice(col0, col0 + strides[1] * (out_w - 1) + 1, strides[1])
    return rows, cols


def pad_image(x: Any, pads: tuple, value: float = 0.0) -> Any:
    """Pad the height and width axes of (N, H, W, C) by ``pads = ((top, bottom), (left, right))``."""
    if pads == ((0, 0), (0, 0)):
        return x
    xp = backend.get_array_module(x)
    return xp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), mode="constant", constant_values=value)


@accelerated
def im2col(x: Any, kernel_size: tuple, strides: tuple, dilation: tuple, pads: tuple, out_size: tuple,
           pad_value: float = 0.0, out: Any = None) -> Any:
    """Every window of ``x`` as a patch: cols[n, oh, ow, i, j, c] = x_pad[n, oh*sh + i*dh, ow*sw + j*dw, c].

    x: (N, H, W, C); returns (N, OH, OW, kh, kw, C), written into ``out`` when given.
    """
    xp = backend.get_array_module(x)
    padded = pad_image(x, pads, pad_value)
    kh, kw = kernel_size
    cols = xp.empty((x.shape[0],) + tuple(out_size) + (kh, kw, x.shape[3]), dtype=x.dtype) if out is None else out
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(i, j, out_size, strides, dilation)
            cols[:, :, :, i, j, :] = padded[:, rows, columns, :]
    return cols


@accelerated
def col2im(cols: Any, x_shape: tuple, strides: tuple, dilation: tuple, pads: tuple, out: Any = None) -> Any:
    """The adjoint of im2col: dx[n, r, c, ch] = sum of cols over every (window, position) that read x[n, r, c, ch].

    cols: (N, OH, OW, kh, kw, C); returns ``x_shape`` (padding removed), written into ``out`` when given.
    """
    xp = backend.get_array_module(cols)
    n, height, width, channels = x_shape
    _, out_h, out_w, kh, kw, _ = cols.shape
    (top, bottom), (left, right) = pads
    padded = xp.zeros((n, height + top + bottom, width + left + right, channels), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(i, j, (out_h, out_w), strides, dilation)
            padded[:, rows, columns, :] += cols[:, :, :, i, j, :]
    if out is None:
        return padded[:, top : top + height, left : left + width, :]
    out[...] = padded[:, top : top + height, left : left + width, :]
    return out


@accelerated
def kernel_gradient(cols: Any, gy_rows: Any) -> Any:
    """dL/dK = cols^T gy: (kh*kw*Cin, Cout), summed over every output position of the batch."""
    return cols.T @ gy_rows


# ---------------------------------------------------------------------------- the differentiable function
#: In training, the patches and the forward product are computed slice by slice for convolutions of at most
#: this many filters whose patches are wider than their output (see the module docstring).
SLICED_PRODUCT_MAX_FILTERS = 64
#: Among those, patches of these widths (values per window) are not kept but built again, slice by slice,
#: for dL/dK (``Conv2D.kernel_gradient_by_slices``), where the batch takes more than one slice.
RECOMPUTED_PATCH_WIDTHS = range(49, 301)
#: In training, the slices of patches, of dL/dcols and of the forward product take about this many bytes
#: (inference keeps ``backend.CACHE_SLICE_BYTES``). Each slice is two parallel regions (a compiled kernel
#: and a threaded product), and each region waits for its slowest thread: on the shared 2-core machine at
#: load 11-17, 8 MiB slices made whole training steps 0.61-0.86x as long as 2 MiB ones (module docstring).
#: A quarter of the 32 MiB L3 cache: the slices still come back from the cache.
TRAINING_SLICE_BYTES = 8 * 2**20


class Conv2D(Function):
    """2-D convolution with optional bias and fused ReLU; see the module docstring for both equations."""

    #: the Winograd products of a training convolution (``functional/winograd.py``, ``winograd_1d.py``), or None
    winograd = None

    def __init__(self, strides: tuple, padding: str, dilation_rate: tuple, relu: bool = False) -> None:
        self.strides, self.padding, self.dilation, self.relu = strides, padding, dilation_rate, relu

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        self.has_bias = bias is not None
        if not any(self.needs_input_grad) and backend.get_array_module(x) is numpy:
            return self.inference(x, kernel, bias)
        y = self.product(x, kernel, keep_for_kernel_gradient=self.needs_input_grad[1])
        if self.relu:
            self.y = bias_relu(y, bias)                               # y = max(y + b, 0), in place
        elif self.has_bias:
            y += bias
        return y.reshape((x.shape[0],) + self.out_size + (kernel.shape[3],))

    def inference(self, x: Any, kernel: Any, bias: Any) -> Any:
        """The output where no gradient is needed, on the CPU: a few samples at a time, patches, product, bias
        (and ReLU) while the slice is in the cache, the batch split over the cores (``core/batch_threads.py``)."""
        self.set_geometry(x, kernel)
        n, filters, rows = x.shape[0], kernel.shape[3], self.out_size[0] * self.out_size[1]
        kernel_rows = kernel.reshape(-1, filters)
        y = backend.empty((n * rows, filters), numpy.result_type(x, kernel), x)
        parts = batch_threads.parts_for(n)
        step = max(1, backend.samples_per_cache_slice(x, rows * kernel_rows.shape[0] * x.dtype.itemsize, n) // parts)

        def compute(start: int, stop: int) -> None:
            for first in range(start, stop, step):
                last = min(stop, first + step)
                out = backend.matmul(self.patches(x[first:last]), kernel_rows, y[first * rows : last * rows])
                if self.relu:
                    bias_relu(out, bias)
                elif bias is not None:
                    out += bias

        batch_threads.run_in_parts(compute, n)
        return y.reshape((n,) + self.out_size + (filters,))

    def product(self, x: Any, kernel: Any, keep_for_kernel_gradient: bool) -> Any:
        """cols @ K: (N * OH * OW, Cout), the output before bias and activation; sets the geometry.

        With ``keep_for_kernel_gradient`` the patches are kept for dL/dK, or
        x is kept to build them again slice by slice (module docstring).
        """
        self.set_geometry(x, kernel)
        if winograd_applies(x, kernel, self.strides, self.dilation):  # F(2 x 2, 3 x 3): no patch matrix
            self.winograd = WinogradConvolution(self.pads, self.out_size)
            return self.winograd.forward(x, kernel, keep_for_kernel_gradient, self.needs_input_grad[0])
        if winograd_1d_applies(x, kernel, self.strides, self.dilation):  # a Conv1D by F(4, r)
            self.winograd = WinogradConvolution1D(self.pads, self.out_size, kernel.shape[1])
            return self.winograd.forward(x, kernel, keep_for_kernel_gradient, self.needs_input_grad[0])
        filters = kernel.shape[3]
        kernel_rows = kernel.reshape(-1, filters)                     # K: (kh*kw*Cin, Cout)
        patch = kernel_rows.shape[0]
        patch_bytes = self.out_size[0] * self.out_size[1] * patch * x.dtype.itemsize
        self.cols = self.x = None
        if not keep_for_kernel_gradient:                              # inference: cache-sized slices, nothing kept
            return backend.map_batch_in_slices(
                lambda part, out: backend.matmul(self.patches(part), kernel_rows, out), x, patch_bytes)
        step = backend.samples_per_cache_slice(x, patch_bytes, x.shape[0], TRAINING_SLICE_BYTES)
        narrow = filters <= SLICED_PRODUCT_MAX_FILTERS and patch > filters  # the skinny products of the docstring
        if not (narrow and step < x.shape[0] and patch in RECOMPUTED_PATCH_WIDTHS):
            self.cols, y = self.patches_and_product(x, kernel_rows, step if narrow else x.shape[0])
            return y                                                  # dL/dK = cols^T gy: the patches kept
        self.x, self.step = x, step                                   # dL/dK builds the patches again
        y = backend.empty((x.shape[0] * self.out_size[0] * self.out_size[1], filters),
                          backend.get_array_module(x).result_type(x, kernel_rows), x)
        rows = self.out_size[0] * self.out_size[1]
        for start in range(0, x.shape[0], step):
            stop = min(x.shape[0], start + step)
            backend.matmul(self.patches(x[start:stop]), kernel_rows, y[start * rows : stop * rows])
        return y

    def set_geometry(self, x: Any, kernel: Any) -> None:
        """The output size and the padding of each side, for ``x`` and ``kernel`` (both kept, x by its shape)."""
        self.out_size = window_output_size("conv2d", x.shape, (1, 2), kernel.shape[:2], self.strides, self.dilation,
                                           self.padding)
        self.pads = tuple(padding_amounts(x.shape[axis], k, s, d, self.padding)
                          for axis, k, s, d in zip((1, 2), kernel.shape[:2], self.strides, self.dilation))
        self.kernel, self.x_shape = kernel, x.shape

    def patches_and_product(self, x: Any, kernel_rows: Any, step: int) -> tuple:
        """(cols, cols @ K), ``step`` samples at a time.

        Each slice of patches (about 2 MiB for the narrow outputs, see the
        module docstring) is multiplied while it is still in the processor's
        cache, instead of being read back from memory after the whole matrix
        is written. For wide outputs ``step`` is the batch: one product.
        """
        if step >= x.shape[0]:
            cols = self.patches(x)
            return cols, backend.matmul(cols, kernel_rows)
        (patch, filters), n, rows = kernel_rows.shape, x.shape[0], self.out_size[0] * self.out_size[1]
        cols = backend.empty((n * rows, patch), x.dtype, x)
        y = backend.empty((n * rows, filters), backend.get_array_module(x).result_type(x, kernel_rows), x)
        for start in range(0, n, step):
            stop = min(n, start + step)
            part = self.patches(x[start:stop], out=cols[start * rows : stop * rows])
            backend.matmul(part, kernel_rows, y[start * rows : stop * rows])
        return cols, y

    def patches(self, x: Any, out: Any = None) -> Any:
        """im2col of ``x`` as a matrix: (N * OH * OW, kh * kw * Cin), one window a row (into ``out`` if given)."""
        kh, kw, channels, _ = self.kernel.shape
        shape = (x.shape[0],) + self.out_size + (kh, kw, channels)
        cols = im2col(x, (kh, kw), self.strides, self.dilation, self.pads, self.out_size,
                      0.0, backend.empty(shape, x.dtype, x) if out is None else out.reshape(shape))
        return cols.reshape(-1, kh * kw * channels)

    def backward(self, gy: Any) -> tuple:
        gy_rows = gy.reshape(-1, self.kernel.shape[3])                # (N*OH*OW, Cout)
        g_bias = None
        if self.relu:                                                 # gy * [y > 0], and its sums (dL/db)
            gy_rows, g_bias = relu_backward_and_channel_sums(gy_rows, self.y)
        return self.product_backward(gy_rows, g_bias)

    def product_backward(self, gy_rows: Any, g_bias: Any = None) -> tuple:
        """The gradients of the inputs from gy_rows = dL/d(cols @ K + b); ``g_bias`` if already summed."""
        g_x = g_kernel = None
        if self.winograd is not None:
            g_x, g_kernel = self.winograd.backward(gy_rows, self.needs_input_grad[0], self.needs_input_grad[1])
        elif self.needs_input_grad[0]:                                # dL/dcols = gy K^T, then col2im
            g_x = self.input_gradient(gy_rows)
        if self.needs_input_grad[1] and self.winograd is None:        # dL/dK = cols^T gy
            g_kernel = (kernel_gradient(self.cols, gy_rows) if self.cols is not None
                        else self.kernel_gradient_by_slices(gy_rows)).reshape(self.kernel.shape)
        if not self.has_bias:
            return g_x, g_kernel
        if not self.needs_input_grad[2]:
            g_bias = None
        elif g_bias is None:                                          # dL/db = sum of gy per channel
            g_bias = channel_sums(gy_rows)
        return g_x, g_kernel, g_bias

    def kernel_gradient_by_slices(self, gy_rows: Any) -> Any:
        """dL/dK = sum over slices of cols_s^T gy_s, each slice's patches built again from x while in cache."""
        x, step, rows = self.x, self.step, self.out_size[0] * self.out_size[1]
        total = None
        for start in range(0, x.shape[0], step):
            stop = min(x.shape[0], start + step)
            part = kernel_gradient(self.patches(x[start:stop]), gy_rows[start * rows : stop * rows])
            if total is None:
                total = part
            else:
                total += part
        return total

    def input_gradient(self, gy_rows: Any) -> Any:
        """dL/dx = col2im(gy K^T), a few samples at a time (see the module docstring)."""
        kernel_t = self.kernel.reshape(-1, self.kernel.shape[3]).T    # K^T: (Cout, kh*kw*Cin)
        n, rows = self.x_shape[0], self.out_size[0] * self.out_size[1]
        window_shape = self.out_size + self.kernel.shape[:3]
        g_x = backend.empty(self.x_shape, gy_rows.dtype, gy_rows)
        step = backend.samples_per_cache_slice(gy_rows, rows * kernel_t.shape[1] * gy_rows.dtype.itemsize, n,
                                               TRAINING_SLICE_BYTES)
        for start in range(0, n, step):
            stop = min(n, start + step)
            g_cols = backend.matmul(gy_rows[start * rows : stop * rows], kernel_t)
            col2im(g_cols.reshape((stop - start,) + window_shape), (stop - start,) + self.x_shape[1:], self.strides,
                   self.dilation, self.pads, out=g_x[start:stop])
        return g_x


def check_conv_shapes(name: str, x_shape: tuple, kernel_shape: tuple, bias: Any, rank: int) -> None:
    """One clear error for an input, kernel or bias whose shape does not fit a convolution of ``rank``."""
    x_layout = "(batch, length, channels)" if rank == 1 else "(batch, height, width, channels)"
    k_layout = "(k, in, out)" if rank == 1 else "(kh, kw, in, out)"
    if len(x_shape) != rank + 2:
        raise ValueError(f"{name}: input must be {x_layout}, got shape {x_shape}")
    if len(kernel_shape) != rank + 2:
        raise ValueError(f"{name}: kernel must be {k_layout}, got shape {kernel_shape}")
    if x_shape[-1] != kernel_shape[-2]:
        raise ValueError(
            f"{name}: input of shape {x_shape} has {x_shape[-1]} channels but the kernel of "
            f"shape {kernel_shape} expects {kernel_shape[-2]}"
        )
    if bias is not None and tuple(bias.shape) != (kernel_shape[-1],):
        raise ValueError(
            f"{name}: bias must have shape ({kernel_shape[-1]},) for a kernel of shape "
            f"{kernel_shape}, got {tuple(bias.shape)}"
        )


FUSED_ACTIVATIONS = (None, "linear", "relu")


def _fused_relu(name: str, activation: str | None) -> bool:
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"{name}: activation must be one of {FUSED_ACTIVATIONS}, got {activation!r}")
    return activation == "relu"


def conv2d(
    x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
    dilation_rate: Any = 1, activation: str | None = None,
) -> Tensor:
    """2-D convolution of channels-last ``x (N, H, W, Cin)`` with ``kernel (kh, kw, Cin, Cout)``.

    ``padding='same'`` pads so that the output has ceil(n / stride) positions
    along each axis (Keras's rule); ``'valid'`` uses only complete windows.
    ``activation="relu"`` applies a ReLU in the same pass as the bias (see
    the module docstring); None or "linear" applies none.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_tuple(strides, 2, "conv2d strides")
    dilation = normalize_tuple(dilation_rate, 2, "conv2d dilation_rate")
    padding = normalize_padding(padding)
    check_conv_shapes("conv2d", x.shape, kernel.shape, bias, rank=2)
    window_output_size("conv2d", x.shape, (1, 2), kernel.shape[:2], strides, dilation, padding)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D(strides, padding, dilation, _fused_relu("conv2d", activation))(*inputs)


def conv1d(
    x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
    dilation_rate: Any = 1, activation: str | None = None,
) -> Tensor:
    """1-D convolution of ``x (N, L, Cin)`` with ``kernel (k, Cin, Cout)``, as conv2d over height 1."""
    _fused_relu("conv1d", activation)
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_tuple(strides, 1, "conv1d strides")
    dilation = normalize_tuple(dilation_rate, 1, "conv1d dilation_rate")
    check_conv_shapes("conv1d", x.shape, kernel.shape, bias, rank=1)
    window_output_size("conv1d", x.shape, (1,), kernel.shape[:1], strides, dilation, normalize_padding(padding))
    image = reshape(x, (x.shape[0], 1) + x.shape[1:])
    kernel_2d = reshape(kernel, (1,) + kernel.shape)
    y = conv2d(image, kernel_2d, bias, (1,) + strides, padding, (1,) + dilation, activation)
    return reshape(y, (y.shape[0],) + y.shape[2:])
