"""Images resampled at other coordinates: resizing and the affine warps of data augmentation.

Every such operation reads each output pixel as a weighted sum of input pixels
of the same image and channel (channels-last, x (batch, height, width, channels)):

    y[b, i, j, c] = sum_k w[b, i, j, k] * x[b, r[b, i, j, k], s[b, i, j, k], c]   (+ fill where outside)

bilinear: k runs over the 4 pixels around the source point (u, v), with weights
(1 - du)(1 - dv), (1 - du) dv, du (1 - dv), du dv; nearest: the one pixel
round(u), round(v). ``Resample`` is that gather; its backward scatters back:

    dL/dx[b, r, s, c] = sum over (i, j, k) reading (r, s) of w[b, i, j, k] * dL/dy[b, i, j, c]

Coordinates outside the image follow Keras's fill modes: "reflect"
(d c b a | a b c d | d c b a), "wrap" (a b c d | a b c d), "nearest"
(a a | a b c d | d d) and "constant" (the pixel is ``fill_value``, which carries no gradient).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend

FILL_MODES = ("reflect", "wrap", "nearest", "constant")
INTERPOLATIONS = ("bilinear", "nearest")


def fold_index(index: Any, size: int, fill_mode: str) -> tuple[Any, Any]:
    """(index inside [0, size), inside) for integer pixel indices under ``fill_mode`` (module docstring)."""
    inside = (index >= 0) & (index < size)
    if fill_mode == "reflect":
        period = 2 * size
        index = numpy.mod(index, period)
        index = numpy.where(index >= size, period - 1 - index, index)
    elif fill_mode == "wrap":
        index = numpy.mod(index, size)
    else:  # nearest, and constant (whose outside pixels are masked out)
        index = numpy.clip(index, 0, size - 1)
    return index, inside if fill_mode == "constant" else numpy.ones_like(inside)


def sampling_plan(rows: Any, columns: Any, height: int, width: int, interpolation: str, fill_mode: str) -> tuple:
    """(row indices, column indices, weights), each (..., k), for source points ``rows``/``columns`` (...)."""
    if interpolation == "nearest":
        r, s = numpy.floor(rows + 0.5).astype(numpy.int64), numpy.floor(columns + 0.5).astype(numpy.int64)
        r, s, weights = r[..., None], s[..., None], numpy.ones(rows.shape + (1,))
    else:
        r0, s0 = numpy.floor(rows).astype(numpy.int64), numpy.floor(columns).astype(numpy.int64)
        dr, ds = rows - r0, columns - s0
        r = numpy.stack([r0, r0, r0 + 1, r0 + 1], axis=-1)
        s = numpy.stack([s0, s0 + 1, s0, s0 + 1], axis=-1)
        weights = numpy.stack([(1 - dr) * (1 - ds), (1 - dr) * ds, dr * (1 - ds), dr * ds], axis=-1)
    r, inside_r = fold_index(r, height, fill_mode)
    s, inside_s = fold_index(s, width, fill_mode)
    return r, s, weights * (inside_r & inside_s)


class Resample(Function):
    """y[b, i, j, c] = sum_k w[b, i, j, k] x[b, r, s, c] (+ fill); the backward scatters (module docstring).

    ``rows``, ``columns``, ``weights``: (batch or 1, out_height, out_width, k); ``fill`` (same without k):
    the weight left to the constant ``fill_value`` (1 - sum_k w where every neighbour is outside).
    """

    def __init__(self, rows: Any, columns: Any, weights: Any, fill: Any = None, fill_value: float = 0.0) -> None:
        self.rows, self.columns, self.weights, self.fill, self.fill_value = rows, columns, weights, fill, fill_value

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.x_shape = x.shape
        batch = numpy.arange(x.shape[0]).reshape(-1, 1, 1, 1)
        rows, columns = numpy.broadcast_to(self.rows, (x.shape[0],) + self.rows.shape[1:]), self.columns
        gathered = x[batch, xp.asarray(rows), xp.asarray(columns)]  # (batch, out_h, out_w, k, channels)
        weights = xp.asarray(self.weights, dtype=x.dtype)[..., None]
        y = (gathered * weights).sum(axis=3)
        if self.fill is not None and self.fill_value != 0:
            y = y + xp.asarray(self.fill, dtype=x.dtype)[..., None] * x.dtype.type(self.fill_value)
        return y

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.x_shape, dtype=gy.dtype)
        batch = numpy.broadcast_to(numpy.arange(self.x_shape[0]).reshape(-1, 1, 1, 1),
                                   (self.x_shape[0],) + self.rows.shape[1:])
        rows = numpy.broadcast_to(self.rows, batch.shape)
        columns = numpy.broadcast_to(self.columns, batch.shape)
        contributions = gy[:, :, :, None, :] * xp.asarray(self.weights, dtype=gy.dtype)[..., None]
        add_at = xp.add.at if hasattr(xp.add, "at") else numpy.add.at
        add_at(gx, (batch, rows, columns), contributions)
        return gx


def resample(x: Any, rows: Any, columns: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
             fill_value: float = 0.0) -> Tensor:
    """x (batch, height, width, channels) read at the source points ``rows``, ``columns``
    ((batch or 1, out_height, out_width) floats, in pixels)."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"images must be (batch, height, width, channels), got shape {x.shape}")
    r, s, weights = sampling_plan(numpy.asarray(rows, dtype=numpy.float64), numpy.asarray(columns, numpy.float64),
                                  x.shape[1], x.shape[2], interpolation, fill_mode)
    fill = 1.0 - weights.sum(axis=-1) if fill_mode == "constant" else None
    return Resample(r, s, weights, fill, fill_value)(x)


