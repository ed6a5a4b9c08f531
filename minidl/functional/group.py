"""Pooling over groups of consecutive entries along one axis, and shuffling within those groups.

The entries along ``axis`` (n of them) are split into consecutive groups of
``sizes`` = (n_1, ..., n_G), with n_1 + ... + n_G = n; group g holds the
entries o_g, ..., o_g + n_g - 1, where o_g = n_1 + ... + n_(g-1). In a
genotype image (batch, haplotypes, SNPs, channels) with the haplotypes of
each sampled population in one block, the groups are the populations.

group mean:  y_g = (1 / n_g) * sum_{i in g} x_i            dL/dx_i = gy_g / n_g        (i in g)
group max:   y_g = max_{i in g} x_i                         dL/dx_i = gy_g * [x_i = y_g] / m_g
             (m_g: how many entries of g reach the maximum; ties share the gradient, as ``max`` does)
shuffle:     y_i = x_{pi(i)}, pi a random permutation that maps every group onto itself, drawn
             per sample;                                    dL/dx_j = gy_{pi^-1(j)}

Both poolings are symmetric functions of each group's entries: permuting
the entries within a group leaves y unchanged. A network that pools this
way after layers applied to every entry alike (shared weights) gives the
same output for any order of the entries within each group, exactly (up to
the rounding of a sum taken in another order). That is the exchangeable
design of Zaheer et al. 2017 (DeepSets) and Chan et al. 2018 for sampled
haplotypes. The shuffle is the augmentation alternative: a network that is
not invariant sees every order of the haplotypes during training.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy

from minidl.core import backend
from minidl.core import random as minidl_random
from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor


def check_sizes(name: str, sizes: Sequence[int]) -> tuple:
    """``sizes`` as a tuple of positive ints, or one clear error naming ``name``."""
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(f"{name}: group sizes must be a sequence of positive ints, got {sizes!r}") from None
    if not sizes or not all(isinstance(s, (int, numpy.integer)) and not isinstance(s, bool) and s > 0
                            for s in sizes):
        raise ValueError(f"{name}: group sizes must be a non-empty sequence of positive ints, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def _check_axis(name: str, x: Any, sizes: tuple, axis: int) -> int:
    """The non-negative axis, after checking that the groups cover it exactly."""
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a tensor of shape {x.shape}")
    axis %= x.ndim
    if sum(sizes) != x.shape[axis]:
        raise ValueError(f"{name}: the group sizes {list(sizes)} add up to {sum(sizes)} but axis {axis} of a tensor "
                         f"of shape {x.shape} has {x.shape[axis]} entries")
    return axis


def _slices(sizes: tuple, axis: int) -> list:
    """One index per group: ``x[index]`` is the group's entries (the axis kept)."""
    starts = numpy.concatenate([[0], numpy.cumsum(sizes)[:-1]])
    return [(slice(None),) * axis + (slice(int(start), int(start) + size),) for start, size in zip(starts, sizes)]


def _reduce_each_group(x: Any, sizes: tuple, axis: int, reduce: str) -> Any:
    """Each group's entries reduced by the array method ``reduce`` ("mean" or "max"), the groups side by side."""
    xp = backend.get_array_module(x)
    return xp.concatenate([getattr(x[index], reduce)(axis=axis, keepdims=True) for index in _slices(sizes, axis)],
                          axis=axis)


class GroupMean(Function):
    """y_g = mean of x over group g of ``axis``;  dL/dx_i = gy_g / n_g for each i in g."""

    def __init__(self, sizes: tuple, axis: int) -> None:
        self.sizes, self.axis = sizes, axis

    def forward(self, x: Any) -> Any:
        self.axis = _check_axis("group_mean", x, self.sizes, self.axis)
        return _reduce_each_group(x, self.sizes, self.axis, "mean")

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        counts = xp.asarray(self.sizes, dtype=gy.dtype).reshape((-1,) + (1,) * (gy.ndim - self.axis - 1))
        return xp.repeat(gy / counts, self.sizes, axis=self.axis)


