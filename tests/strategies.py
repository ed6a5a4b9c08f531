"""Hypothesis strategies shared by the gradient-check tests."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import Tensor

small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def float64_arrays(shape, low=-3.0, high=3.0):
    return hnp.arrays(
        np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    )


def away_from(values, points, margin=1e-3):
    """Push elements that lie within ``margin`` of any of ``points`` (kinks) off by 2 margins."""
    values = values.copy()
    for point in points:
        near = np.abs(values - point) < margin
        values[near] = point + 2 * margin
    return values


def distinct(values, rng_seed=0):
    """Elements at least 0.3 apart (no ties for max/argmax), still varied by the drawn ``values`` in [-3, 3]."""
    ranks = np.random.default_rng(rng_seed).permutation(values.size).reshape(values.shape)
    return 0.37 * ranks + 1e-3 * values


def leaf(array):
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)
