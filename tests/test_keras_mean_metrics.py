"""keras.metrics.Mean, Sum and the cross-entropy metric classes, against Keras 3 itself."""

import numpy as np
import pytest

import minidl

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(11)
LOGITS = RNG.normal(size=(6, 4)).astype(np.float32)
PROBABILITIES = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
LABELS = RNG.integers(0, 4, 6)
ONE_HOT = np.eye(4, dtype=np.float32)[LABELS]
BINARY = RNG.integers(0, 2, (6, 4)).astype(np.float32)
WEIGHTS = np.linspace(0.2, 1.5, 6).astype(np.float32)

CASES = [
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, LOGITS),
    ("BinaryCrossentropy", {}, BINARY, 1 / (1 + np.exp(-LOGITS))),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBABILITIES),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, LOGITS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBABILITIES),
]


@pytest.mark.parametrize("name, options, y_true, y_pred", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_crossentropy_metrics_accumulate_as_kerass(name, options, y_true, y_pred, weighted):
    theirs, ours = getattr(keras.metrics, name)(**options), getattr(minidl.metrics, name)(**options)
    for rows in (slice(0, 4), slice(4, 6)):
        weight = WEIGHTS[rows] if weighted else None
        theirs.update_state(y_true[rows], y_pred[rows], sample_weight=weight)
        ours.update_state(y_true[rows], y_pred[rows], sample_weight=weight)
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-5)
    assert ours.name == theirs.name


def test_mean_and_sum_weigh_values_as_kerass():
    for cls in ("Mean", "Sum"):
        theirs, ours = getattr(keras.metrics, cls)(name="loss"), getattr(minidl.metrics, cls)(name="loss")
        for values, weight in ((LOGITS, None), (LOGITS[:, 0], WEIGHTS), (2.5, None)):
            theirs.update_state(values, sample_weight=weight)
            ours.update_state(values, sample_weight=weight)
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-5)
        ours.reset_state()
        assert ours.result() == 0.0


def test_a_crossentropy_metric_in_compile_is_logged_under_its_name():
    model = minidl.Sequential([minidl.Input((4,)), minidl.layers.Dense(1)])
    model.compile(optimizer="adam", loss=minidl.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[minidl.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy"), "accuracy"])
    history = model.fit(LOGITS, BINARY[:, :1], epochs=1, verbose=0)
    assert set(history.history) == {"loss", "binary_crossentropy", "accuracy"}
    assert history.history["binary_crossentropy"][0] == pytest.approx(history.history["loss"][0], rel=1e-4)
