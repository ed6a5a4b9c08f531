"""BatchNormalization followed by a ReLU in training, as one function (functional.batch_norm_relu_with_statistics)."""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import Tensor, gradcheck, kernels
from minidl import functional as F
from minidl import layers as L
from minidl.functional import norm
from minidl.models import fusion


@contextlib.contextmanager
def kernels_in_use(name):
    kernels.use(name)
    try:
        yield
    finally:
        kernels.use("numba")


def case(seed, shape, dtype=np.float64):
    """x, gamma, beta with every normalised-and-scaled value at least 0.05 from the ReLU's kink at 0."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    gamma, beta = rng.uniform(0.5, 2.0, shape[-1]).astype(dtype), rng.normal(size=shape[-1]).astype(dtype)
    axes = tuple(range(x.ndim - 1))
    z = gamma * (x - x.mean(axes)) / np.sqrt(x.var(axes) + 1e-3) + beta
    return x, gamma, beta, np.abs(z).min() > 0.05


@pytest.mark.parametrize("kernel_choice", ["numba", "reference"])
@pytest.mark.parametrize("shape", [(7, 3), (2, 4, 5, 2), (3, 6, 4)])
def test_batch_norm_relu_passes_a_float64_gradcheck(kernel_choice, shape):
    seed = next(s for s in range(200) if case(s, shape)[3])
    x, gamma, beta, _ = case(seed, shape)
    leaves = [Tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    with kernels_in_use(kernel_choice):
        report = gradcheck(lambda a, g, b: F.batch_norm_relu_with_statistics(a, g, b)[0], *leaves,
                           atol=1e-6, rtol=1e-4, raise_exception=False)
    assert report.passed, report


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(5, 1), (16, 3), (2, 3, 4, 6), (9, 7, 8)]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_compiled_kernels_give_the_reference_values(seed, shape, dtype):
    x, gamma, beta, _ = case(seed, shape, dtype)
    rng = np.random.default_rng(seed + 1)
    mean, variance = norm.batch_norm_statistics(x)
    inverse_std = (1 / np.sqrt(variance + 1e-3)).astype(dtype)
    forward = kernels.implementation("batch_norm_relu_forward", x, mean, inverse_std, gamma, beta)
    assert forward is not norm.batch_norm_relu_forward.reference
    got, expected = forward(x, mean, inverse_std, gamma, beta), norm.batch_norm_relu_forward.reference(
        x, mean, inverse_std, gamma, beta)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    x_hat, y = got
    gy = rng.normal(size=shape).astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for input_gradient in (True, False):
        got = norm.batch_norm_relu_backward(gy, y, x_hat, gamma, inverse_std, input_gradient)
        expected = norm.batch_norm_relu_backward.reference(gy, y, x_hat, gamma, inverse_std, input_gradient)
        assert (got[0] is None) == (not input_gradient)
        for a, b in zip(got, expected):
            if b is not None:
                assert a.dtype == b.dtype == dtype
                np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def test_the_forward_is_batch_normalisation_then_relu_to_the_bit():
    x, gamma, beta, _ = case(5, (4, 6, 6, 3), np.float32)
    y, mean, variance = F.batch_norm_relu_with_statistics(x, gamma, beta)
    apart, mean_apart, variance_apart = F.batch_norm_with_statistics(x, gamma, beta)
    np.testing.assert_array_equal(y.numpy(), F.relu(apart).numpy())
    np.testing.assert_array_equal(mean, mean_apart)
    np.testing.assert_array_equal(variance, variance_apart)


def conv_bn_relu_model():
    minidl.random.seed(3)
    inputs = L.Input((8, 8, 2))
    h = L.ReLU()(L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(inputs)))
    h = L.Activation("relu")(L.BatchNormalization()(L.Dense(5)(L.Flatten()(h))))
    model = minidl.Model(inputs, L.Dense(3, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_training_through_the_fused_function_gives_the_weights_of_the_layers_apart_to_the_bit(monkeypatch):
    calls = []
    original = fusion.run_normalization_relu
    monkeypatch.setattr(fusion, "run_normalization_relu", lambda layer, x: calls.append(layer) or original(layer, x))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 8, 8, 2)).astype(np.float32), rng.integers(0, 3, 24)
    fused = conv_bn_relu_model()
    fused.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert len(calls) == 2 * 3 * 2  # two BN+ReLU pairs, three batches, two epochs
    apart = conv_bn_relu_model()
    monkeypatch.setattr(fusion, "ENABLED", False)
    apart.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(fused.get_weights(), apart.get_weights()):  # moving statistics included
        np.testing.assert_array_equal(a, b)


def test_arrays_large_enough_for_the_threaded_loops_give_the_same_values():
    from minidl.core import cores

    x, gamma, beta, _ = case(7, (70, 64, 64), np.float32)
    assert x.size >= cores.PARALLEL_MIN_ELEMENTS
    y, _, _ = F.batch_norm_relu_with_statistics(x, gamma, beta)
    apart = F.relu(F.batch_norm_with_statistics(x, gamma, beta)[0])
    np.testing.assert_array_equal(y.numpy(), apart.numpy())
    mean, variance = norm.batch_norm_statistics(x)
    inverse_std = (1 / np.sqrt(variance + 1e-3)).astype(np.float32)
    x_hat = norm.batch_norm_forward(x, mean, inverse_std, gamma, beta)[0]
    gy = np.random.default_rng(8).normal(size=x.shape).astype(np.float32)
    got = norm.batch_norm_relu_backward(gy, y.numpy(), x_hat, gamma, inverse_std, True)
    gated = gy * (apart.numpy() > 0)  # the ReLU's backward, then batch norm's: the layers apart, compiled
    expected = norm.batch_norm_backward(gated, x_hat, gamma, inverse_std, True)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
