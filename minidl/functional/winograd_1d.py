"""The stride-1 Conv1D by Winograd's minimal filtering F(m, r), forward and backward.

The 1-D counterpart of ``functional/winograd.py`` (read that first). The output is cut into tiles of ``m``
positions; tile t reads the n = m + r - 1 input positions from t * m - left. With the transforms
B^T (n x n), G (n x r) and A^T (m x n) of ``transform_matrices``, per output channel o

    y_t[., o] = A^T ( sum_c U[., c, o] * V_t[., c] ),   U = G g,  V_t = B^T d_t

and for each of the n transformed positions xi the sum over c is one product over every tile of the batch:
M[xi] = V[xi] @ U[xi], V: (n, tiles, Cin), U: (n, Cin, Cout). That is n * Cin * Cout multiply-adds per tile of
m outputs, against m * r * Cin * Cout for im2col and one product: F(4, 5) does 8 where im2col does 20 (2.5x
fewer), F(4, 3) 6 where it does 12. The backward, as in 2-D:

    dM[xi] = (A dY_t)[xi],   dV[xi] = dM[xi] @ U[xi]^T,  dd_t = B dV_t (added back where d_t was read),
    dU[xi] = V[xi]^T @ dM[xi],  dL/dg = G^T dU

The transforms come from the Toom-Cook construction over the points 0, 1, -1, 2, -2, 1/2, -1/2 (as many as
needed) and infinity: A^T and G from the points, B^T solved from the identity the three must satisfy
(``transform_matrices``). Their entries are small dyadic fractions (B^T of F(4, 5): 0, +-1, +-1/4, +-1/2, +-2,
+-5/4, +-5/2, +-4, +-17/4, +-5, +-21/4). In float32 the results differ from the direct convolution's by a few
units in the last place of the larger terms (tests/test_winograd.py bounds them against im2col).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.core import backend
from minidl.functional.winograd import plane_products, plane_rows, transform_matrices
from minidl.kernels import accelerated

#: Outputs per tile, by kernel width: the Conv1D kernels that take the Winograd path.
OUTPUTS_PER_TILE = {3: 4, 5: 4}
#: As in 2-D, the path needs at least this many input channels (thinner products are slow in BLAS).
MIN_INPUT_CHANNELS = 16


def tile_count(out_length: int, m: int) -> int:
    """Tiles of ``m`` outputs along the length (the last may stick out)."""
    return (out_length + m - 1) // m


@accelerated
def winograd1d_input_tiles(x: Any, left: int, bt: Any, m: int, tiles: int, out: Any = None) -> Any:
    """V = B^T d for every tile: (n, N * tiles, C); x: (N, L, C), ``bt`` in x's dtype; into ``out``'s first rows."""
    xp = backend.get_array_module(x)
    n_points = bt.shape[0]
    batch, length, channels = x.shape
    padded = xp.zeros((batch, tiles * m + n_points, channels), dtype=x.dtype)
    kept = min(length, padded.shape[1] - left)
    padded[:, left : left + kept] = x[:, :kept]
    patches = xp.stack([padded[:, i : i + m * tiles : m] for i in range(n_points)], axis=2)  # (N, tiles, n, C)
    v = xp.einsum("ai,ntic->antc", bt, patches).reshape(n_points, -1, channels)
    if out is None:
        return xp.ascontiguousarray(v)
    out[:, : v.shape[1]] = v
    return out


@accelerated
def winograd1d_output(mm: Any, at: Any, out_length: int, batch: int, out: Any = None) -> Any:
    """y = A^T M for every tile, laid back as (N, L_out, Cout); mm: (n, >= N * tiles, Cout), ``at`` (m x n)."""
    xp = backend.get_array_module(mm)
    m = at.shape[0]
    tiles = tile_count(out_length, m)
    tiles_m = mm[:, : batch * tiles].reshape(mm.shape[0], batch, tiles, mm.shape[2])
    y = xp.einsum("ja,anto->ntjo", at, tiles_m).reshape(batch, tiles * m, mm.shape[2])[:, :out_length]
    if out is None:
        return xp.ascontiguousarray(y)
    out[...] = y
    return out


@accelerated
def winograd1d_output_gradient_tiles(gy: Any, at: Any, out: Any = None) -> Any:
    """dM = A dY for every tile: (n, N * tiles, Cout), dY zero past the output; into ``out``'s first rows."""
    xp = backend.get_array_module(gy)
    m = at.shape[0]
    batch, out_length, filters = gy.shape
    tiles = tile_count(out_length, m)
    padded = xp.zeros((batch, tiles * m, filters), dtype=gy.dtype)
    padded[:, :out_length] = gy
    dm = xp.einsum("ja,ntjo->anto", at, padded.reshape(batch, tiles, m, filters)).reshape(at.shape[1], -1, filters)
    if out is None:
        return xp.ascontiguousarray(dm)
    out[:, : dm.shape[1]] = dm
    return out


