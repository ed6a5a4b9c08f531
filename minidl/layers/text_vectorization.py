"""TextVectorization over numpy arrays of strings: standardise, split into words, look each word up.

As Keras's: "lower_and_strip_punctuation" lower-cases and deletes the
characters of ``[!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~']``, "whitespace" splits
on runs of white space; the words go through a ``StringLookup`` whose index
0 is the padding mask "" and 1 the unknown word "[UNK]", its vocabulary from
``vocabulary=`` or ``adapt(texts)`` (no mask for the vector modes, as Keras). "int" gives the indices, padded with 0
to the longest text of the batch or cut/padded to ``output_sequence_length``;
"multi_hot" and "count" give vectors over the vocabulary. Like the lookups
it runs on arrays before a model, not inside one.
"""

from __future__ import annotations

import re
from typing import Any

import numpy

from minidl.autodiff.tensor import Tensor
from minidl.layers.base import Layer
from minidl.layers.lookup import StringLookup

PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")


class TextVectorization(Layer):
    """Strings -> word indices or word vectors (module docstring); Keras's arguments and defaults."""

    def __init__(self, max_tokens: int | None = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False, encoding: str = "utf-8",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if standardize not in STANDARDIZE or split not in (None, "whitespace", "character"):
            raise ValueError(f"TextVectorization: standardize must be one of {STANDARDIZE} and split one of None, "
                             f"'whitespace', 'character' (no functions), got {standardize!r} and {split!r}")
        if ngrams is not None or ragged or output_mode not in ("int", "multi_hot", "count"):
            raise ValueError(f"TextVectorization: ngrams, ragged outputs and output_mode {output_mode!r} are not "
                             "supported (output_mode 'int', 'multi_hot' or 'count')")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError("TextVectorization: output_sequence_length goes with output_mode='int'")
        self.standardize, self.split, self.output_mode = standardize, split, output_mode
        self.output_sequence_length, self.max_tokens = output_sequence_length, max_tokens
        self.lookup = StringLookup(max_tokens=max_tokens, mask_token="" if output_mode == "int" else None,
                                   vocabulary=vocabulary,
                                   output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse,
                                   idf_weights=idf_weights, encoding=encoding)

    def _words(self, texts: Any) -> list:
        """Each text's words, standardised and split."""
        texts = numpy.asarray(texts)
        if texts.ndim > 1 and texts.shape[-1] == 1:
            texts = texts[..., 0]
        if texts.ndim != 1:
            raise ValueError(f"layer {self.label!r}: texts must be a 1-D array (or one column), got shape "
                             f"{texts.shape}")
        result = []
        for text in texts.tolist():
            text = text.decode("utf-8") if isinstance(text, bytes) else str(text)
            if self.standardize in ("lower", "lower_and_strip_punctuation"):
                text = text.lower()
            if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                text = PUNCTUATION.sub("", text)
            result.append(text.split() if self.split == "whitespace" else list(text) if self.split else [text])
        return result

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        words = [word for text in self._words(data) for word in text]
        self.lookup.adapt(numpy.asarray(words, dtype=str))

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        return self.lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self.lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        self.lookup.set_vocabulary(vocabulary)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if type(inputs).__name__ == "SymbolicTensor":
            raise ValueError(f"layer {self.label!r}: TextVectorization runs on arrays of strings before a model "
                             "(minidl's models carry numbers); call it on your texts, then fit on its output")
        texts = self._words(inputs)
        if self.output_mode != "int":
            return Tensor(numpy.stack([self.lookup._lookup(numpy.asarray([words], dtype=str).reshape(1, -1))[0]
                                       if words else numpy.zeros(self._width(), numpy.float32) for words in texts]))
        length = self.output_sequence_length or max((len(words) for words in texts), default=0)
        ids = numpy.zeros((len(texts), length), dtype=numpy.int64)
        for row, words in enumerate(texts):
            found = self.lookup._lookup(numpy.asarray(words[:length], dtype=str)) if words else []
            ids[row, :len(found)] = found
        return Tensor(ids)

    def _width(self) -> int:
        return self.lookup.max_tokens if self.lookup.pad_to_max_tokens else self.vocabulary_size()

    def get_config(self) -> dict:
        return {**super().get_config(), "max_tokens": self.max_tokens, "standardize": self.standardize,
                "split": self.split, "ngrams": None, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.lookup.pad_to_max_tokens, "vocabulary": self.lookup.vocabulary}
