"""Losses: gradient checks, closed-form values and numerical stability."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import Tensor, gradcheck
from minidl import functional as F
from tests.strategies import float64_arrays, leaf

batch_and_classes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@st.composite
def regression_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    return draw(float64_arrays(shape)), draw(float64_arrays(shape))


@given(case=regression_case())
def test_mean_squared_and_absolute_errors_pass_gradcheck(case):
    y_true, y_pred = case
    gradcheck(lambda p: F.mean_squared_error(y_true, p), leaf(y_pred))
    y_pred = np.where(np.abs(y_pred - y_true) < 1e-3, y_true + 0.01, y_pred)  # |d| has a kink at 0
    gradcheck(lambda p: F.mean_absolute_error(y_true, p), leaf(y_pred))


@given(case=regression_case())
def test_mean_squared_and_absolute_errors_equal_their_definitions(case):
    y_true, y_pred = case
    np.testing.assert_allclose(F.mean_squared_error(y_true, Tensor(y_pred)).item(), np.mean((y_pred - y_true) ** 2))
    np.testing.assert_allclose(F.mean_absolute_error(y_true, Tensor(y_pred)).item(), np.mean(np.abs(y_pred - y_true)))


@given(shape=batch_and_classes, data=st.data())
def test_binary_crossentropy_passes_gradcheck_from_probabilities_and_logits(shape, data):
    targets = data.draw(float64_arrays(shape, 0.0, 1.0))
    probabilities = data.draw(float64_arrays(shape, 0.02, 0.98))
    logits = data.draw(float64_arrays(shape, -8.0, 8.0))
    gradcheck(lambda p: F.binary_crossentropy(targets, p), leaf(probabilities))
    gradcheck(lambda z: F.binary_crossentropy(targets, z, from_logits=True), leaf(logits))


@given(shape=batch_and_classes, data=st.data())
def test_binary_crossentropy_from_logits_equals_the_textbook_formula(shape, data):
    targets = data.draw(float64_arrays(shape, 0.0, 1.0))
    logits = data.draw(float64_arrays(shape, -8.0, 8.0))
    p = 1 / (1 + np.exp(-logits))
    expected = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_crossentropy(targets, Tensor(logits), from_logits=True).item(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(F.binary_crossentropy(targets, Tensor(p)).item(), expected, rtol=1e-6)


def _one_hot(labels, classes):
    return np.eye(classes)[labels]


@given(shape=batch_and_classes, data=st.data())
def test_categorical_crossentropies_pass_gradcheck(shape, data):
    batch, classes = shape
    labels = data.draw(hnp.arrays(np.int64, batch, elements=st.integers(0, classes - 1)))
    probabilities = data.draw(float64_arrays(shape, 0.05, 1.0))  # not normalised: the loss renormalises
    logits = data.draw(float64_arrays(shape, -6.0, 6.0))
    soft_targets = data.draw(float64_arrays(shape, 0.0, 1.0))
    for targets in (_one_hot(labels, classes), soft_targets):
        gradcheck(lambda p: F.categorical_crossentropy(targets, p), leaf(probabilities))
        gradcheck(lambda z: F.categorical_crossentropy(targets, z, from_logits=True), leaf(logits))
    gradcheck(lambda p: F.sparse_categorical_crossentropy(labels, p), leaf(probabilities))
    gradcheck(lambda z: F.sparse_categorical_crossentropy(labels, z, from_logits=True), leaf(logits))


@given(shape=batch_and_classes, data=st.data())
def test_categorical_crossentropy_is_minus_the_mean_log_probability_of_the_true_class(shape, data):
    batch, classes = shape
    labels = data.draw(hnp.arrays(np.int64, batch, elements=st.integers(0, classes - 1)))
    logits = data.draw(float64_arrays(shape, -6.0, 6.0))
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(batch), labels])
    z = Tensor(logits)
    np.testing.assert_allclose(F.sparse_categorical_crossentropy(labels, z, from_logits=True).item(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(F.categorical_crossentropy(_one_hot(labels, classes), z, from_logits=True).item(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(F.sparse_categorical_crossentropy(labels, F.softmax(z)).item(), expected, rtol=1e-6, atol=1e-6)


def test_uniform_prediction_costs_log_of_the_number_of_classes():
    loss = F.sparse_categorical_crossentropy([0, 3, 1], Tensor(np.full((3, 4), 0.25)))
    np.testing.assert_allclose(loss.item(), np.log(4), rtol=1e-6)


@pytest.mark.parametrize("magnitude", [1e4, -1e4])
def test_crossentropies_from_huge_logits_are_finite_with_finite_gradients(magnitude):
    logits = Tensor([[magnitude, 0.0, -magnitude], [0.0, magnitude, 1.0]], requires_grad=True)
    for loss in (
        F.sparse_categorical_crossentropy([2, 1], logits, from_logits=True),
        F.categorical_crossentropy(_one_hot([2, 1], 3), logits, from_logits=True),
        F.binary_crossentropy(np.ones((2, 3)), logits, from_logits=True),
    ):
        logits.grad = None
        loss.backward()
        assert np.isfinite(loss.item())
        assert np.all(np.isfinite(logits.grad))
    wrong = F.binary_crossentropy([[0.0]], Tensor([[1e4]]), from_logits=True).item()
    np.testing.assert_allclose(wrong, 1e4, rtol=1e-6)


def test_crossentropies_of_probabilities_exactly_zero_or_one_are_not_nan():
    probabilities = Tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)
    for loss in (
        F.sparse_categorical_crossentropy([1, 1], probabilities),
        F.categorical_crossentropy(_one_hot([1, 1], 3), probabilities),
        F.binary_crossentropy([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], probabilities),
    ):
        probabilities.grad = None
        loss.backward()
        assert np.isfinite(loss.item())
        assert np.all(np.isfinite(probabilities.grad))
    # A certain, wrong answer costs -log(eps), as in Keras.
    loss = F.sparse_categorical_crossentropy([1], Tensor([[1.0, 0.0]])).item()
    np.testing.assert_allclose(loss, -np.log(1e-7), rtol=1e-3)


def test_losses_accept_a_target_without_the_trailing_axis_of_size_one():
    y_pred = Tensor(np.array([[0.5], [1.5]]))
    np.testing.assert_allclose(F.mean_squared_error([1.0, 1.0], y_pred).item(), 0.25)
    np.testing.assert_allclose(F.sparse_categorical_crossentropy([[0], [1]], Tensor(np.full((2, 2), 0.5))).item(), np.log(2), rtol=1e-6)


def test_loss_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        F.mean_squared_error(np.ones(3), Tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2, 3\)"):
        F.categorical_crossentropy(np.ones((2, 2)), Tensor(np.ones((2, 3))))


def test_sparse_labels_out_of_range_say_the_valid_range():
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        F.sparse_categorical_crossentropy([0, 3], Tensor(np.full((2, 3), 1 / 3)))
    with pytest.raises(ValueError, match="integer"):
        F.sparse_categorical_crossentropy([0.5, 1], Tensor(np.full((2, 3), 1 / 3)))


@given(shape=batch_and_classes, data=st.data())
def test_sample_weights_scale_each_samples_loss_and_pass_gradcheck(shape, data):
    batch, classes = shape
    labels = data.draw(hnp.arrays(np.int64, batch, elements=st.integers(0, classes - 1)))
    logits = data.draw(float64_arrays(shape, -6.0, 6.0))
    weights = data.draw(float64_arrays((batch,), 0.0, 3.0))
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.sum(weights * log_p[np.arange(batch), labels]) / batch
    loss = F.sparse_categorical_crossentropy(labels, Tensor(logits), from_logits=True, sample_weight=weights)
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-9, atol=1e-12)
    targets = data.draw(float64_arrays(shape))
    expected_mse = np.sum(weights * np.mean((logits - targets) ** 2, axis=1)) / batch
    np.testing.assert_allclose(F.mean_squared_error(targets, Tensor(logits), sample_weight=weights).item(), expected_mse, rtol=1e-9, atol=1e-12)
    gradcheck(lambda z: F.sparse_categorical_crossentropy(labels, z, from_logits=True, sample_weight=weights), leaf(logits))
    probabilities = data.draw(float64_arrays(shape, 0.05, 0.95))
    gradcheck(lambda p: F.categorical_crossentropy(_one_hot(labels, classes), p, sample_weight=weights), leaf(probabilities))
    gradcheck(lambda p: F.binary_crossentropy(targets.clip(0, 1), p, sample_weight=weights), leaf(probabilities))
    gradcheck(lambda z: F.binary_crossentropy(targets.clip(0, 1), z, from_logits=True, sample_weight=weights), leaf(logits))
    gradcheck(lambda z: F.mean_absolute_error(targets + 0.5 * (np.abs(logits - targets) < 1e-3), z, sample_weight=weights), leaf(logits))


def test_sample_weight_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        F.mean_squared_error(np.ones((2, 1)), Tensor(np.ones((2, 1))), sample_weight=np.ones(3))
