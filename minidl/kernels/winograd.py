"""numba kernels of the Winograd F(2 x 2, 3 x 3) convolution: the input, output and gradient transforms.

References beside their operation, with the equations: ``winograd_input_tiles``, ``winograd_output``,
``winograd_output_gradient_tiles`` and ``winograd_input_gradient`` in ``minidl.functional.winograd``. Each
kernel is one pass over its tiles, split over the batch (``prange`` over the samples: a sample's tiles are
written, or for dL/dx added, by one thread only); for each tile, the 16 transformed values are computed per
channel in the innermost loop, which walks the contiguous channel axis. Tiles that reach past the input or
the output take a second loop that checks each position. The transforms are additions and subtractions
only. No CUDA counterpart: the references run on cupy arrays.
"""

from __future__ import annotations

from numba import njit, prange

from minidl.core import backend
from minidl.kernels.compiling import COMPILE, Kernel


@njit(**COMPILE)
def _at(x, b, r, c, ch):  # pragma: no cover - compiled
    """x[b, r, c, ch], or 0 outside the image."""
    if 0 <= r < x.shape[1] and 0 <= c < x.shape[2]:
        return x[b, r, c, ch]
    return x.dtype.type(0)


@njit(**COMPILE)
def _store_input_tile(v, t, ch, d00, d01, d02, d03, d10, d11, d12, d13, d20, d21, d22, d23, d30, d31, d32,
                      d33):  # pragma: no cover - compiled
    """v[:, t, ch] = B^T d B, rows then columns."""
    t00, t01, t02, t03 = d00 - d20, d01 - d21, d02 - d22, d03 - d23
    t10, t11, t12, t13 = d10 + d20, d11 + d21, d12 + d22, d13 + d23
    t20, t21, t22, t23 = d20 - d10, d21 - d11, d22 - d12, d23 - d13
    t30, t31, t32, t33 = d10 - d30, d11 - d31, d12 - d32, d13 - d33
    v[0, t, ch], v[1, t, ch], v[2, t, ch], v[3, t, ch] = t00 - t02, t01 + t02, t02 - t01, t01 - t03
    v[4, t, ch], v[5, t, ch], v[6, t, ch], v[7, t, ch] = t10 - t12, t11 + t12, t12 - t11, t11 - t13
    v[8, t, ch], v[9, t, ch], v[10, t, ch], v[11, t, ch] = t20 - t22, t21 + t22, t22 - t21, t21 - t23
    v[12, t, ch], v[13, t, ch], v[14, t, ch], v[15, t, ch] = t30 - t32, t31 + t32, t32 - t31, t31 - t33


@Kernel
def _input_tiles(x, v, top, left, tiles_h, tiles_w):  # pragma: no cover - compiled
    n, height, width, channels = x.shape
    for b in prange(n):
        for ty in range(tiles_h):
            r = 2 * ty - top
            for tx in range(tiles_w):
                c = 2 * tx - left
                t = (b * tiles_h + ty) * tiles_w + tx
                if r >= 0 and r + 3 < height and c >= 0 and c + 3 < width:
                    for ch in range(channels):
                        _store_input_tile(
                            v, t, ch, x[b, r, c, ch], x[b, r, c + 1, ch], x[b, r, c + 2, ch], x[b, r, c + 3, ch],
                            x[b, r + 1, c, ch], x[b, r + 1, c + 1, ch], x[b, r + 1, c + 2, ch], x[b, r + 1, c + 3, ch],
                            x[b, r + 2, c, ch], x[b, r + 2, c + 1, ch], x[b, r + 2, c + 2, ch], x[b, r + 2, c + 3, ch],
                            x[b, r + 3, c, ch], x[b, r + 3, c + 1, ch], x[b, r + 3, c + 2, ch], x[b, r + 3, c + 3, ch])
                else:
                    for ch in range(channels):
                        _store_input_tile(
                            v, t, ch, _at(x, b, r, c, ch), _at(x, b, r, c + 1, ch), _at(x, b, r, c + 2, ch),
                            _at(x, b, r, c + 3, ch), _at(x, b, r + 1, c, ch), _at(x, b, r + 1, c + 1, ch),
                            _at(x, b, r + 1, c + 2, ch), _at(x, b, r + 1, c + 3, ch), _at(x, b, r + 2, c, ch),
                            _at(x, b, r + 2, c + 1, ch), _at(x, b, r + 2, c + 2, ch), _at(x, b, r + 2, c + 3, ch),
                            _at(x, b, r + 3, c, ch), _at(x, b, r + 3, c + 1, ch), _at(x, b, r + 3, c + 2, ch),
                            _at(x, b, r + 3, c + 3, ch))
    return v


