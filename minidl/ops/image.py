"""``keras.ops.image``: ``resize`` and ``extract_patches`` on channels-last images (batch, height, width, channels).

``resize`` is ``functional.image.resize`` (TensorFlow's half-pixel
sampling, bilinear or nearest). ``extract_patches`` lays each window of
``size`` out as one vector, in (row, column, channel) order as
``tf.image.extract_patches``: with stride s and dilation d,

    patches[n, i, j, (a * kw + b) * C + c] = x_pad[n, s_h i + d_h a, s_w j + d_w b, c]

It is one gather of x, so its gradient adds each patch's gy back to the
pixels it was read from (``functional.getitem``). Images without a batch
axis are taken as a batch of one, and given back the same way.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import functional as F
from minidl.functional.image import INTERPOLATIONS
from minidl.functional.image import resize as resize_images
from minidl.functional.padding import normalize_padding, normalize_tuple, output_length, padding_amounts
from minidl.ops.dispatch import as_array, tensor_in


def _batched(images: Any, what: str) -> tuple:
    rank = len(as_array(images).shape)
    if rank not in (3, 4):
        raise ValueError(f"{what}: images must be (height, width, channels) or (batch, height, width, channels), "
                         f"got shape {as_array(images).shape}")
    return (F.reshape(images, (1,) + tuple(as_array(images).shape)) if rank == 3 else images), rank == 3


def _result(y: Any, unbatched: bool, as_tensor: bool) -> Any:
    y = F.reshape(y, y.shape[1:]) if unbatched else y
    return y if as_tensor else y.data


def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: Any = None) -> Any:
    """Images resized to ``size`` = (height, width) (``antialias``, aspect-ratio crops and pads not supported)."""
    if interpolation not in INTERPOLATIONS or antialias or crop_to_aspect_ratio or pad_to_aspect_ratio or \
            data_format not in (None, "channels_last"):
        raise ValueError(f"resize: minidl resizes channels-last images with interpolation {INTERPOLATIONS}, without "
                         f"antialias or aspect-ratio crops and pads; got interpolation={interpolation!r}")
    x, unbatched = _batched(images, "resize")
    height, width = normalize_tuple(size, 2, "resize size")
    x = x if tensor_in(x) else numpy.asarray(x, numpy.float32)
    return _result(resize_images(x, height, width, interpolation), unbatched, tensor_in(images))


def extract_patches(images: Any, size: Any, strides: Any = None, dilation_rate: Any = 1, padding: str = "valid",
                    data_format: Any = None) -> Any:
    """Each ``size`` window of the images as one vector (module docstring); ``strides`` default to ``size``."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"extract_patches: only channels-last images, got data_format={data_format!r}")
    x, unbatched = _batched(images, "extract_patches")
    kernel = normalize_tuple(size, 2, "extract_patches size")
    strides = kernel if strides is None else normalize_tuple(strides, 2, "extract_patches strides")
    dilation = normalize_tuple(dilation_rate, 2, "extract_patches dilation_rate")
    padding = normalize_padding(padding)
    shape = as_array(x).shape
    pads = [padding_amounts(shape[axis], k, s, d, padding)
            for axis, k, s, d in ((1, kernel[0], strides[0], dilation[0]), (2, kernel[1], strides[1], dilation[1]))]
    out = [output_length(shape[axis], k, s, d, padding)
           for axis, k, s, d in ((1, kernel[0], strides[0], dilation[0]), (2, kernel[1], strides[1], dilation[1]))]
    x = x if tensor_in(x) else numpy.asarray(x, numpy.float32)
    if any(map(any, pads)):
        x = F.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    rows = (numpy.arange(out[0]) * strides[0])[:, None, None, None] + \
        (numpy.arange(kernel[0]) * dilation[0])[None, None, :, None]
    columns = (numpy.arange(out[1]) * strides[1])[None, :, None, None] + \
        (numpy.arange(kernel[1]) * dilation[1])[None, None, None, :]
    windows = F.getitem(x, (slice(None), rows, columns))  # (N, out_h, out_w, kh, kw, C)
    patches = F.reshape(windows, (shape[0], out[0], out[1], kernel[0] * kernel[1] * shape[3]))
    return _result(patches, unbatched, tensor_in(images))
