"""MNIST from its IDX files (gzip-compressed or not), read by this module alone.

IDX: a big-endian header (magic number: two zero bytes, a type code 0x08 for
unsigned bytes, the number of dimensions), one 4-byte size per dimension,
then the values in row-major order.
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy

SPLITS = {"test": "t10k", "train": "train"}


def read_idx(path: str) -> numpy.ndarray:
    """The array stored in one IDX file (``.gz`` or plain); errors name the file and the problem."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            content = handle.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"cannot read IDX file {path!r}: {error}") from None
    if len(content) < 4 or content[0] != 0 or content[1] != 0:
        raise ValueError(f"{path!r} is not an IDX file: its first bytes are not the IDX magic number")
    type_code, dimensions = content[2], content[3]
    if type_code != 0x08:
        raise ValueError(f"{path!r}: IDX type code {type_code:#x} is not supported (only 0x08, unsigned bytes)")
    header_size = 4 + 4 * dimensions
    if len(content) < header_size:
        raise ValueError(f"{path!r}: truncated IDX header")
    shape = struct.unpack(f">{dimensions}I", content[4:header_size])
    expected = int(numpy.prod(shape)) if shape else 1
    values = numpy.frombuffer(content, dtype=numpy.uint8, offset=header_size)
    if values.size != expected:
        raise ValueError(f"{path!r}: the header announces shape {shape} ({expected} values) but the file holds {values.size}")
    return values.reshape(shape)


def _find(directory: str, stem: str) -> str:
    for candidate in (stem, f"{stem}.gz"):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}[.gz] in {directory!r}")


def load_mnist(path: str, split: str = "test") -> tuple[numpy.ndarray, numpy.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of one MNIST split from ``path``.

    ``split`` is "test" (the t10k files, 10,000 digits) or "train" (the
    60,000-digit files, when the directory holds them).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    prefix = SPLITS[split]
    images = read_idx(_find(path, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(path, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST files in {path!r} disagree: images {images.shape}, labels {labels.shape}")
    return images, labels
