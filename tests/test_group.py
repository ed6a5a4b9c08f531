"""Pooling and shuffling within groups of an axis: direct definitions, gradient checks, exact invariance."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import Sequential, gradcheck, layers
from minidl import functional as F
from tests.strategies import distinct, float64_arrays, leaf


@st.composite
def grouped_case(draw):
    """(x, sizes, axis): an array of 2 to 4 axes whose ``axis`` (not the batch) is split into 1 to 4 groups."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    ndim = draw(st.integers(2, 4))
    axis = draw(st.integers(1, ndim - 1))
    shape = [draw(st.integers(1, 3)) for _ in range(ndim)]
    shape[axis] = sum(sizes)
    x = draw(float64_arrays(tuple(shape)))
    return x, sizes, axis


def direct(x, sizes, axis, reduce):
    """Each group's slice along ``axis`` reduced by ``reduce`` (keeping the axis), the slices side by side."""
    parts, start = [], 0
    for size in sizes:
        parts.append(reduce(np.take(x, range(start, start + size), axis=axis), axis=axis, keepdims=True))
        start += size
    return np.concatenate(parts, axis=axis)


@given(grouped_case())
def test_group_mean_and_max_match_their_definitions(case):
    x, sizes, axis = case
    np.testing.assert_allclose(F.group_mean(x, sizes, axis).numpy(), direct(x, sizes, axis, np.mean), rtol=1e-12)
    np.testing.assert_array_equal(F.group_max(x, sizes, axis).numpy(), direct(x, sizes, axis, np.max))


@given(grouped_case())
def test_group_mean_gradcheck(case):
    x, sizes, axis = case
    gradcheck(lambda t: F.group_mean(t, sizes, axis), leaf(x))


@given(grouped_case())
def test_group_max_gradcheck(case):
    x, sizes, axis = case
    gradcheck(lambda t: F.group_max(t, sizes, axis), leaf(distinct(x)))  # away from ties, where max has a kink


def test_group_max_shares_the_gradient_between_tied_maxima():
    x = leaf(np.array([[1.0, 3.0, 3.0, 2.0, 5.0]]))
    F.group_max(x, [3, 2]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5, 0.0, 1.0]])


@given(grouped_case(), st.integers(1, 2), st.integers(0, 2**31))
def test_group_shuffle_permutes_within_groups_only_and_gradchecks(case, unit, seed):
    x, sizes, axis = case
    x = np.repeat(x, unit, axis=axis)  # every group holds sizes[g] units of ``unit`` entries
    y = F.group_shuffle(x, sizes, axis, generator=np.random.default_rng(seed), unit=unit).numpy()
    start = 0
    for size in sizes:
        block = range(start * unit, (start + size) * unit)
        before, after = np.take(x, block, axis=axis), np.take(y, block, axis=axis)
        np.testing.assert_array_equal(np.sort(before, axis=axis), np.sort(after, axis=axis))
        start += size
    gradcheck(lambda t: F.group_shuffle(t, sizes, axis, generator=np.random.default_rng(seed), unit=unit), leaf(x))


def test_group_shuffle_moves_units_whole_and_draws_per_sample():
    x = np.arange(2 * 12, dtype=np.float64).reshape(2, 12)  # 2 samples, 6 units of 2 entries, groups of 2 and 4 units
    draws = [F.group_shuffle(x, [2, 4], 1, generator=np.random.default_rng(seed), unit=2).numpy() for seed in range(30)]
    for y in draws:
        pairs = y.reshape(2, 6, 2)
        np.testing.assert_array_equal(pairs[:, :, 1] - pairs[:, :, 0], 1)  # a unit's entries stay together, in order
        assert set(pairs[0, :2, 0]) == {0, 2} and set(pairs[0, 2:, 0]) == {4, 6, 8, 10}
    assert any(not np.array_equal(y[0] - y[0, 0], y[1] - y[1, 0]) for y in draws)  # samples get their own orders
    assert len({tuple(y[0]) for y in draws}) > 10


def test_bad_groups_are_one_clear_error():
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match="add up to 4 but axis 1"):
        F.group_mean(x, [2, 2])
    with pytest.raises(ValueError, match="positive ints"):
        F.group_max(x, [2, 0, 3])
    with pytest.raises(ValueError, match="batch"):
        layers.GroupPooling([5], axis=0)
    with pytest.raises(ValueError, match="statistics"):
        layers.GroupPooling([5], statistics=("median",))
    with pytest.raises(ValueError, match="add up to 4"):
        Sequential([layers.Input((5, 3)), layers.GroupPooling([1, 3])])


def exchangeable_network(sizes, statistics):
    """Shared per-haplotype convolutions along the SNPs, pooling within populations, a dense head."""
    minidl.core.random.seed(3)
    return Sequential([
        layers.Input((sum(sizes), 11, 2)),
        layers.Conv2D(6, (1, 3), activation="relu"), layers.Conv2D(5, (1, 2), activation="tanh"),
        layers.GroupPooling(sizes, axis=1, statistics=statistics),
        layers.Conv2D(4, (len(sizes), 1), activation="relu"), layers.Flatten(), layers.Dense(3),
    ])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.sampled_from([("mean",), ("max",), ("mean", "max")]),
       st.integers(0, 2**31))
def test_a_network_pooling_within_groups_ignores_the_order_within_each_group(sizes, statistics, seed):
    rng = np.random.default_rng(seed)
    network = exchangeable_network(sizes, statistics)
    x = rng.normal(size=(4, sum(sizes), 11, 2)).astype(np.float32)
    order = np.concatenate([start + rng.permutation(size) for start, size in zip(np.cumsum([0] + sizes[:-1]), sizes)])
    np.testing.assert_allclose(network.predict(x[:, order], verbose=0), network.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    if len(sizes) > 1:  # and it does see which group a haplotype is in
        moved = np.roll(np.arange(sum(sizes)), 1)
        assert not np.allclose(network.predict(x[:, moved], verbose=0), network.predict(x, verbose=0))


def test_group_shuffle_layer_acts_in_training_only():
    minidl.core.random.seed(0)
    layer = layers.GroupShuffle([3, 2], seed=5)
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    shuffled = [layer(x, training=True).numpy() for _ in range(10)]
    assert any(not np.array_equal(y, x) for y in shuffled)
    for y in shuffled:
        assert set(y[0, :3]) == {0, 1, 2} and set(y[1, 3:]) == {8, 9}