def winograd_input_tiles(x, pads, tiles, out=None):
    """V = B^T d B for every tile: (16, N * tiles_h * tiles_w, C), into ``out`` if given."""
    v = backend.empty((16, x.shape[0] * tiles[0] * tiles[1], x.shape[3]), x.dtype, x) if out is None else out
    return _input_tiles(v.size, x, v, pads[0][0], pads[1][0], tiles[0], tiles[1])


@Kernel
def _output(m, y, tiles_h, tiles_w):  # pragma: no cover - compiled
    n, out_h, out_w, filters = y.shape
    for b in prange(n):
        for ty in range(tiles_h):
            r = 2 * ty
            for tx in range(tiles_w):
                c = 2 * tx
                t = (b * tiles_h + ty) * tiles_w + tx
                whole = r + 1 < out_h and c + 1 < out_w
                for o in range(filters):
                    # rows: A^T M (2 x 4), then columns: (A^T M) A (2 x 2)
                    s00 = m[0, t, o] + m[4, t, o] + m[8, t, o]
                    s01 = m[1, t, o] + m[5, t, o] + m[9, t, o]
                    s02 = m[2, t, o] + m[6, t, o] + m[10, t, o]
                    s03 = m[3, t, o] + m[7, t, o] + m[11, t, o]
                    s10 = m[4, t, o] - m[8, t, o] - m[12, t, o]
                    s11 = m[5, t, o] - m[9, t, o] - m[13, t, o]
                    s12 = m[6, t, o] - m[10, t, o] - m[14, t, o]
                    s13 = m[7, t, o] - m[11, t, o] - m[15, t, o]
                    if whole:
                        y[b, r, c, o], y[b, r, c + 1, o] = s00 + s01 + s02, s01 - s02 - s03
                        y[b, r + 1, c, o], y[b, r + 1, c + 1, o] = s10 + s11 + s12, s11 - s12 - s13
                    else:
                        y[b, r, c, o] = s00 + s01 + s02
                        if c + 1 < out_w:
                            y[b, r, c + 1, o] = s01 - s02 - s03
                        if r + 1 < out_h:
                            y[b, r + 1, c, o] = s10 + s11 + s12
                            if c + 1 < out_w:
                                y[b, r + 1, c + 1, o] = s11 - s12 - s13
    return y


def winograd_output(m, out_size, tiles, out=None, n=None):
    """Y = A^T M A for every tile, laid back as the output (N, OH, OW, Cout), into ``out`` if given."""
    n = m.shape[1] // (tiles[0] * tiles[1]) if n is None else n
    y = backend.empty((n,) + tuple(out_size) + (m.shape[2],), m.dtype, m) if out is None else out
    return _output(m.size, m, y, tiles[0], tiles[1])


@Kernel
def _output_gradient_tiles(gy, dm, tiles_h, tiles_w):  # pragma: no cover - compiled
    n, out_h, out_w, filters = gy.shape
    zero = gy.dtype.type(0)
    for b in prange(n):
        for ty in range(tiles_h):
            r = 2 * ty
            for tx in range(tiles_w):
                c = 2 * tx
                t = (b * tiles_h + ty) * tiles_w + tx
                down, right = r + 1 < out_h, c + 1 < out_w
                for o in range(filters):
                    g00 = gy[b, r, c, o]
                    g01 = gy[b, r, c + 1, o] if right else zero
                    g10 = gy[b, r + 1, c, o] if down else zero
                    g11 = gy[b, r + 1, c + 1, o] if down and right else zero
                    # columns: dY A^T (2 x 4), then rows: A (dY A^T) (4 x 4)
                    e00, e01, e02, e03 = g00, g00 + g01, g00 - g01, -g01
                    e10, e11, e12, e13 = g10, g10 + g11, g10 - g11, -g11
                    dm[0, t, o], dm[1, t, o], dm[2, t, o], dm[3, t, o] = e00, e01, e02, e03
                    dm[4, t, o], dm[5, t, o], dm[6, t, o], dm[7, t, o] = e00 + e10, e01 + e11, e02 + e12, e03 + e13
                    dm[8, t, o], dm[9, t, o], dm[10, t, o], dm[11, t, o] = e00 - e10, e01 - e11, e02 - e12, e03 - e13
                    dm[12, t, o], dm[13, t, o], dm[14, t, o], dm[15, t, o] = -e10, -e11, -e12, -e13
    return dm


