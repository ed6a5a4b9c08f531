"""Masks: which timesteps of a batch of sequences are real, carried on the tensors themselves (Keras 3's way).

A mask is a boolean array (batch, time) attached to a Tensor as
``tensor._keras_mask``. A layer that makes one (``Embedding(mask_zero=True)``,
``Masking``) attaches it to its output; calling a layer then follows Keras's
``Layer.__call__``:

- a layer whose ``call`` has a ``mask`` parameter receives the mask of its
  (first) input, unless the caller gave ``mask=``;
- a layer that supports masking (``supports_masking = True``, or one that
  defines ``compute_mask``) attaches ``compute_mask(inputs, mask)`` to its
  outputs (by default the input's mask, unchanged); any other layer drops
  the mask.

Functional models and ``Sequential`` run their layers on Tensors, so masks
flow through them as they do through Keras's.
"""

from __future__ import annotations

from typing import Any

import numpy


def mask_of(inputs: Any) -> Any:
    """The mask attached to ``inputs`` (for a list, a list of masks; None where there are none)."""
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(item, "_keras_mask", None) for item in inputs]
        return None if all(mask is None for mask in masks) else masks
    return getattr(inputs, "_keras_mask", None)


def attach_masks(outputs: Any, masks: Any) -> None:
    """Attach ``masks`` (one, or one per output) to outputs that have none yet (Keras's ``_set_mask_metadata``)."""
    if masks is None:
        return
    several = isinstance(outputs, (list, tuple))
    outputs = list(outputs) if several else [outputs]
    masks = list(masks) if several and isinstance(masks, (list, tuple)) else [masks] * len(outputs)
    for output, mask in zip(outputs, masks):
        if mask is not None and getattr(output, "_keras_mask", None) is None and hasattr(output, "data"):
            output._keras_mask = mask


def any_length(shape: Any) -> Any:
    """A built input shape with its time axis (the first of a sample) left free: sequences of any length."""
    if isinstance(shape, list):
        return [any_length(shape[0]), *shape[1:]]
    return (None,) + tuple(shape[1:]) if len(shape) > 0 else shape


def keeps_steps(mask: Any) -> Any:
    """The mask as a (batch, time) boolean array (a Tensor's data or any array-like)."""
    data = getattr(mask, "data", mask)
    return data.astype(bool) if hasattr(data, "astype") else numpy.asarray(data, dtype=bool)
