"""InputSpec: what a layer accepts (Keras's ``keras.layers.InputSpec``), checked at every call.

A custom layer sets ``self.input_spec = InputSpec(ndim=3)`` (or a list, one
per input); calling it on a tensor that does not fit raises one sentence
naming the layer, the rule and the shape. Shapes here have the batch axis
first, and ``axes={-1: 16}`` fixes the size of an axis, as in Keras.
"""

from __future__ import annotations

from typing import Any


class InputSpec:
    """The rank (``ndim``, ``min_ndim``, ``max_ndim``), ``shape`` (None: any size) or ``axes`` sizes of an input."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None, max_ndim: int | None = None,
                 min_ndim: int | None = None, axes: dict | None = None, allow_last_axis_squeeze: bool = False,
                 name: str | None = None, optional: bool = False) -> None:
        self.dtype, self.name, self.optional = dtype, name, optional
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(axis): size for axis, size in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze

    def check(self, layer: str, shape: tuple) -> None:
        """Raise a ValueError if a tensor of ``shape`` (batch axis first) does not fit."""
        rank = len(shape)
        broken = [rule for rule, holds in (
            (f"ndim={self.ndim}", self.ndim is None or rank == self.ndim),
            (f"min_ndim={self.min_ndim}", self.min_ndim is None or rank >= self.min_ndim),
            (f"max_ndim={self.max_ndim}", self.max_ndim is None or rank <= self.max_ndim),
        ) if not holds]
        for axis, size in self.axes.items():
            if size is not None and (axis >= rank or axis < -rank or shape[axis] not in (size, None)):
                broken.append(f"axis {axis} of size {size}")
        if self.shape is not None and rank == len(self.shape):
            broken += [f"shape {self.shape}" for want, got in zip(self.shape, shape)
                       if want is not None and got is not None and want != got][:1]
        if broken:
            raise ValueError(f"layer {layer!r} takes inputs with {', '.join(broken)} (its input_spec), "
                             f"got a tensor of shape {tuple(shape)}")

    def __repr__(self) -> str:
        return f"InputSpec(ndim={self.ndim}, shape={self.shape}, axes={self.axes})"
