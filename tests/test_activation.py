"""Activations: float64 gradient checks and forward values against closed forms."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import Tensor, gradcheck
from minidl import functional as F
from tests.strategies import away_from, float64_arrays, leaf, small_shapes


@pytest.mark.parametrize(
    "activation",
    [F.sigmoid, F.tanh, F.softplus, F.relu, lambda x: F.leaky_relu(x, 0.2), lambda x: F.elu(x, 1.5), F.selu,
     F.gelu, lambda x: F.gelu(x, approximate=True), F.swish, F.hard_sigmoid, F.hard_swish, F.softsign, F.relu6],
    ids=["sigmoid", "tanh", "softplus", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish",
         "hard_sigmoid", "hard_swish", "softsign", "relu6"],
)
@given(x=float64_arrays(small_shapes, -8.0, 8.0))
def test_elementwise_activations_pass_gradcheck(activation, x):
    gradcheck(activation, leaf(away_from(x, [0.0, -3.0, 3.0, 6.0])))  # away from the kinks


@given(x=float64_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), -5.0, 5.0), data=st.data())
def test_softmax_and_log_softmax_pass_gradcheck_on_any_axis(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    gradcheck(lambda t: F.softmax(t, axis), leaf(x))
    gradcheck(lambda t: F.log_softmax(t, axis), leaf(x))


@given(x=float64_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), -50.0, 50.0))
def test_softmax_rows_are_probabilities_and_log_softmax_is_their_log(x):
    probabilities = F.softmax(Tensor(x), axis=-1).data
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-12)
    log_probabilities = F.log_softmax(Tensor(x), axis=-1).data
    finite = probabilities > 1e-300
    np.testing.assert_allclose(log_probabilities[finite], np.log(probabilities[finite]), rtol=1e-9, atol=1e-12)


def test_softmax_of_huge_logits_is_finite():
    x = Tensor([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]])
    np.testing.assert_allclose(F.softmax(x).data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    assert np.all(np.isfinite(F.log_softmax(x).data))


def test_elementwise_activations_match_their_textbook_formulas():
    x = np.linspace(-4, 4, 17)
    t = Tensor(x)
    np.testing.assert_allclose(F.sigmoid(t).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(t).data, np.tanh(x))
    np.testing.assert_allclose(F.relu(t).data, np.where(x > 0, x, 0))
    np.testing.assert_allclose(F.leaky_relu(t, 0.1).data, np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(F.elu(t, 2.0).data, np.where(x > 0, x, 2.0 * (np.exp(x) - 1)))
    np.testing.assert_allclose(F.softplus(t).data, np.log(1 + np.exp(x)))


def test_newer_activations_match_closed_forms():
    x = np.linspace(-7, 7, 57)
    t = Tensor(x)
    alpha, scale = 1.6732632423543772, 1.0507009873554805  # Klambauer et al. 2017, eq. 14
    np.testing.assert_allclose(F.selu(t).data, scale * np.where(x > 0, x, alpha * (np.exp(x) - 1)), rtol=1e-12)
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(F.gelu(t).data, x * cdf, rtol=1e-12, atol=1e-300)
    tanh_form = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(F.gelu(t, approximate=True).data, tanh_form, rtol=1e-12)
    np.testing.assert_allclose(F.gelu(t, approximate=True).data, x * cdf, atol=1e-3)  # the approximation is close
    np.testing.assert_allclose(F.swish(t).data, x / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(F.hard_sigmoid(t).data, np.minimum(np.maximum(x + 3, 0), 6) / 6, rtol=1e-12)
    np.testing.assert_allclose(F.softsign(t).data, x / (1 + np.abs(x)), rtol=1e-12)
    np.testing.assert_allclose(F.relu6(t).data, np.minimum(np.maximum(x, 0), 6))


def test_erf_kernel_matches_math_erf_in_both_precisions():
    from minidl.functional.activation import erf

    for dtype in (np.float32, np.float64):
        x = np.random.default_rng(0).normal(scale=3, size=(7, 5)).astype(dtype)
        expected = np.array([math.erf(v) for v in x.ravel().astype(float)]).reshape(x.shape)
        np.testing.assert_allclose(erf(x), expected, rtol=1e-6 if dtype == np.float32 else 1e-15)
        assert erf(x).dtype == dtype


def test_sigmoid_and_softplus_are_finite_and_accurate_in_the_tails():
    x = Tensor([-800.0, -40.0, 40.0, 800.0], dtype="float64")
    np.testing.assert_allclose(F.sigmoid(x).data, [0.0, np.exp(-40.0), 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(F.softplus(x).data, [0.0, np.exp(-40.0), 40.0, 800.0], rtol=1e-12)
    assert np.all(np.isfinite(F.elu(x).data))


def test_relu_gradient_at_zero_is_zero():
    x = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])
