"""GroupNormalization: the closed form, a float64 gradient check, Keras 3's outputs and gradients, its files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl import gradcheck  # noqa: E402
from minidl import layers as L  # noqa: E402
from tests.strategies import leaf  # noqa: E402

try:
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

CASES = [(dict(groups=2), (5, 4, 6)), (dict(groups=-1, epsilon=1e-2), (7, 3)), (dict(groups=1, center=False), (4, 6)),
         (dict(groups=3, scale=False), (2, 3, 3, 6))]


def test_each_group_is_standardised_then_scaled_per_channel(rng):
    layer = L.GroupNormalization(groups=2, epsilon=1e-5)
    x = rng.normal(size=(3, 4, 6)) * 5 + 2
    layer(x)
    layer.set_weights([np.arange(1, 7, dtype=np.float32), np.full(6, 0.5, dtype=np.float32)])
    y = layer(x).data
    groups = x.reshape(3, 4, 2, 3)
    mean, var = groups.mean(axis=(1, 3), keepdims=True), groups.var(axis=(1, 3), keepdims=True)
    expected = ((groups - mean) / np.sqrt(var + 1e-5)).reshape(3, 4, 6) * np.arange(1, 7) + 0.5
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_group_normalization_passes_gradcheck(rng):
    layer = L.GroupNormalization(groups=2, dtype="float64")
    x = leaf(rng.normal(size=(2, 3, 4)))
    layer(x)
    layer.set_weights([rng.normal(size=4), rng.normal(size=4)])
    gamma, beta = layer.trainable_weights

    def run(inputs, g, b):
        layer.gamma, layer.beta = g, b
        return layer(inputs)

    gradcheck(run, x, leaf(gamma.data), leaf(beta.data), atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("groups, channels, message", [(4, 6, "6 channels cannot be split into 4 groups"),
                                                       (0, 6, "groups must be a positive int")])
def test_groups_that_do_not_divide_the_channels_are_refused(groups, channels, message):
    with pytest.raises(ValueError, match=message):
        minidl.Sequential([L.Input((5, channels)), L.GroupNormalization(groups)])


def keras_and_minidl(case, rng):
    options, sample = case
    keras_model = keras.Sequential([keras.Input(sample), keras.layers.GroupNormalization(**options)])
    model = minidl.Sequential([L.Input(sample), L.GroupNormalization(**options)])
    weights = [rng.normal(size=w.shape).astype(np.float32) for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    return keras_model, model, (rng.normal(size=(2,) + sample) * 3 + 1).astype(np.float32)


@needs_keras
@pytest.mark.parametrize("case", CASES, ids=str)
def test_outputs_and_gradients_match_keras(case, rng):
    keras_model, model, x = keras_and_minidl(case, rng)
    x_keras = tf.Variable(x)
    with tf.GradientTape() as tape:
        y_keras = keras_model(x_keras)
        weights = np.linspace(-1, 1, y_keras.shape.num_elements(), dtype=np.float32).reshape(y_keras.shape)
        loss_keras = tf.reduce_sum(y_keras * weights)
    expected = tape.gradient(loss_keras, [x_keras] + keras_model.trainable_weights)
    x_mine = minidl.Tensor(x, requires_grad=True)
    y = model(x_mine)
    np.testing.assert_allclose(y.data, y_keras.numpy(), rtol=1e-4, atol=1e-5)
    (y * minidl.Tensor(weights)).sum().backward()
    for mine, theirs in zip([x_mine.grad] + [w.grad for w in model.trainable_weights], expected, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-4, atol=1e-4)