class GroupMax(Function):
    """y_g = max of x over group g of ``axis``;  dL/dx_i = gy_g * [x_i = y_g] / (number of maxima in g)."""

    def __init__(self, sizes: tuple, axis: int) -> None:
        self.sizes, self.axis = sizes, axis

    def forward(self, x: Any) -> Any:
        self.axis = _check_axis("group_max", x, self.sizes, self.axis)
        self.x = x
        self.y = _reduce_each_group(x, self.sizes, self.axis, "max")
        return self.y

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        gx = xp.empty(self.x.shape, dtype=gy.dtype)
        for g, index in enumerate(_slices(self.sizes, self.axis)):
            at = (slice(None),) * self.axis + (slice(g, g + 1),)
            is_maximum = self.x[index] == self.y[at]
            share = gy[at] / is_maximum.sum(axis=self.axis, keepdims=True, dtype=gy.dtype)
            xp.multiply(is_maximum, share, out=gx[index])
        return gx


def group_permutations(sizes: tuple, batch: int, generator: numpy.random.Generator) -> numpy.ndarray:
    """``batch`` random permutations (batch, n) of n = sum(sizes) entries, each mapping every group onto itself.

    Sorting uniform keys offset by the group's number gives a uniformly
    random order within each group and keeps the groups in place.
    """
    groups = numpy.repeat(numpy.arange(len(sizes)), sizes)
    return numpy.argsort(groups + generator.random((batch, len(groups))), axis=1, kind="stable")


class GroupShuffle(Function):
    """y[b, ..., i, ...] = x[b, ..., pi_b(i), ...];  dL/dx[b, ..., j, ...] = gy[b, ..., pi_b^-1(j), ...].

    ``unit`` consecutive entries move together (a haplotype folded with its
    channels into one axis of ``unit`` entries per haplotype).
    """

    def __init__(self, sizes: tuple, axis: int, generator: numpy.random.Generator, unit: int = 1) -> None:
        self.sizes, self.axis, self.generator, self.unit = sizes, axis, generator, unit

    def _expand(self, permutations: numpy.ndarray) -> numpy.ndarray:
        """Permutations of units (batch, n / unit) as permutations of the axis's entries (batch, n)."""
        if self.unit == 1:
            return permutations
        within = numpy.arange(self.unit)
        return (permutations[:, :, None] * self.unit + within).reshape(permutations.shape[0], -1)

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        if x.ndim < 2 or not 1 <= self.axis % x.ndim:
            raise ValueError(f"group_shuffle: axis {self.axis} must not be the batch axis of a tensor of shape "
                             f"{x.shape}")
        axis = _check_axis("group_shuffle", x, tuple(s * self.unit for s in self.sizes), self.axis)
        self.axis = axis
        order = self._expand(group_permutations(self.sizes, x.shape[0], self.generator))
        self.inverse = numpy.argsort(order, axis=1)
        shape = (x.shape[0],) + (1,) * (axis - 1) + (x.shape[axis],) + (1,) * (x.ndim - axis - 1)
        self.index_shape = shape
        return xp.take_along_axis(x, xp.asarray(order.reshape(shape)), axis=axis)

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        return xp.take_along_axis(gy, xp.asarray(self.inverse.reshape(self.index_shape)), axis=self.axis)


def group_mean(x: Any, sizes: Sequence[int], axis: int = 1) -> Tensor:
    """The mean of each group of consecutive entries of ``sizes`` along ``axis``: that axis becomes len(sizes)."""
    return GroupMean(check_sizes("group_mean", sizes), axis)(as_tensor(x))


def group_max(x: Any, sizes: Sequence[int], axis: int = 1) -> Tensor:
    """The maximum of each group of consecutive entries of ``sizes`` along ``axis``."""
    return GroupMax(check_sizes("group_max", sizes), axis)(as_tensor(x))


def group_shuffle(x: Any, sizes: Sequence[int], axis: int = 1, generator: numpy.random.Generator | None = None,
                  unit: int = 1) -> Tensor:
    """``x`` with the entries of each group along ``axis`` in a random order, drawn anew for every sample.

    ``sizes`` counts units of ``unit`` entries. ``generator`` (a numpy
    Generator) fixes the draws; by default they come from
    ``minidl.random``'s generator, so ``minidl.random.seed`` repeats them.
    """
    if not isinstance(unit, int) or unit < 1:
        raise ValueError(f"group_shuffle: unit must be a positive int, got {unit!r}")
    generator = generator or minidl_random.generator_for(numpy)
    return GroupShuffle(check_sizes("group_shuffle", sizes), axis, generator, unit)(as_tensor(x))
