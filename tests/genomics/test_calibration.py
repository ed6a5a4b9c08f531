"""Temperature scaling and the calibration measures, on synthetic predictions whose answers are known."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.learning import calibration, networks as models
from genomics.learning.evaluation import Evaluation, network_evaluation


def sample_labels(probabilities, generator):
    """One label per row drawn from that row's probabilities: these probabilities are calibrated by construction."""
    cumulative = probabilities.cumsum(axis=1)
    return (generator.random((len(probabilities), 1)) > cumulative).sum(axis=1).clip(max=probabilities.shape[1] - 1)


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_temperature_scaling_recovers_the_temperature_that_made_the_labels(true_temperature):
    """Labels drawn from softmax(z / T0): the maximum-likelihood T is T0 up to sampling error."""
    generator = np.random.default_rng(1)
    logits = generator.normal(0, 3, size=(20_000, 4))
    labels = sample_labels(calibration.softmax(logits, true_temperature), generator)
    fitted = calibration.fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)
    # Over-confident logits (the network's usual fault) are softened: T > 1 undoes a factor of 3.
    assert calibration.fit_temperature(3 * logits, labels) == pytest.approx(3 * true_temperature, rel=0.05)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), classes=st.integers(2, 6), scale=st.floats(0.1, 5))
def test_the_fitted_temperature_minimises_the_log_loss_and_keeps_every_decision(seed, classes, scale):
    generator = np.random.default_rng(seed)
    logits = generator.normal(0, scale, size=(300, classes))
    labels = generator.integers(0, classes, 300)
    labels[:classes] = np.arange(classes)  # every class present
    temperature = calibration.fit_temperature(logits, labels)
    loss = lambda t: calibration.log_loss(calibration.softmax(logits, t), labels)  # noqa: E731
    grid = np.exp(np.linspace(np.log(0.01), np.log(100), 400))  # an independent brute-force search
    assert loss(temperature) <= min(loss(t) for t in grid) + 1e-6
    assert (calibration.softmax(logits, temperature).argmax(1) == logits.argmax(1)).all()


def test_perfectly_calibrated_predictions_have_an_ece_near_zero_and_confident_mistakes_a_large_one():
    generator = np.random.default_rng(2)
    probabilities = calibration.softmax(generator.normal(0, 2, size=(50_000, 3)))
    labels = sample_labels(probabilities, generator)
    assert calibration.expected_calibration_error(probabilities, labels) < 0.01
    sharpened = calibration.softmax(np.log(probabilities), 0.3)  # over-confident
    assert calibration.expected_calibration_error(sharpened, labels) > 0.1


def test_measures_against_their_closed_forms():
    uniform = np.full((4, 5), 0.2)
    labels = np.array([0, 1, 2, 3])
    assert calibration.log_loss(uniform, labels) == pytest.approx(np.log(5))
    assert calibration.brier_score(uniform, labels) == pytest.approx(0.8 ** 2 + 4 * 0.2 ** 2)
    certain = np.eye(5)[labels]
    assert calibration.brier_score(certain, labels) == 0 and calibration.log_loss(certain, labels) < 1e-12
    assert calibration.brier_score(np.eye(5)[[1, 2, 3, 4]], labels) == pytest.approx(2.0)  # always wrong: the maximum
    # One bin, confidence 0.2, accuracy 1/4 (only label 0 is argmax 0): ECE = |0.25 - 0.2|.
    assert calibration.expected_calibration_error(uniform, labels) == pytest.approx(0.05)


def test_evaluation_reports_counts_rates_and_scores_for_each_output():
    labels = np.array([0, 0, 1, 1, 1, 2])
    logits = np.array([[3, 0, 0], [0, 3, 0], [0, 3, 0], [0, 3, 0], [3, 0, 0], [0, 0, 3]], dtype=float)
    evaluation = network_evaluation(["a", "b", "c"], labels, logits, temperature=2.0)
    assert evaluation.confusion.tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    np.testing.assert_allclose(evaluation.rates[1], [1 / 3, 2 / 3, 0])
    np.testing.assert_allclose(evaluation.f1, [0.5, 2 / 3, 1.0])
    assert list(evaluation.scores) == ["softmax (not calibrated)", "calibrated probabilities (T = 2.000)"]
    raw, tempered = evaluation.scores.values()
    assert raw["accuracy"] == tempered["accuracy"] == pytest.approx(4 / 6)
    assert tempered["log_loss"] == pytest.approx(calibration.log_loss(calibration.softmax(logits / 2), labels))
    report = evaluation.report()
    assert "0.667" in report and "ECE" in report and "F1" in report
    with pytest.raises(ValueError, match="at least one set of probabilities"):
        Evaluation(["a"], labels, {})


def test_logits_come_from_the_logits_layer_or_from_an_older_final_softmax_layer():
    from minidl import Sequential
    from minidl.layers import Dense, Input

    network = models.build("cnn1d", (4, 16, 2), 3)
    x = np.random.default_rng(0).normal(size=(5, 16, 8)).astype(np.float32)
    np.testing.assert_allclose(calibration.softmax(models.logits(network, x)), network.predict(x), atol=1e-6)
    older = Sequential([Input((8,)), Dense(6, activation="relu"), Dense(3, activation="softmax")])
    features = x[:, 0, :]
    np.testing.assert_allclose(calibration.softmax(models.logits(older, features)), older.predict(features), atol=1e-6)
    with pytest.raises(ValueError, match="neither a layer named 'logits'"):
        models.logits(Sequential([Input((8,)), Dense(3)]), features)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"fit_temperature: expected \(N, classes\) values and N labels"):
        calibration.fit_temperature(np.zeros((3, 2)), np.zeros(4, int))
    with pytest.raises(ValueError, match="labels must be in 0..1"):
        calibration.log_loss(np.full((2, 2), 0.5), np.array([0, 2]))
