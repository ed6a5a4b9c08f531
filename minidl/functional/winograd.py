"""The 3 x 3, stride-1 convolution by Winograd's minimal filtering F(2 x 2, 3 x 3), forward and backward.

Lavin and Gray (2016, "Fast algorithms for convolutional neural networks"). The output is cut into tiles of
2 x 2 positions; tile t reads a 4 x 4 patch d_t of the (zero-padded) input, its rows and columns starting at
2 * (tile row, tile column) - (top, left). With

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]      (4 x 4, the input transform)
    G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]       (4 x 3, the kernel transform)
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]                                  (2 x 4, the output transform)

each output tile is, per output channel o,

    Y_t[., ., o] = A^T ( sum_c U[., ., c, o] * V_t[., ., c] ) A,   U = G g G^T,  V_t = B^T d_t B

(``*`` elementwise over the 16 positions xi of the 4 x 4 transformed tile). For each xi the sum over c is one
matrix product over every tile of the batch at once:

    M[xi] = V[xi] @ U[xi]       V: (16, tiles, Cin),  U: (16, Cin, Cout),  M: (16, tiles, Cout)

16 products of (tiles x Cin) @ (Cin x Cout): 16 * Cin * Cout multiply-adds per tile of 4 outputs, against
36 * Cin * Cout for im2col and one product (2.25x fewer). The transforms are additions only (the 1/2 of G
are applied to the kernel once). The backward is the chain rule through the same linear maps:

    dM[xi] = (A dY_t A^T)[xi]                           (the output gradient tiles; 0 beyond the output)
    dV[xi] = dM[xi] @ U[xi]^T,    dd_t = B dV_t B^T     (added back into dL/dx where each patch was read)
    dU[xi] = V[xi]^T @ dM[xi],    dL/dg = G^T dU G

The results equal the direct convolution's up to rounding: the transforms regroup the sums (in float32,
differences of a few units in the last place of the largest terms, as for any other order of the sums).
The functions below are the readable array code; ``minidl.kernels.winograd`` runs compiled loops of the same
names (one pass over the input or output each, the channels innermost), checked against them.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy

from minidl.core import backend, batch_threads
from minidl.kernels import accelerated

INPUT_TRANSFORM_T = numpy.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=numpy.float64)
KERNEL_TRANSFORM = numpy.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=numpy.float64)
OUTPUT_TRANSFORM_T = numpy.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=numpy.float64)


def tile_counts(out_size: tuple) -> tuple:
    """Tiles of 2 x 2 output positions along the height and the width (the last ones may stick out)."""
    return (out_size[0] + 1) // 2, (out_size[1] + 1) // 2


_POINTS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)


@functools.lru_cache(maxsize=None)
def transform_matrices(m: int, r: int) -> tuple:
    """(A^T (m x n), G (n x r), B^T (n x n)) of the 1-D F(m, r), float64, n = m + r - 1.

    The Toom-Cook construction over the points 0, 1, -1, 2, -2, 1/2, -1/2 (as many as needed) and infinity:
    A^T[i, j] = p_j^i and G[j, k] = p_j^k / prod_{l != j} (p_j - p_l), the point at infinity taking the last
    column of A^T and row of G; B^T is then solved from the identity the three satisfy,
    sum_xi A^T[i, xi] G[xi, k] B^T[xi, l] = [l == i + k] (a correlation), and checked. F(2, 3)'s are the
    matrices of the module docstring up to the signs of a row; ``functional/winograd_1d.py`` uses them.
    """
    n = m + r - 1
    points = _POINTS[: n - 1]
    at, g = numpy.zeros((m, n)), numpy.zeros((n, r))
    for j, p in enumerate(points):
        scale = numpy.prod([p - q for k, q in enumerate(points) if k != j])
        at[:, j] = [p**i for i in range(m)]
        g[j] = [p**k / scale for k in range(r)]
    at[m - 1, n - 1] = g[n - 1, r - 1] = 1.0
    products = numpy.array([at[i] * g[:, k] for i in range(m) for k in range(r)])
    wanted = numpy.array([[float(l == i + k) for l in range(n)] for i in range(m) for k in range(r)])
    bt = numpy.linalg.lstsq(products, wanted, rcond=None)[0]
    bt = numpy.round(bt * 2**12) / 2**12                       # the exact fractions, without the solver's rounding
    if numpy.abs(products @ bt - wanted).max() > 1e-12:
        raise RuntimeError(f"no Winograd transform F({m}, {r}) from the points {points}")
    return at, g, bt


def _padded_patches(x: Any, pads: tuple, tiles: tuple) -> Any:
    """Every tile's 4 x 4 input patch: (N, tiles_h, tiles_w, 4, 4, C), zeros outside x."""
    xp = backend.get_array_module(x)
    n, height, width, channels = x.shape
    (top, _), (left, _) = pads
    padded = xp.zeros((n, 2 * tiles[0] + 2, 2 * tiles[1] + 2, channels), dtype=x.dtype)
    rows, cols = min(height, padded.shape[1] - top), min(width, padded.shape[2] - left)
    padded[:, top : top + rows, left : left + cols] = x[:, :rows, :cols]
    patches = xp.empty((n, tiles[0], tiles[1], 4, 4, channels), dtype=x.dtype)
    for i in range(4):
        for j in range(4):
            patches[:, :, :, i, j] = padded[:, i : i + 2 * tiles[0] : 2, j : j + 2 * tiles[1] : 2]
    return patches


