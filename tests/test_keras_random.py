"""keras.random's seeded draws: Keras's signatures, its three kinds of seed, and the right distributions."""

import importlib.util
import inspect

import numpy as np
import pytest

import minidl
from minidl import random


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")
@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal", "randint", "shuffle", "dropout"])
def test_the_draws_take_keras_s_arguments_in_keras_s_order(name):
    keras = pytest.importorskip("keras")
    theirs = list(inspect.signature(getattr(keras.random, name)).parameters)
    assert list(inspect.signature(getattr(random, name)).parameters) == theirs
    assert list(inspect.signature(random.SeedGenerator).parameters)[:2] == ["seed", "name"]


def test_an_int_seed_gives_the_same_draw_at_every_call():
    np.testing.assert_array_equal(random.normal((3, 4), seed=7), random.normal((3, 4), seed=7))
    assert not np.array_equal(random.normal((3, 4), seed=7), random.normal((3, 4), seed=8))


def test_a_seed_generator_moves_on_at_each_draw_and_repeats_its_sequence_in_a_new_run():
    first, second = random.SeedGenerator(1337), random.SeedGenerator(1337)
    a, b = random.normal((5,), seed=first), random.normal((5,), seed=first)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, random.normal((5,), seed=second))
    np.testing.assert_array_equal(b, random.normal((5,), seed=second))


def test_no_seed_draws_from_minidl_s_one_generator():
    minidl.random.seed(3)
    a = random.uniform((4,))
    minidl.random.seed(3)
    np.testing.assert_array_equal(a, random.uniform((4,)))


def test_the_draws_have_their_distributions_and_float32_by_default():
    g = random.SeedGenerator(0)
    normal = random.normal((200_000,), mean=2.0, stddev=3.0, seed=g)
    assert normal.dtype == np.float32 and abs(normal.mean() - 2.0) < 0.03 and abs(normal.std() - 3.0) < 0.03
    uniform = random.uniform((200_000,), minval=-1.0, maxval=3.0, dtype="float64", seed=g)
    assert uniform.dtype == np.float64 and uniform.min() >= -1.0 and uniform.max() < 3.0
    assert abs(uniform.mean() - 1.0) < 0.02
    truncated = random.truncated_normal((200_000,), stddev=2.0, seed=g)
    assert np.abs(truncated).max() <= 4.0 and abs(truncated.std() - 2.0 * 0.8796) < 0.02  # sd of N(0,1) cut at 2
    ints = random.randint((10_000,), 2, 5, seed=g)
    assert set(np.unique(ints)) == {2, 3, 4}
    kept = random.dropout(np.ones(100_000, dtype=np.float32), 0.25, seed=g)
    assert set(np.unique(kept)) == {0.0, np.float32(1 / 0.75)} and abs((kept == 0).mean() - 0.25) < 0.01


def test_shuffle_permutes_along_its_axis():
    x = np.arange(12).reshape(4, 3)
    shuffled = random.shuffle(x, axis=0, seed=1)
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, x))


def test_a_draw_in_a_layer_stays_in_the_graph_through_the_tensors_it_meets():
    from minidl import Tensor, ops
    mean = Tensor(np.zeros((2, 3)), requires_grad=True)
    z = mean + ops.exp(0.5 * mean) * random.normal((2, 3), seed=random.SeedGenerator(1))
    z.sum().backward()
    assert mean.grad.shape == (2, 3)


def test_a_seed_of_another_kind_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="random.normal: seed must be None, an int or a keras.random.SeedGenerator"):
        random.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="SeedGenerator: seed must be an int or None"):
        random.SeedGenerator(1.5)
