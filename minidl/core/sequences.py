"""Lists of sequences of different lengths -> one array: Keras's ``keras.utils.pad_sequences``."""

from __future__ import annotations

from typing import Any

import numpy


def pad_sequences(sequences: Any, maxlen: int | None = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: float = 0.0) -> numpy.ndarray:
    """(n, maxlen) array of the sequences, each cut to ``maxlen`` and padded with ``value``, as Keras's.

    ``maxlen`` defaults to the longest sequence; ``truncating="pre"`` drops
    the first items of a longer sequence ("post": the last ones), ``padding="pre"``
    puts the padding first ("post": after). A sequence's items may be
    vectors: the array is then (n, maxlen) + their shape.
    """
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {given!r}")
    sequences = [numpy.asarray(item) for item in sequences]
    longest = max((len(item) for item in sequences), default=0)
    maxlen = longest if maxlen is None else int(maxlen)
    item_shape = next((item.shape[1:] for item in sequences if len(item)), ())
    padded = numpy.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    for row, item in enumerate(sequences):
        kept = item[-maxlen:] if truncating == "pre" else item[:maxlen]
        if maxlen == 0 or not len(kept):
            continue
        if padding == "post":
            padded[row, :len(kept)] = kept
        else:
            padded[row, -len(kept):] = kept
    return padded