@accelerated
def winograd_input_tiles(x: Any, pads: tuple, tiles: tuple, out: Any = None) -> Any:
    """V = B^T d B for every tile: (16, N * tiles_h * tiles_w, C), position xi = 4 * row + column of the 4 x 4.

    x: (N, H, W, C); ``pads`` ((top, bottom), (left, right)) of the convolution; written into the first rows of
    ``out``'s planes if given (``plane_rows``).
    """
    xp = backend.get_array_module(x)
    patches = _padded_patches(x, pads, tiles)
    bt = xp.asarray(INPUT_TRANSFORM_T, dtype=x.dtype)
    v = xp.einsum("ai,ntsijc,bj->abntsc", bt, patches, bt)
    v = v.reshape(16, -1, x.shape[3])
    if out is None:
        return xp.ascontiguousarray(v)
    out[:, : v.shape[1]] = v
    return out


@accelerated
def winograd_output(m: Any, out_size: tuple, tiles: tuple, out: Any = None, n: Any = None) -> Any:
    """Y = A^T M A for every tile, the tiles laid back as the output (N, OH, OW, Cout); into ``out`` if given.

    m: (16, N * tiles_h * tiles_w, Cout), or (16, rows, Cout) with ``n`` given: its first rows are the tiles'.
    """
    xp = backend.get_array_module(m)
    at = xp.asarray(OUTPUT_TRANSFORM_T, dtype=m.dtype)
    filters = m.shape[2]
    n = m.shape[1] // (tiles[0] * tiles[1]) if n is None else n
    m = m[:, : n * tiles[0] * tiles[1]]
    tiles_m = m.reshape(4, 4, n, tiles[0], tiles[1], filters)
    y_tiles = xp.einsum("ia,abntso,jb->ntisjo", at, tiles_m, at)        # (N, th, 2, tw, 2, Cout)
    y = y_tiles.reshape(n, 2 * tiles[0], 2 * tiles[1], filters)[:, : out_size[0], : out_size[1]]
    if out is None:
        return xp.ascontiguousarray(y)
    out[...] = y
    return out


@accelerated
def winograd_output_gradient_tiles(gy: Any, tiles: tuple, out: Any = None) -> Any:
    """dM = A dY A^T for every tile: (16, N * tiles_h * tiles_w, Cout), dY zero beyond the output.

    gy: (N, OH, OW, Cout); written into the first rows of ``out``'s planes if given (``plane_rows``).
    """
    xp = backend.get_array_module(gy)
    n, out_h, out_w, filters = gy.shape
    padded = xp.zeros((n, 2 * tiles[0], 2 * tiles[1], filters), dtype=gy.dtype)
    padded[:, :out_h, :out_w] = gy
    at = xp.asarray(OUTPUT_TRANSFORM_T, dtype=gy.dtype)
    g_tiles = padded.reshape(n, tiles[0], 2, tiles[1], 2, filters)
    dm = xp.einsum("ia,ntisjo,jb->abntso", at, g_tiles, at).reshape(16, -1, filters)
    if out is None:
        return xp.ascontiguousarray(dm)
    out[:, : dm.shape[1]] = dm
    return out


