"""Embedding (integer ids -> rows of a table) and Masking (steps equal to a value are masked), as in Keras 3.

Both make masks (see ``minidl.layers.masks``): ``Embedding(mask_zero=True)``
masks the steps whose id is 0, ``Masking(mask_value)`` the steps whose
features all equal ``mask_value`` (and sets them to zero).
"""

from __future__ import annotations

from typing import Any

from minidl import constraints, initializers, regularizers
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.embedding import embedding
from minidl.layers.base import Layer, check_positive_int


class Embedding(Layer):
    """y[..., :] = embeddings[ids[...], :]: integer ids (any shape) -> vectors; weight ``embeddings``
    (input_dim, output_dim).

    ``mask_zero=True`` gives the output the mask ``ids != 0`` (id 0 is then
    padding, and the vocabulary must count it in ``input_dim``).
    ``embeddings_initializer`` defaults to Keras's "uniform", U(-0.05, 0.05).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, lora_rank: Any = None, lora_alpha: Any = None, input_length: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.input_dim = check_positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_positive_int("Embedding", "output_dim", output_dim)
        if lora_rank is not None:
            raise ValueError(f"Embedding: lora_rank must be None (minidl has no LoRA), got {lora_rank!r}")
        self.embeddings_initializer = initializers.get(
            "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape: tuple) -> None:
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape) + (self.output_dim,)

    def call(self, ids: Tensor, training: bool) -> Tensor:
        return embedding(ids, self.embeddings)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return getattr(inputs, "data", inputs) != 0

    def masks_pass_through(self) -> bool:
        return self.mask_zero

    def get_config(self) -> dict:
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero}


class Masking(Layer):
    """Masks the steps (axis 1) whose features all equal ``mask_value``, and sets them to 0 (Keras's).

    The output's mask is ``any(x != mask_value, axis=-1)``, shape (batch, time).
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def _keep(self, x: Any) -> Any:
        data = getattr(x, "data", x)
        return backend.get_array_module(data).any(data != self.mask_value, axis=-1)

    def call(self, x: Tensor, training: bool) -> Tensor:
        keep = self._keep(x)
        output = x * keep[..., None].astype(x.dtype)
        output._keras_mask = keep
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return self._keep(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
