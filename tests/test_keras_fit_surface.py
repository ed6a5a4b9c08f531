"""Keras 3's training surface beyond the basics, side by side with Keras: freezing, compile's options, weighted metrics.

Each test builds the same model in both libraries (minidl's weights copied
from Keras's) or checks what Keras's documentation states.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402
else:
    keras = pytest.importorskip("keras")

import minidl  # noqa: E402


def blobs(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, n)


def both_classifiers(**compile_options):
    def build(lib):
        return lib.Sequential([lib.Input((4,)), lib.layers.Dense(8, activation="relu"),
                               lib.layers.Dense(3, activation="softmax")])

    keras_model, model = build(keras), build(minidl)
    model.set_weights(keras_model.get_weights())
    for each in (keras_model, model):
        each.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", **compile_options)
    return keras_model, model


def test_weighted_metrics_are_weighted_by_sample_weight_and_named_as_keras_names_them():
    keras_model, model = both_classifiers(metrics=["accuracy"], weighted_metrics=["accuracy", "sparse_categorical_crossentropy"])
    x, y = blobs()
    weights = np.linspace(0.1, 2.0, len(x)).astype(np.float32)
    expected = keras_model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0, return_dict=True)
    got = model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0, return_dict=True)
    assert set(got) == set(expected) == {"loss", "accuracy", "weighted_accuracy", "sparse_categorical_crossentropy"}
    for key in expected:
        assert got[key] == pytest.approx(float(expected[key]), rel=1e-4, abs=1e-6), key


def test_compile_accepts_kerass_execution_options_and_refuses_impossible_ones():
    _, model = both_classifiers(run_eagerly=True, steps_per_execution=4, jit_compile=False, auto_scale_loss=False)
    assert model.run_eagerly is True and model.steps_per_execution == 4 and model.jit_compile is False
    model.fit(*blobs(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="steps_per_execution must be an integer >= 1, got 0"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=0)
    with pytest.raises(ValueError, match="jit_compile must be 'auto', True or False, got 'xla'"):
        model.compile(optimizer="sgd", loss="mse", jit_compile="xla")


def test_a_frozen_model_inside_a_sequential_counts_and_trains_as_in_keras():
    def build(lib):
        base = lib.Sequential([lib.Input((4,)), lib.layers.Dense(8), lib.layers.BatchNormalization()])
        base.trainable = False
        return base, lib.Sequential([base, lib.layers.Dense(3, activation="softmax")])

    (keras_base, keras_model), (base, model) = build(keras), build(minidl)
    assert model.built and [layer.trainable for layer in base.layers] == [False, False]
    for each, theirs in ((model, keras_model), (base, keras_base)):
        assert len(each.trainable_weights) == len(theirs.trainable_weights)
        assert len(each.non_trainable_weights) == len(theirs.non_trainable_weights)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    frozen = base.get_weights()
    model.fit(*blobs(), epochs=1, verbose=0)  # training=True, yet the frozen BatchNormalization keeps its statistics
    assert all(np.array_equal(a, b) for a, b in zip(frozen, base.get_weights()))
    base.trainable = True  # the transfer-learning guide's fine-tuning: unfreeze, recompile, train
    model.compile(optimizer=minidl.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(*blobs(), epochs=1, verbose=0)
    assert len(model.trainable_weights) == len(keras_model.trainable_weights) + 4
    assert not np.array_equal(frozen[0], base.get_weights()[0])