@accelerated
def winograd_input_gradient(dv: Any, x_shape: tuple, pads: tuple, tiles: tuple, out: Any = None) -> Any:
    """dL/dx: dd = B dV B^T for every tile, added back where the tile's 4 x 4 patch was read (padding dropped).

    dv: (16, N * tiles_h * tiles_w, C), or longer planes whose first rows are the tiles'; returns ``x_shape``,
    written into ``out`` if given.
    """
    xp = backend.get_array_module(dv)
    n, height, width, channels = x_shape
    dv = dv[:, : n * tiles[0] * tiles[1]]
    (top, _), (left, _) = pads
    bt = xp.asarray(INPUT_TRANSFORM_T, dtype=dv.dtype)
    dd = xp.einsum("ai,abntsc,bj->ntsijc", bt, dv.reshape(4, 4, n, tiles[0], tiles[1], channels), bt)
    padded = xp.zeros((n, 2 * tiles[0] + 2, 2 * tiles[1] + 2, channels), dtype=dv.dtype)
    for i in range(4):
        for j in range(4):
            padded[:, i : i + 2 * tiles[0] : 2, j : j + 2 * tiles[1] : 2] += dd[:, :, :, i, j]
    rows, cols = min(height, padded.shape[1] - top), min(width, padded.shape[2] - left)
    gx = xp.zeros(x_shape, dtype=dv.dtype) if out is None else out
    if out is not None:
        gx[...] = 0
    gx[:, :rows, :cols] = padded[:, top : top + rows, left : left + cols]
    return gx


