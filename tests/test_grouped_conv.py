"""Conv1D/Conv2D with groups: gradients by finite differences, the depthwise special case, Keras 3's values,
gradients and files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minidl  # noqa: E402
from minidl import gradcheck  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.functional.depthwise_conv import depthwise_conv2d  # noqa: E402
from minidl.functional.grouped_conv import grouped_conv  # noqa: E402
from tests.strategies import float64_arrays, leaf  # noqa: E402

try:
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")


@settings(deadline=None, max_examples=10)
@given(rank=st.sampled_from([1, 2]), groups=st.sampled_from([2, 3]), padding=st.sampled_from(["valid", "same"]),
       strides=st.integers(1, 2), data=st.data())
def test_grouped_conv_passes_gradcheck(rank, groups, padding, strides, data):
    spatial = (5,) * rank
    x = data.draw(float64_arrays((2,) + spatial + (groups * 2,)))
    kernel = data.draw(float64_arrays((2,) * rank + (2, groups)))
    bias = data.draw(float64_arrays((groups,)))
    gradcheck(lambda a, k, b: grouped_conv(a, k, b, strides, padding, 1, groups), leaf(x), leaf(kernel), leaf(bias),
              atol=1e-6, rtol=1e-4)


def test_one_group_per_channel_is_a_depthwise_convolution(rng):
    x, kernel = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(2, 3, 1, 6))  # 2 filters per channel
    grouped = grouped_conv(x, kernel, None, 1, "same", 1, groups=3).data
    depthwise = depthwise_conv2d(x, kernel.reshape(2, 3, 3, 2), None, 1, "same").data
    np.testing.assert_allclose(grouped, depthwise, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("filters, groups, channels, message", [
    (6, 4, 8, "filters \\(6\\) must be divisible by groups \\(4\\)"),
    (6, 3, 4, "4 channels must be divisible by groups \\(3\\)"),
])
def test_groups_that_do_not_divide_are_refused_by_name(filters, groups, channels, message):
    with pytest.raises(ValueError, match=message):
        minidl.Sequential([L.Input((5, channels)), L.Conv1D(filters, 3, groups=groups)])


def test_transposed_convolutions_take_no_groups():
    with pytest.raises(ValueError, match="takes no groups"):
        L.Conv2DTranspose(4, 3, groups=2)


CASES = [("Conv1D", dict(filters=6, kernel_size=3, groups=3, padding="same", activation="relu"), (7, 6)),
         ("Conv2D", dict(filters=4, kernel_size=(2, 3), groups=2, strides=(1, 2)), (5, 6, 4))]


def keras_and_minidl(case, rng):
    name, options, sample = case
    keras_model = keras.Sequential([keras.Input(sample), getattr(keras.layers, name)(**options)])
    model = minidl.Sequential([L.Input(sample), getattr(L, name)(**options)])
    weights = [rng.normal(size=w.shape).astype(np.float32) for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    return keras_model, model, rng.normal(size=(2,) + sample).astype(np.float32)


@needs_keras
@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_grouped_outputs_and_gradients_match_keras(case, rng):
    keras_model, model, x = keras_and_minidl(case, rng)
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in keras_model.get_weights()]
    x_keras = tf.Variable(x)
    with tf.GradientTape() as tape:
        y_keras = keras_model(x_keras)
        weights = np.linspace(-1, 1, y_keras.shape.num_elements(), dtype=np.float32).reshape(y_keras.shape)
        loss_keras = tf.reduce_sum(y_keras * weights)
    expected = tape.gradient(loss_keras, [x_keras] + keras_model.trainable_weights)
    x_mine = minidl.Tensor(x, requires_grad=True)
    y = model(x_mine)
    np.testing.assert_allclose(y.data, y_keras.numpy(), rtol=1e-5, atol=1e-5)
    (y * minidl.Tensor(weights)).sum().backward()
    for mine, theirs in zip([x_mine.grad] + [w.grad for w in model.trainable_weights], expected, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-4, atol=1e-4)


@needs_keras
@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_grouped_convolutions_in_keras_files_both_ways(case, rng, tmp_path):
    keras_model, model, x = keras_and_minidl(case, rng)
    keras_model.save(tmp_path / "keras.keras")
    np.testing.assert_allclose(minidl.load_model(tmp_path / "keras.keras").predict(x, verbose=0),
                               keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "minidl.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "minidl.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_a_grouped_convolution_before_batch_norm_is_not_folded_into_it(rng):
    model = minidl.Sequential([L.Input((6, 4)), L.Conv1D(4, 3, groups=2), L.BatchNormalization()])
    model.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    kernel, bias, gamma, beta, mean, variance = model.get_weights()
    halves = [np.stack([x[:, i:i + 3, 2 * g:2 * g + 2].reshape(3, -1) @ kernel[:, :, 2 * g:2 * g + 2].reshape(6, 2)
                        for i in range(4)], axis=1) for g in range(2)]
    conv = np.concatenate(halves, axis=-1) + bias
    expected = gamma * (conv - mean) / np.sqrt(variance + 1e-3) + beta
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