def resize(x: Any, height: int, width: int, interpolation: str = "bilinear") -> Tensor:
    """Images resized to (height, width) as TensorFlow's ``tf.image.resize`` (half-pixel centres, no antialias):
    output pixel i reads the source point (i + 0.5) * in / out - 0.5, clamped to the image."""
    x = as_tensor(x)
    rows = (numpy.arange(height) + 0.5) * (x.shape[1] / height)
    columns = (numpy.arange(width) + 0.5) * (x.shape[2] / width)
    if interpolation == "nearest":  # TensorFlow's: the pixel floor((i + 0.5) * in / out)
        rows, columns = numpy.floor(rows), numpy.floor(columns)
    else:
        rows, columns = rows - 0.5, columns - 0.5
    rows = numpy.clip(rows, 0, x.shape[1] - 1)
    columns = numpy.clip(columns, 0, x.shape[2] - 1)
    grid_rows, grid_columns = numpy.meshgrid(rows, columns, indexing="ij")
    return resample(x, grid_rows[None], grid_columns[None], interpolation, "nearest")


def affine_warp(x: Any, matrices: Any, interpolation: str = "bilinear", fill_mode: str = "reflect",
                fill_value: float = 0.0) -> Tensor:
    """Each image read through its affine map: output pixel (row i, column j) reads the source point
    (u, v) with [v, u] = A [j, i] + t, ``matrices`` (batch, 2, 3) = [A | t] in (x = column, y = row) order."""
    x = as_tensor(x)
    matrices = numpy.asarray(matrices, dtype=numpy.float64)
    i, j = numpy.meshgrid(numpy.arange(x.shape[1]), numpy.arange(x.shape[2]), indexing="ij")
    columns = (matrices[:, 0, 0, None, None] * j + matrices[:, 0, 1, None, None] * i
               + matrices[:, 0, 2, None, None])
    rows = (matrices[:, 1, 0, None, None] * j + matrices[:, 1, 1, None, None] * i + matrices[:, 1, 2, None, None])
    return resample(x, rows, columns, interpolation, fill_mode, fill_value)