def winograd_output_gradient_tiles(gy, tiles, out=None):
    """dM = A dY A^T for every tile: (16, N * tiles_h * tiles_w, Cout), into ``out`` if given."""
    shape = (16, gy.shape[0] * tiles[0] * tiles[1], gy.shape[3])
    dm = backend.empty(shape, gy.dtype, gy) if out is None else out
    return _output_gradient_tiles(dm.size, gy, dm, tiles[0], tiles[1])


@njit(**COMPILE)
def _input_gradient_tile(dv, t, ch):  # pragma: no cover - compiled
    """B dV B^T of tile t, channel ch: the 16 values, row by row (rows: B dV, then columns: (B dV) B^T)."""
    e00, e01, e02, e03 = dv[0, t, ch], dv[1, t, ch], dv[2, t, ch], dv[3, t, ch]
    e10 = dv[4, t, ch] - dv[8, t, ch] + dv[12, t, ch]
    e11 = dv[5, t, ch] - dv[9, t, ch] + dv[13, t, ch]
    e12 = dv[6, t, ch] - dv[10, t, ch] + dv[14, t, ch]
    e13 = dv[7, t, ch] - dv[11, t, ch] + dv[15, t, ch]
    e20 = dv[4, t, ch] + dv[8, t, ch] - e00
    e21 = dv[5, t, ch] + dv[9, t, ch] - e01
    e22 = dv[6, t, ch] + dv[10, t, ch] - e02
    e23 = dv[7, t, ch] + dv[11, t, ch] - e03
    e30, e31, e32, e33 = -dv[12, t, ch], -dv[13, t, ch], -dv[14, t, ch], -dv[15, t, ch]
    return (e00, e01 - e02 + e03, e01 + e02 - e00, -e03, e10, e11 - e12 + e13, e11 + e12 - e10, -e13,
            e20, e21 - e22 + e23, e21 + e22 - e20, -e23, e30, e31 - e32 + e33, e31 + e32 - e30, -e33)


@Kernel
def _input_gradient(dv, gx, top, left, tiles_h, tiles_w):  # pragma: no cover - compiled
    n, height, width, channels = gx.shape
    for b in prange(n):
        gx[b] = 0
        for ty in range(tiles_h):
            r = 2 * ty - top
            for tx in range(tiles_w):
                c = 2 * tx - left
                t = (b * tiles_h + ty) * tiles_w + tx
                if r >= 0 and r + 3 < height and c >= 0 and c + 3 < width:
                    for ch in range(channels):
                        d00, d01, d02, d03, d10, d11, d12, d13, d20, d21, d22, d23, d30, d31, d32, d33 = \
                            _input_gradient_tile(dv, t, ch)
                        gx[b, r, c, ch] += d00
                        gx[b, r, c + 1, ch] += d01
                        gx[b, r, c + 2, ch] += d02
                        gx[b, r, c + 3, ch] += d03
                        gx[b, r + 1, c, ch] += d10
                        gx[b, r + 1, c + 1, ch] += d11
                        gx[b, r + 1, c + 2, ch] += d12
                        gx[b, r + 1, c + 3, ch] += d13
                        gx[b, r + 2, c, ch] += d20
                        gx[b, r + 2, c + 1, ch] += d21
                        gx[b, r + 2, c + 2, ch] += d22
                        gx[b, r + 2, c + 3, ch] += d23
                        gx[b, r + 3, c, ch] += d30
                        gx[b, r + 3, c + 1, ch] += d31
                        gx[b, r + 3, c + 2, ch] += d32
                        gx[b, r + 3, c + 3, ch] += d33
                else:
                    for ch in range(channels):
                        dd = _input_gradient_tile(dv, t, ch)
                        for i in range(4):
                            for j in range(4):
                                if 0 <= r + i < height and 0 <= c + j < width:
                                    gx[b, r + i, c + j, ch] += dd[4 * i + j]
    return gx


def winograd_input_gradient(dv, x_shape, pads, tiles, out=None):
    """dL/dx: B dV B^T of every tile added back where its patch was read (padding dropped), into ``out``."""
    gx = backend.empty(tuple(x_shape), dv.dtype, dv) if out is None else out
    return _input_gradient(dv.size, dv, gx, pads[0][0], pads[1][0], tiles[0], tiles[1])


