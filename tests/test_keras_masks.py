"""Masks beyond the recurrent layers, checked against Keras 3: merge layers, BatchNormalization, losses, metrics.

Each case runs the same model, with the same weights, in Keras and in
minidl, and compares the values and the masks the outputs carry.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl import layers as L  # noqa: E402

keras = pytest.importorskip("keras")

FIRST = np.array([[3, 0, 2, 0], [0, 1, 0, 5], [4, 4, 0, 0]])
SECOND = np.array([[0, 0, 2, 4], [1, 1, 0, 0], [0, 2, 0, 3]])


def copied(build, inputs_shapes, dtype="int32"):
    """(Keras model, minidl model) of ``build(layers, *inputs)``, with the same weights."""
    keras_inputs = [keras.Input(shape, dtype=dtype) for shape in inputs_shapes]
    keras_model = keras.Model(keras_inputs, build(keras.layers, *keras_inputs))
    inputs = [L.Input(shape, dtype=dtype) for shape in inputs_shapes]
    model = minidl.Model(inputs, build(L, *inputs))
    rng = np.random.default_rng(1)
    weights = [w + rng.normal(size=w.shape).astype(np.float32) for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    return keras_model, model


def mask_array(tensor):
    mask = getattr(tensor, "_keras_mask", None)
    return None if mask is None else np.asarray(mask).astype(bool)


MERGES = {"add": lambda l: l.Add(), "subtract": lambda l: l.Subtract(), "multiply": lambda l: l.Multiply(),
          "average": lambda l: l.Average(), "maximum": lambda l: l.Maximum(), "minimum": lambda l: l.Minimum(),
          "concatenate": lambda l: l.Concatenate(), "concatenate_time": lambda l: l.Concatenate(axis=1)}


@pytest.mark.parametrize("second_masked", [True, False], ids=["both_masked", "second_unmasked"])
@pytest.mark.parametrize("merge", sorted(MERGES))
def test_merge_layers_combine_values_and_masks_as_keras(merge, second_masked):
    def build(layers, a, b):
        return MERGES[merge](layers)([layers.Embedding(6, 3, mask_zero=True)(a),
                                      layers.Embedding(6, 3, mask_zero=second_masked)(b)])

    keras_model, model = copied(build, [(4,), (4,)])
    expected, got = keras_model([FIRST, SECOND]), model([FIRST, SECOND])
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-6)
    expected_mask, got_mask = mask_array(expected), mask_array(got)
    assert (got_mask is None) == (expected_mask is None)
    if expected_mask is not None:
        np.testing.assert_array_equal(got_mask, expected_mask)


def test_batch_normalization_takes_its_training_statistics_over_unmasked_steps():
    import tensorflow as tf

    def build(layers, a):
        return layers.BatchNormalization(momentum=0.5)(layers.Embedding(6, 3, mask_zero=True)(a))

    keras_model, model = copied(build, [(4,)])
    with tf.GradientTape() as tape:
        expected = keras_model(FIRST, training=True)
        keras_loss = tf.reduce_sum(expected * tf.constant(np.arange(36.0).reshape(3, 4, 3), dtype=tf.float32))
    gradients = [tf.convert_to_tensor(g).numpy() for g in tape.gradient(keras_loss, keras_model.trainable_weights)]
    got = model(FIRST, training=True)
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(mask_array(got), FIRST != 0)
    for a, b in zip(model.get_weights(), keras_model.get_weights(), strict=True):  # the moving statistics too
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    (got * np.arange(36.0).reshape(3, 4, 3)).sum().backward()
    for weight, gradient in zip(model.trainable_weights, gradients, strict=True):
        np.testing.assert_allclose(weight.grad, gradient, rtol=1e-4, atol=1e-5)


def test_masked_batch_norm_gradcheck(rng):
    from minidl import gradcheck
    from minidl.functional.norm import masked_batch_norm_with_statistics
    from tests.strategies import leaf

    mask = np.array([[True, False, True], [True, True, False]])
    gradcheck(lambda x, g, b: masked_batch_norm_with_statistics(x, mask, g, b, 1e-3)[0],
              leaf(rng.normal(size=(2, 3, 4))), leaf(rng.normal(size=4)), leaf(rng.normal(size=4)))


def test_batch_normalization_refuses_a_mask_of_the_wrong_rank():
    layer = L.BatchNormalization()
    with pytest.raises(ValueError, match=r"the mask must have one axis less than the inputs, got a mask of shape "
                                         r"\(2, 3, 4\) for inputs of shape \(2, 3, 4\)"):
        layer(np.ones((2, 3, 4), np.float32), mask=np.ones((2, 3, 4), bool), training=True)


IDS = np.array([[3, 5, 7, 2, 0, 0], [0, 0, 4, 1, 8, 6], [0, 3, 0, 4, 5, 0], [1, 2, 3, 4, 5, 6], [6, 0, 0, 0, 0, 0]])
TAGS = np.random.default_rng(0).integers(0, 3, size=IDS.shape)


def tagger(layers, i):
    h = layers.LSTM(4, return_sequences=True)(layers.Embedding(10, 3, mask_zero=True)(i))
    return layers.Dense(3, activation="softmax")(h)


@pytest.mark.parametrize("temporal_weights", [False, True], ids=["no_weights", "per_step_weights"])
def test_losses_and_metrics_average_over_the_unmasked_steps_as_keras(temporal_weights):
    """evaluate in batches of 2 (a smaller last one): the loss and accuracies of the steps the mask keeps."""
    keras_model, model = copied(tagger, [(6,)])
    weights = np.random.default_rng(2).uniform(0.5, 2, size=IDS.shape) if temporal_weights else None
    for m, module in ((keras_model, keras.metrics), (model, minidl.metrics)):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", weighted_metrics=["accuracy"],
                  metrics=["accuracy", "sparse_categorical_crossentropy", module.SparseCategoricalAccuracy("objects")])
    expected = keras_model.evaluate(IDS, TAGS, sample_weight=weights, batch_size=2, verbose=0, return_dict=True)
    got = model.evaluate(IDS, TAGS, sample_weight=weights, batch_size=2, verbose=0, return_dict=True)
    for key in ("loss", "accuracy", "weighted_accuracy", "sparse_categorical_crossentropy", "objects"):
        assert got[key] == pytest.approx(expected[key], rel=1e-5), key


def test_a_training_step_on_masked_steps_moves_the_weights_as_keras():
    keras_model, model = copied(tagger, [(6,)])
    for m in (keras_model, model):
        optimizer = minidl.optimizers.SGD(0.5) if m is model else keras.optimizers.SGD(0.5)
        m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        m.fit(IDS, TAGS, batch_size=5, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_a_masked_loss_of_the_users_own_is_reduced_over_the_kept_steps():
    def squared(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1)

    prediction = minidl.Tensor(np.arange(12.0).reshape(2, 3, 2))
    prediction._keras_mask = np.array([[True, False, True], [False, False, True]])
    values = ((np.arange(12.0).reshape(2, 3, 2) - 1) ** 2).mean(axis=-1)
    loss = minidl.losses.call_loss(squared, np.ones((2, 3, 2)), prediction, None)
    assert float(loss.data) == pytest.approx(values[prediction._keras_mask].mean())


@pytest.mark.parametrize("loss", ["mean_squared_error", "binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_losses_with_per_step_weights_gradcheck(loss, rng):
    """Weights of shape (batch, time) on predictions (batch, time, classes): float64 differences."""
    from minidl import functional as F
    from minidl import gradcheck
    from tests.strategies import leaf

    probabilities = rng.uniform(0.1, 0.9, size=(2, 3, 4))
    targets = rng.integers(0, 4, size=(2, 3)) if loss.startswith("sparse") else np.eye(4)[
        rng.integers(0, 4, size=(2, 3))]
    weights = rng.uniform(0, 2, size=(2, 3))
    gradcheck(lambda p: getattr(F, loss)(targets, p, sample_weight=weights), leaf(probabilities))
    unweighted = [float(getattr(F, loss)(targets[i:i + 1, t:t + 1], probabilities[i:i + 1, t:t + 1]).data)
                  for i in range(2) for t in range(3)]
    assert float(getattr(F, loss)(targets, probabilities, sample_weight=weights).data) == pytest.approx(
        float(np.mean(np.array(unweighted) * weights.ravel())))
