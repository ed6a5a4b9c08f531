"""Metrics against hand-worked examples and independent formulas."""

import numpy as np
import pytest

import minidl
from minidl import metrics


def test_confusion_matrix_counts_true_by_predicted():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    probabilities = np.eye(3)[y_pred] * 0.8 + 0.05
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(3)[y_true], probabilities, num_classes=3),
                                  [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_precision_recall_f1_per_class_and_macro():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    np.testing.assert_allclose(metrics.precision(y_true, y_pred), [1 / 2, 1 / 2, 1.0])
    np.testing.assert_allclose(metrics.recall(y_true, y_pred), [1 / 2, 1.0, 2 / 3])
    f1 = [2 * 0.25 / 1.0, 2 * 0.5 / 1.5, 2 * (2 / 3) / (5 / 3)]
    np.testing.assert_allclose(metrics.f1(y_true, y_pred), f1)
    assert metrics.f1(y_true, y_pred, average="macro") == pytest.approx(np.mean(f1))
    with pytest.raises(ValueError, match="macro"):
        metrics.precision(y_true, y_pred, average="micro")


def test_accuracies():
    assert metrics.sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]]) == 0.5
    assert metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.9, 0.1]]) == 1.0
    assert metrics.binary_accuracy([[1], [0], [1]], [[0.7], [0.6], [0.2]]) == pytest.approx(1 / 3)


def test_roc_auc_equals_the_probability_that_a_positive_outranks_a_negative(rng):
    labels = rng.integers(0, 2, 200)
    scores = rng.normal(labels * 1.0, 1.0)
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    positives, negatives = scores[labels == 1], scores[labels == 0]
    mann_whitney = np.mean(positives[:, None] > negatives[None, :])
    assert metrics.auc(fpr, tpr) == pytest.approx(mann_whitney, abs=1e-12)


def test_roc_of_a_perfect_ranking_has_unit_area():
    fpr, tpr, _ = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert metrics.auc(fpr, tpr) == 1.0


def test_precision_recall_curve_by_hand():
    precision, recall, thresholds = metrics.precision_recall_curve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    np.testing.assert_allclose(thresholds, [0.9, 0.8, 0.7, 0.1])
    np.testing.assert_allclose(precision, [1.0, 0.5, 2 / 3, 0.5])
    np.testing.assert_allclose(recall, [0.5, 0.5, 1.0, 1.0])


def test_pearson_matches_numpy(rng):
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert metrics.pearson(a, a * 0.5 + b) == pytest.approx(np.corrcoef(a, a * 0.5 + b)[0, 1])


def test_metric_lookup_picks_accuracy_from_the_loss_and_lists_valid_names():
    assert metrics.get("accuracy", "categorical_crossentropy")[1] is metrics.categorical_accuracy
    assert metrics.get("acc", "sparse_categorical_crossentropy")[1] is metrics.sparse_categorical_accuracy
    assert metrics.get("accuracy", "binary_crossentropy")[1] is metrics.binary_accuracy
    assert metrics.get(metrics.pearson) == ("pearson", metrics.pearson)
    with pytest.raises(ValueError, match="binary_accuracy"):
        metrics.get("precission")


def test_streaming_metrics_follow_their_definitions_over_batches():
    rng = np.random.default_rng(4)
    y = rng.normal(size=(50, 2))
    p = y + rng.normal(scale=0.5, size=(50, 2))
    r2, rmse = minidl.metrics.R2Score(), minidl.metrics.RootMeanSquaredError()
    for part in (slice(0, 13), slice(13, 50)):
        r2.update_state(y[part], p[part])
        rmse.update_state(y[part], p[part])
    expected_r2 = np.mean(1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0))
    np.testing.assert_allclose(r2.result(), expected_r2, rtol=1e-9)
    np.testing.assert_allclose(rmse.result(), np.sqrt(((y - p) ** 2).mean()), rtol=1e-9)
    labels, scores = np.array([1, 1, 0, 0, 1]), np.array([0.9, 0.4, 0.6, 0.2, 0.7])
    precision, recall = minidl.metrics.Precision(), minidl.metrics.Recall()
    precision.update_state(labels, scores)
    recall.update_state(labels, scores)
    assert precision.result() == 2 / 3 and recall.result() == 2 / 3  # TP 0.9, 0.7; FP 0.6; FN 0.4
    auc = minidl.metrics.AUC()
    auc.update_state([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8])
    assert auc.result() == pytest.approx(1.0)
    auc.reset_state()
    noise = rng.random(4000)
    auc.update_state(rng.random(4000) < 0.5, noise)
    assert auc.result() == pytest.approx(0.5, abs=0.03)


def test_ops_compute_on_arrays_and_differentiate_on_tensors():
    from minidl import ops

    x = np.random.default_rng(1).normal(size=(6, 3))
    np.testing.assert_allclose(ops.std(x, axis=0), x.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ops.var(minidl.Tensor(x), axis=1).data, x.var(axis=1), rtol=1e-12)
    assert ops.epsilon() == minidl.core.config.epsilon() == 1e-7

    def correlation_loss(t):  # a custom loss written with ops, as a lesson writes one
        centred = ops.subtract(t, ops.mean(t, axis=0, keepdims=True))
        return ops.mean(ops.square(centred), axis=0) / (ops.std(t, axis=0) + ops.epsilon())

    minidl.gradcheck(correlation_loss, minidl.Tensor(x, requires_grad=True))


def test_a_users_metric_counts_as_keras_counts_it():
    model = minidl.Sequential([minidl.layers.Input((2,)), minidl.layers.Dense(1, kernel_initializer="ones")])
    model.compile("sgd", "mse", metrics=[lambda y, p: np.full(len(p), float(len(p)))])  # one value per sample
    x = np.ones((5, 2), np.float32)
    figures = model.evaluate(x, np.zeros((5, 1)), batch_size=4, verbose=0, return_dict=True)
    assert figures["<lambda>"] == pytest.approx((4 * 4 + 1 * 1) / 5)  # weighted by samples
    model.compile("sgd", "mse", metrics=[lambda y, p: float(len(p))])  # one number per batch
    figures = model.evaluate(x, np.zeros((5, 1)), batch_size=4, verbose=0, return_dict=True)
    assert figures["<lambda>"] == pytest.approx((4 + 1) / 2)  # each batch once
