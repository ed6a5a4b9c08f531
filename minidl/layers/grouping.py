"""Layers over groups of consecutive entries along one axis: symmetric pooling and shuffling within groups.

Neither exists in Keras; both serve exchangeable data, where the entries of
a group (the sampled haplotypes of one population) come in no meaningful
order. The math is in ``minidl/functional/group.py``.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import functional as F
from minidl.functional.group import check_sizes
from minidl.layers.base import Layer
from minidl.autodiff.tensor import Tensor

STATISTICS = ("mean", "max")


def _check_axis(layer: Layer, axis: Any) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool) or axis == 0:
        raise ValueError(f"layer {layer.label!r}: axis must be a non-zero int (axis 0 is the batch), got {axis!r}")
    return axis


def _axis_of_sample(layer: Layer, axis: int, input_shape: tuple) -> int:
    """``axis`` (counted with the batch axis, as Keras's ``axis`` arguments) as an axis of one sample."""
    rank = len(input_shape) + 1
    if not -rank < axis < rank or axis % rank == 0:
        raise ValueError(f"layer {layer.label!r}: axis {axis} is not an axis of inputs of shape (batch,) + "
                         f"{tuple(input_shape)}")
    return axis % rank - 1


class GroupPooling(Layer):
    """Pools consecutive groups of ``group_sizes`` entries along ``axis`` into one entry each.

    (batch, ..., n, ..., C) -> (batch, ..., G, ..., C * len(statistics)) with n
    = sum(group_sizes) and G = len(group_sizes). ``statistics``: "mean" and/or
    "max" of each group, joined along the last (channel) axis in that order.
    The output does not depend on the order of the entries within a group.
    With one group it pools the whole axis.
    """

    def __init__(self, group_sizes: Any, axis: int = 1, statistics: Any = ("mean",), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_sizes = check_sizes(f"layer {self.label!r}", group_sizes)
        self.axis = _check_axis(self, axis)
        statistics = (statistics,) if isinstance(statistics, str) else tuple(statistics)
        if not statistics or any(s not in STATISTICS for s in statistics) or len(set(statistics)) < len(statistics):
            raise ValueError(f"layer {self.label!r}: statistics must be distinct names among {STATISTICS}, "
                             f"got {statistics!r}")
        self.statistics = statistics

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        axis = _axis_of_sample(self, self.axis, input_shape)
        if input_shape[axis] != sum(self.group_sizes):
            raise ValueError(f"layer {self.label!r}: the group sizes {list(self.group_sizes)} add up to "
                             f"{sum(self.group_sizes)} but the pooled axis of inputs of shape {tuple(input_shape)} "
                             f"has {input_shape[axis]} entries")
        shape = list(input_shape)
        shape[axis] = len(self.group_sizes)
        shape[-1] = shape[-1] * len(self.statistics)
        return tuple(shape)

    def call(self, x: Tensor, training: bool) -> Tensor:
        pooled = [(F.group_mean if name == "mean" else F.group_max)(x, self.group_sizes, self.axis)
                  for name in self.statistics]
        return pooled[0] if len(pooled) == 1 else F.concatenate(pooled, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "group_sizes": list(self.group_sizes), "axis": self.axis,
                "statistics": list(self.statistics)}


class GroupShuffle(Layer):
    """In training, shuffles the entries within each group along ``axis``, anew for every sample; else the identity.

    Data augmentation for a network that is not invariant to the order of
    the entries (a CNN reading haplotypes in rows): each epoch shows it
    every sample in new orders. ``unit`` consecutive entries move together
    (``group_sizes`` counts such units). ``seed`` fixes the draws; without
    it they come from ``minidl.random``.
    """

    def __init__(self, group_sizes: Any, axis: int = 1, unit: int = 1, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_sizes = check_sizes(f"layer {self.label!r}", group_sizes)
        self.axis = _check_axis(self, axis)
        if not isinstance(unit, int) or isinstance(unit, bool) or unit < 1:
            raise ValueError(f"layer {self.label!r}: unit must be a positive int, got {unit!r}")
        self.unit, self.seed = unit, seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        axis = _axis_of_sample(self, self.axis, input_shape)
        if input_shape[axis] != self.unit * sum(self.group_sizes):
            raise ValueError(f"layer {self.label!r}: groups of {list(self.group_sizes)} units of {self.unit} cover "
                             f"{self.unit * sum(self.group_sizes)} entries but the shuffled axis of inputs of shape "
                             f"{tuple(input_shape)} has {input_shape[axis]}")
        return tuple(input_shape)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        return F.group_shuffle(x, self.group_sizes, self.axis, generator=self._generator, unit=self.unit)

    def get_config(self) -> dict:
        return {**super().get_config(), "group_sizes": list(self.group_sizes), "axis": self.axis,
                "unit": self.unit, "seed": self.seed}
