"""StringLookup and IntegerLookup over numpy arrays: tokens -> indices (or one-hot, multi-hot, count vectors).

Keras's index layout: the mask token (if any) is index 0, then the
out-of-vocabulary index, then the vocabulary in order; a token not in the
vocabulary gets the OOV index. ``adapt(data)`` learns the vocabulary as
Keras does: the tokens by decreasing count, ties by decreasing token,
cut to ``max_tokens`` (special tokens included). ``invert=True`` maps
indices back to tokens (strings come back as a numpy array, numbers as a
Tensor). These run on arrays before a model (Keras's
``dataset.map(lookup)``), not inside one: minidl's models carry numbers,
not strings. At most one OOV index (Keras hashes into several).
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl.autodiff.tensor import Tensor
from minidl.layers.base import Layer


class _IndexLookup(Layer):
    MODES = ("int", "one_hot", "multi_hot", "count")

    def __init__(self, max_tokens: int | None, num_oov_indices: int, mask_token: Any, oov_token: Any,
                 vocabulary: Any, invert: bool, output_mode: str, pad_to_max_tokens: bool, sparse: bool,
                 idf_weights: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        if num_oov_indices not in (0, 1):
            raise ValueError(f"{kind}: num_oov_indices must be 0 or 1 (minidl does not hash tokens into several "
                             f"OOV indices), got {num_oov_indices!r}")
        if output_mode not in self.MODES:
            raise ValueError(f"{kind}: output_mode must be one of {self.MODES} (no 'tf_idf'), got {output_mode!r}")
        if sparse or idf_weights is not None:
            raise ValueError(f"{kind}: sparse outputs and idf_weights are not supported")
        if invert and output_mode != "int":
            raise ValueError(f"{kind}: invert=True needs output_mode='int', got {output_mode!r}")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1 + num_oov_indices):
            raise ValueError(f"{kind}: max_tokens must be None or an int of at least {1 + num_oov_indices}, got "
                             f"{max_tokens!r}")
        self.max_tokens, self.num_oov_indices, self.mask_token = max_tokens, num_oov_indices, mask_token
        self.oov_token, self.invert, self.output_mode = oov_token, invert, output_mode
        self.pad_to_max_tokens, self.sparse = pad_to_max_tokens, False
        self.vocabulary: list = []
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    # ----------------------------------------------------------------- the vocabulary
    def _special_tokens(self) -> list:
        return ([] if self.mask_token is None else [self.mask_token]) + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        tokens = [self._token(token) for token in numpy.asarray(vocabulary).reshape(-1).tolist()]
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"{type(self).__name__}: the vocabulary repeats tokens")
        special = [t for t in tokens if t in self._special_tokens()]
        if special and tokens[:len(self._special_tokens())] != self._special_tokens():
            raise ValueError(f"{type(self).__name__}: the vocabulary holds the special token {special[0]!r}")
        self.vocabulary = tokens[len(self._special_tokens()):] if special else tokens

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        """Learn the vocabulary from ``data`` (an array, or an iterable of arrays), as Keras's adapt."""
        arrays = [numpy.asarray(data)] if not hasattr(data, "__next__") else [numpy.asarray(d) for d in data]
        tokens = [self._token(t) for array in arrays for t in array.reshape(-1).tolist()]
        tokens = [t for t in tokens if t != self.mask_token]
        values, counts = numpy.unique(numpy.asarray(tokens), return_counts=True)
        order = numpy.lexsort((values, counts))[::-1]
        if self.max_tokens is not None:
            order = order[:self.max_tokens - len(self._special_tokens())]
        self.vocabulary = [self._token(v) for v in values[order].tolist()]

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        return (self._special_tokens() if include_special_tokens else []) + list(self.vocabulary)

    def vocabulary_size(self) -> int:
        return len(self.get_vocabulary())

    # ----------------------------------------------------------------- calling
    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if type(inputs).__name__ == "SymbolicTensor":
            raise ValueError(f"layer {self.label!r}: {type(self).__name__} runs on arrays before a model (minidl's "
                             "models carry numbers, not strings); call it on your data, then fit on its output")
        values = numpy.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)
        result = self._lookup(values)
        return result if result.dtype.kind in "OUS" else Tensor(result)  # strings stay an array (no string Tensor)

    def _lookup(self, values: Any) -> Any:
        table = self.get_vocabulary()
        if self.invert:
            index = values.astype(numpy.int64)
            out = numpy.asarray(table + [self.oov_token], dtype=object)[numpy.where(
                (index >= 0) & (index < len(table)), index, len(table))]
            return out.astype(str) if isinstance(self.oov_token, str) else out.astype(numpy.int64)
        positions = {token: i for i, token in enumerate(table)}
        oov = None if self.num_oov_indices == 0 else (0 if self.mask_token is None else 1)
        flat = [positions.get(self._token(t), oov) if t != self.mask_token or self.mask_token is None else 0
                for t in values.reshape(-1).tolist()]
        if oov is None and None in flat:
            unknown = self._token(values.reshape(-1)[flat.index(None)])
            raise ValueError(f"layer {self.label!r}: the token {unknown!r} is not in the vocabulary and "
                             "num_oov_indices=0")
        ids = numpy.asarray(flat, dtype=numpy.int64).reshape(values.shape)
        if self.output_mode == "int":
            return ids
        width = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else len(table)
        if self.output_mode == "one_hot":
            return numpy.eye(width, dtype=numpy.float32)[ids[..., 0] if ids.ndim > 1 and ids.shape[-1] == 1 else ids]
        counts = numpy.eye(width, dtype=numpy.float32)[ids if ids.ndim > 1 else ids[:, None]].sum(axis=-2)
        return counts if self.output_mode == "count" else numpy.minimum(counts, 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                "mask_token": self.mask_token, "oov_token": self.oov_token, "vocabulary": list(self.vocabulary),
                "idf_weights": None, "invert": self.invert, "output_mode": self.output_mode,
                "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": False}


class StringLookup(_IndexLookup):
    """Strings -> indices (module docstring); ``oov_token="[UNK]"``, no mask token by default, as Keras."""

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False, sparse: bool = False,
                 encoding: str = "utf-8", **kwargs: Any) -> None:
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, invert, output_mode,
                         pad_to_max_tokens, sparse, idf_weights, **kwargs)
        self.encoding = encoding

    def _token(self, value: Any) -> Any:
        return value.decode(self.encoding) if isinstance(value, bytes) else str(value)


class IntegerLookup(_IndexLookup):
    """Integers -> indices (module docstring); ``oov_token=-1``, no mask token by default, as Keras."""

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: int = -1, output_mode: str = "int", pad_to_max_tokens: bool = False,
                 sparse: bool = False, vocabulary: Any = None, vocabulary_dtype: str = "int64",
                 idf_weights: Any = None, invert: bool = False, **kwargs: Any) -> None:
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, invert, output_mode,
                         pad_to_max_tokens, sparse, idf_weights, **kwargs)
        self.vocabulary_dtype = vocabulary_dtype

    def _token(self, value: Any) -> Any:
        return int(value)