# Conv1D, F(m, r): ``minidl.functional.winograd_1d``. The transforms are small matrices (B^T, A^T) passed in the
# data's dtype; each kernel walks a tile's rows of a transform, skipping its zeros, with the channels innermost.


@Kernel
def _input_tiles_1d(x, v, bt, left, m, tiles):  # pragma: no cover - compiled
    batch, length, channels = x.shape
    n_points = bt.shape[0]
    for b in prange(batch):
        for tile in range(tiles):
            start = tile * m - left
            t = b * tiles + tile
            for a in range(n_points):
                for ch in range(channels):
                    v[a, t, ch] = 0
                for i in range(n_points):
                    coefficient = bt[a, i]
                    if coefficient != 0 and 0 <= start + i < length:
                        for ch in range(channels):
                            v[a, t, ch] += coefficient * x[b, start + i, ch]
    return v


def winograd1d_input_tiles(x, left, bt, m, tiles, out=None):
    """V = B^T d for every tile: (n, N * tiles, C), into the first rows of ``out``'s planes if given."""
    v = backend.empty((bt.shape[0], x.shape[0] * tiles, x.shape[2]), x.dtype, x) if out is None else out
    return _input_tiles_1d(v.size, x, v, bt, left, m, tiles)


@Kernel
def _output_1d(mm, y, at):  # pragma: no cover - compiled
    batch, out_length, filters = y.shape
    m, n_points = at.shape
    tiles = (out_length + m - 1) // m
    for b in prange(batch):
        for tile in range(tiles):
            t = b * tiles + tile
            for j in range(min(m, out_length - tile * m)):
                position = tile * m + j
                for o in range(filters):
                    y[b, position, o] = 0
                for a in range(n_points):
                    coefficient = at[j, a]
                    if coefficient != 0:
                        for o in range(filters):
                            y[b, position, o] += coefficient * mm[a, t, o]
    return y


def winograd1d_output(mm, at, out_length, batch, out=None):
    """y = A^T M for every tile, laid back as (N, L_out, Cout), into ``out`` if given."""
    y = backend.empty((batch, out_length, mm.shape[2]), mm.dtype, mm) if out is None else out
    return _output_1d(mm.size, mm, y, at)


@Kernel
def _output_gradient_tiles_1d(gy, dm, at):  # pragma: no cover - compiled
    batch, out_length, filters = gy.shape
    m, n_points = at.shape
    tiles = (out_length + m - 1) // m
    for b in prange(batch):
        for tile in range(tiles):
            t = b * tiles + tile
            for a in range(n_points):
                for o in range(filters):
                    dm[a, t, o] = 0
                for j in range(min(m, out_length - tile * m)):
                    coefficient = at[j, a]
                    if coefficient != 0:
                        for o in range(filters):
                            dm[a, t, o] += coefficient * gy[b, tile * m + j, o]
    return dm


def winograd1d_output_gradient_tiles(gy, at, out=None):
    """dM = A dY for every tile: (n, N * tiles, Cout), into the first rows of ``out``'s planes if given."""
    tiles = (gy.shape[1] + at.shape[0] - 1) // at.shape[0]
    dm = backend.empty((at.shape[1], gy.shape[0] * tiles, gy.shape[2]), gy.dtype, gy) if out is None else out
    return _output_gradient_tiles_1d(dm.size, gy, dm, at)


@Kernel
def _input_gradient_1d(dv, gx, bt, left, m, tiles):  # pragma: no cover - compiled
    batch, length, channels = gx.shape
    n_points = bt.shape[0]
    for b in prange(batch):
        gx[b] = 0
        for tile in range(tiles):
            start = tile * m - left
            t = b * tiles + tile
            for i in range(n_points):
                if 0 <= start + i < length:
                    for a in range(n_points):
                        coefficient = bt[a, i]
                        if coefficient != 0:
                            for ch in range(channels):
                                gx[b, start + i, ch] += coefficient * dv[a, t, ch]
    return gx


def winograd1d_input_gradient(dv, bt, x_shape, left, m, tiles, out=None):
    """dL/dx: B dV of every tile added back where its inputs were read (padding dropped), into ``out``."""
    gx = backend.empty(tuple(x_shape), dv.dtype, dv) if out is None else out
    return _input_gradient_1d(dv.size, dv, gx, bt, left, m, tiles)
