"""Batch normalisation and dropout."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl import Tensor, gradcheck
from minidl import functional as F
from tests.strategies import float64_arrays, leaf


@given(shape=st.sampled_from([(4, 3), (2, 3, 2), (2, 2, 3, 2), (5, 1)]), data=st.data())
def test_batch_norm_in_training_passes_gradcheck(shape, data):
    x = data.draw(float64_arrays(shape))
    x = x + np.linspace(0, 1, x.size).reshape(shape)  # a batch that is never constant
    gamma = data.draw(float64_arrays(shape[-1:], 0.5, 2.0))
    beta = data.draw(float64_arrays(shape[-1:]))
    channels = shape[-1]

    def normalise(a, g, b):
        return F.batch_norm(a, np.zeros(channels), np.ones(channels), g, b, training=True)

    gradcheck(normalise, leaf(x), leaf(gamma), leaf(beta), atol=1e-5, rtol=1e-3)


@given(data=st.data())
def test_batch_norm_in_inference_passes_gradcheck(data):
    x, gamma, beta = data.draw(float64_arrays((3, 2))), data.draw(float64_arrays((2,))), data.draw(float64_arrays((2,)))
    mean, variance = np.array([0.5, -1.0]), np.array([2.0, 0.3])
    gradcheck(lambda a, g, b: F.batch_norm(a, mean, variance, g, b, training=False), leaf(x), leaf(gamma), leaf(beta))


def test_batch_norm_training_output_has_zero_mean_unit_variance_per_channel(rng):
    x = rng.normal(3.0, 5.0, size=(64, 4, 3))
    y = F.batch_norm(Tensor(x), np.zeros(3), np.ones(3), training=True, epsilon=0.0).data
    np.testing.assert_allclose(y.mean(axis=(0, 1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 1)), 1.0, rtol=1e-10)


def test_batch_normalization_layer_updates_moving_statistics_as_keras_does(rng):
    x = rng.normal(2.0, 3.0, size=(32, 2))
    layer = minidl.layers.BatchNormalization(momentum=0.9, dtype="float64")
    layer(Tensor(x), training=True)
    np.testing.assert_allclose(layer.moving_mean.data, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.moving_variance.data, 0.9 + 0.1 * x.var(axis=0))  # biased batch variance


def test_batch_norm_function_leaves_given_statistics_alone_and_returns_the_batch_ones(rng):
    x = rng.normal(2.0, 3.0, size=(32, 2))
    mean, variance = np.zeros(2), np.ones(2)
    F.batch_norm(Tensor(x), mean, variance, training=True)
    np.testing.assert_array_equal(mean, [0.0, 0.0])
    np.testing.assert_array_equal(variance, [1.0, 1.0])
    _, batch_mean, batch_variance = F.batch_norm_with_statistics(Tensor(x))
    np.testing.assert_allclose(batch_mean, x.mean(axis=0))
    np.testing.assert_allclose(batch_variance, x.var(axis=0))


def test_batch_norm_inference_uses_the_moving_statistics_and_leaves_them_alone():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    moving_mean, moving_variance = np.array([1.0, 1.0]), np.array([4.0, 1.0])
    y = F.batch_norm(Tensor(x), moving_mean, moving_variance, np.array([2.0, 1.0]), np.array([0.0, 1.0]), epsilon=0.0)
    np.testing.assert_allclose(y.data, [[0.0, 2.0], [2.0, 4.0]])
    np.testing.assert_array_equal(moving_mean, [1.0, 1.0])


def test_batch_norm_with_wrong_parameter_shape_names_it():
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        F.batch_norm(Tensor(np.ones((2, 3))), np.zeros(3), np.ones(3), gamma=np.ones(2))


def test_dropout_keeps_the_expected_value_and_zeroes_about_rate():
    x = Tensor(np.ones((200, 500)))
    y = F.dropout(x, 0.3, generator=np.random.default_rng(0)).data
    assert abs((y == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.01


def test_dropout_is_the_identity_in_inference():
    x = Tensor(np.arange(6.0))
    assert F.dropout(x, 0.5, training=False) is x


@given(x=float64_arrays((3, 4)), seed=st.integers(0, 1000))
def test_dropout_passes_gradcheck_with_a_fixed_mask(x, seed):
    gradcheck(lambda t: F.dropout(t, 0.4, generator=np.random.default_rng(seed)), leaf(x))


def test_dropout_repeats_after_reseeding():
    x = Tensor(np.ones((4, 5)))
    minidl.core.random.seed(7)
    first = F.dropout(x, 0.5).data
    minidl.core.random.seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, first)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_outside_zero_one_is_a_clear_error(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        F.dropout(Tensor(np.ones(3)), rate)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937])
@given(size=st.integers(0, 200), half_drawn=st.booleans(), seed=st.integers(0, 1000))
def test_draws_split_over_the_cores_are_the_generators_own_stream(bit_generator, size, half_drawn, seed):
    # dropout's draws: backend.fill_uniform gives each core a part, each from a copy of the generator
    # that jumped ahead; the numbers, and every draw after them, must be those of generator.random.
    from minidl.core import backend, cores

    ours, theirs = np.random.Generator(bit_generator(seed)), np.random.Generator(bit_generator(seed))
    if half_drawn:  # a 32-bit draw leaves half of a 64-bit step buffered in the generator
        ours.integers(0, 9, dtype=np.int32), theirs.integers(0, 9, dtype=np.int32)
    saved = backend.PARALLEL_DRAWS_MIN, cores.parallel_kernels
    backend.PARALLEL_DRAWS_MIN, cores.parallel_kernels = 7, True  # split even small draws
    try:
        out = np.empty(size)
        backend.fill_uniform(ours, out)
    finally:
        backend.PARALLEL_DRAWS_MIN, cores.parallel_kernels = saved
    np.testing.assert_array_equal(out, theirs.random(size))
    five = dict(size=5, dtype=np.int32)
    np.testing.assert_array_equal(ours.integers(0, 9, **five), theirs.integers(0, 9, **five))
    np.testing.assert_array_equal(ours.random(3), theirs.random(3))


def _draw_in_child(result):
    from minidl.core import backend

    out = np.empty(1000)
    backend.fill_uniform(np.random.default_rng(3), out)
    result.put(np.array_equal(out, np.random.default_rng(3).random(1000)))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_splits_its_draws_over_the_cores_too(monkeypatch):
    # The parent's pool of drawing threads does not exist in a forked child; the child must not wait on it.
    import multiprocessing

    from minidl.core import backend, cores

    monkeypatch.setattr(backend, "PARALLEL_DRAWS_MIN", 10)
    monkeypatch.setattr(cores, "parallel_kernels", True)
    backend.fill_uniform(np.random.default_rng(0), np.empty(1000))  # the parent's pool exists now
    context = multiprocessing.get_context("fork")
    result = context.Queue()
    child = context.Process(target=_draw_in_child, args=(result,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0 and result.get(timeout=5)