def plane_rows(tiles: int, channels: int, itemsize: int) -> int:
    """Rows of each of the 16 planes of a tile buffer (16, rows, channels): ``tiles`` or a few more.

    The transforms read or write the 16 planes side by side, 16 streams one plane apart. Where a plane takes a
    multiple of 4 KiB (cifar_bn's 32 x 32 x 32 layer: 16,384 tiles x 32 channels, 2 MiB), the 16 streams fall
    on the same cache sets and evict each other (the measured cost: benchmarks/RESULTS.md, "Winograd
    convolutions in training"). The planes are made longer by the fewest rows that put the 16 streams on 16
    different 64-byte lines of a 4 KiB page.
    """
    row = channels * itemsize
    for extra in range(64):
        stride = (tiles + extra) * row
        if len({(k * stride) % 4096 // 64 for k in range(16)}) == 16:
            return tiles + extra
    return tiles + 1


def tile_buffer(tiles: int, channels: int, like: Any) -> Any:
    """An uninitialised (16, plane_rows, channels) buffer of ``like``'s dtype; its [:, :tiles] hold the tiles."""
    return backend.empty((16, plane_rows(tiles, channels, like.dtype.itemsize), channels), like.dtype, like)


#: Whether the products over the planes (forward and dL/dx; dL/dK's always) run in parts of the planes with BLAS on
#: one thread each (``plane_products``) rather than as one stacked numpy product with BLAS's own threads.
PLANES_IN_PARTS = True


def plane_products(a: Any, b: Any, out: Any, transpose_a: bool = False, in_parts: bool | None = None) -> Any:
    """out[xi] = a[xi] @ b[xi] (or a[xi]^T @ b[xi]) for every plane xi, 3-D arrays of 2-D C-ordered planes.

    In parts of the planes, one per core, BLAS on one thread in each (``core/batch_threads.py``), where
    ``PLANES_IN_PARTS`` (or ``in_parts``) says so, and always for transposed ``a`` (dL/dK's products, with a
    small output and a long sum, run far slower on OpenBLAS's 2 threads than on one: benchmarks/RESULTS.md).
    """
    in_parts = PLANES_IN_PARTS if in_parts is None else in_parts
    if not (in_parts or transpose_a):
        return numpy.matmul(a, b, out=out)

    def products(first: int, last: int) -> None:
        for xi in range(first, last):
            numpy.matmul(a[xi].T if transpose_a else a[xi], b[xi], out=out[xi])

    batch_threads.run_in_parts(products, a.shape[0])
    return out


def kernel_tiles(kernel: Any) -> Any:
    """U = G g G^T for every (input, output) channel pair: (16, Cin, Cout), from kernel (3, 3, Cin, Cout)."""
    xp = backend.get_array_module(kernel)
    g = xp.asarray(KERNEL_TRANSFORM, dtype=kernel.dtype)
    u = xp.einsum("ai,ijco,bj->abco", g, kernel, g)
    return xp.ascontiguousarray(u.reshape(16, kernel.shape[2], kernel.shape[3]))


def kernel_gradient_from_tiles(du: Any) -> Any:
    """dL/dg = G^T dU G: (3, 3, Cin, Cout), from dU (16, Cin, Cout)."""
    xp = backend.get_array_module(du)
    g = xp.asarray(KERNEL_TRANSFORM, dtype=du.dtype)
    return xp.einsum("ai,abco,bj->ijco", g, du.reshape(4, 4, du.shape[1], du.shape[2]), g)


# ---------------------------------------------------------------------------- the convolution, forward and backward
#: The Winograd path runs for 3 x 3 kernels of stride 1 and dilation 1 on numpy arrays with at least this many input
#: channels (fewer: the 16 products of (tiles x Cin) @ (Cin x Cout) are too thin for BLAS; a first layer over 3
#: channels keeps im2col, whose patches are 27 values wide).
MIN_INPUT_CHANNELS = 16


def applies(x: Any, kernel: Any, strides: tuple, dilation: tuple) -> bool:
    """Whether ``WinogradConvolution`` computes this convolution (module docstring and ``MIN_INPUT_CHANNELS``)."""
    return (tuple(kernel.shape[:2]) == (3, 3) and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1)
            and kernel.shape[2] >= MIN_INPUT_CHANNELS and type(x) is numpy.ndarray and type(kernel) is numpy.ndarray
            and x.dtype == kernel.dtype)


class WinogradConvolution:
    """The products of a training convolution by F(2 x 2, 3 x 3): forward keeps V (for dL/dK) and U (for dL/dx).

    Used by ``minidl.functional.conv.Conv2D`` for the convolutions ``applies`` accepts; bias and activation
    stay with it. Outputs and gradients are rows: (N * OH * OW, Cout), as the im2col path's.
    The 16 products of each step run in parts of the planes (``plane_products``).
    """

    def __init__(self, pads: tuple, out_size: tuple) -> None:
        self.pads, self.out_size, self.tiles = pads, tuple(out_size), tile_counts(out_size)

    def forward(self, x: Any, kernel: Any, keep_input_tiles: bool, keep_kernel_tiles: bool) -> Any:
        """y = x * kernel (cross-correlation), (N * OH * OW, Cout)."""
        self.x_shape, self.kernel_shape = x.shape, kernel.shape
        self.count = x.shape[0] * self.tiles[0] * self.tiles[1]
        v = winograd_input_tiles(x, self.pads, self.tiles, tile_buffer(self.count, x.shape[3], x))
        u = kernel_tiles(kernel)
        m = tile_buffer(self.count, kernel.shape[3], x)
        plane_products(v[:, : self.count], u, m[:, : self.count])
        y = winograd_output(m, self.out_size, self.tiles, None, x.shape[0])
        self.v = v if keep_input_tiles else None
        self.u_t = numpy.ascontiguousarray(u.transpose(0, 2, 1)) if keep_kernel_tiles else None
        return y.reshape(-1, kernel.shape[3])

    def backward(self, gy_rows: Any, input_gradient: bool, kernel_gradient: bool) -> tuple:
        """(dL/dx or None, dL/dK or None) from gy_rows = dL/dy, (N * OH * OW, Cout)."""
        filters, count = self.kernel_shape[3], self.count
        gy = numpy.ascontiguousarray(gy_rows.reshape((self.x_shape[0],) + self.out_size + (filters,)))
        dm = winograd_output_gradient_tiles(gy, self.tiles, tile_buffer(count, filters, gy))
        g_x = g_kernel = None
        if input_gradient:
            dv = tile_buffer(count, self.kernel_shape[2], dm)
            plane_products(dm[:, :count], self.u_t, dv[:, :count])
            g_x = winograd_input_gradient(dv, self.x_shape, self.pads, self.tiles)
        if kernel_gradient:
            du = plane_products(self.v[:, :count], dm[:, :count], numpy.empty((16,) + tuple(self.kernel_shape[2:]),
                                                                               dm.dtype), transpose_a=True)
            g_kernel = kernel_gradient_from_tiles(du)
        return g_x, g_kernel