@accelerated
def winograd1d_input_gradient(dv: Any, bt: Any, x_shape: tuple, left: int, m: int, tiles: int, out: Any = None) -> Any:
    """dL/dx: dd = B dV for every tile, added back where the tile's n inputs were read (padding dropped).

    dv: (n, >= N * tiles, C); returns ``x_shape`` (N, L, C), written into ``out`` if given.
    """
    xp = backend.get_array_module(dv)
    batch, length, channels = x_shape
    n_points = bt.shape[0]
    dd = xp.einsum("ai,antc->ntic", bt, dv[:, : batch * tiles].reshape(n_points, batch, tiles, channels))
    padded = xp.zeros((batch, tiles * m + n_points, channels), dtype=dv.dtype)
    for i in range(n_points):
        padded[:, i : i + m * tiles : m] += dd[:, :, i]
    kept = min(length, padded.shape[1] - left)
    gx = xp.zeros(x_shape, dtype=dv.dtype) if out is None else out
    if out is not None:
        gx[...] = 0
    gx[:, :kept] = padded[:, left : left + kept]
    return gx


def applies(x: Any, kernel: Any, strides: tuple, dilation: tuple) -> bool:
    """Whether ``WinogradConvolution1D`` computes this Conv2D: a Conv1D (height 1) of a width in
    ``OUTPUTS_PER_TILE``, stride and dilation 1, at least ``MIN_INPUT_CHANNELS`` channels, numpy arrays of one dtype."""
    return (x.shape[1] == 1 and kernel.shape[0] == 1 and kernel.shape[1] in OUTPUTS_PER_TILE
            and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1) and kernel.shape[2] >= MIN_INPUT_CHANNELS
            and type(x) is numpy.ndarray and type(kernel) is numpy.ndarray and x.dtype == kernel.dtype)


def _tile_buffer(planes: int, tiles: int, channels: int, like: Any) -> Any:
    rows = plane_rows(tiles, channels, like.dtype.itemsize)
    return backend.empty((planes, rows, channels), like.dtype, like)


class WinogradConvolution1D:
    """The products of a training Conv1D (a Conv2D over height 1) by F(m, r); as ``WinogradConvolution``.

    x: (N, 1, L, Cin), kernel (1, r, Cin, Cout); outputs and gradients are rows (N * L_out, Cout).
    """

    def __init__(self, pads: tuple, out_size: tuple, width: int) -> None:
        self.left, self.out_length = pads[1][0], out_size[1]
        self.m = OUTPUTS_PER_TILE[width]
        self.tiles = tile_count(self.out_length, self.m)

    def forward(self, x: Any, kernel: Any, keep_input_tiles: bool, keep_kernel_tiles: bool) -> Any:
        """y = x * kernel (cross-correlation), (N * L_out, Cout)."""
        batch, _, length, channels = x.shape
        r, filters = kernel.shape[1], kernel.shape[3]
        self.x_shape, self.kernel_shape = x.shape, kernel.shape
        at, g, bt = transform_matrices(self.m, r)
        self.at, self.bt, self.g = at.astype(x.dtype), bt.astype(x.dtype), g
        self.count = batch * self.tiles
        n_points = bt.shape[0]
        v = winograd1d_input_tiles(x.reshape(batch, length, channels), self.left, self.bt, self.m, self.tiles,
                                   _tile_buffer(n_points, self.count, channels, x))
        u = numpy.einsum("ak,kco->aco", g, kernel[0]).astype(x.dtype)           # U = G g: (n, Cin, Cout)
        mm = _tile_buffer(n_points, self.count, filters, x)
        plane_products(v[:, : self.count], u, mm[:, : self.count])
        y = winograd1d_output(mm, self.at, self.out_length, batch)
        self.v = v if keep_input_tiles else None
        self.u_t = numpy.ascontiguousarray(u.transpose(0, 2, 1)) if keep_kernel_tiles else None
        return y.reshape(-1, filters)

    def backward(self, gy_rows: Any, input_gradient: bool, kernel_gradient: bool) -> tuple:
        """(dL/dx or None, dL/dK or None) from gy_rows = dL/dy, (N * L_out, Cout)."""
        batch, _, length, channels = self.x_shape
        filters, count, n_points = self.kernel_shape[3], self.count, self.bt.shape[0]
        gy = numpy.ascontiguousarray(gy_rows.reshape(batch, self.out_length, filters))
        dm = winograd1d_output_gradient_tiles(gy, self.at, _tile_buffer(n_points, count, filters, gy))
        g_x = g_kernel = None
        if input_gradient:
            dv = _tile_buffer(n_points, count, channels, dm)
            plane_products(dm[:, :count], self.u_t, dv[:, :count])
            g_x = winograd1d_input_gradient(dv, self.bt, (batch, length, channels), self.left, self.m,
                                            self.tiles).reshape(self.x_shape)
        if kernel_gradient:
            du = plane_products(self.v[:, :count], dm[:, :count], numpy.empty((n_points, channels, filters), dm.dtype),
                                transpose_a=True)
            g_kernel = numpy.einsum("ak,aco->kco", self.g, du).astype(du.dtype)[None]  # G^T dU: (1, r, Cin, Cout)
        return g_x, g_kernel
