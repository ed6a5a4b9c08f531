"""Layers: shapes, Keras weight layouts, train/inference behaviour, configuration errors."""

import numpy as np
import pytest

import minidl
from minidl import Sequential, Tensor, initializers, regularizers
from minidl.layers import (
    Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Flatten,
    GlobalAveragePooling1D, GlobalAveragePooling2D, Input, MaxPooling1D, MaxPooling2D,
)


def test_dense_kernel_is_in_by_out_and_computes_x_w_plus_b(rng):
    layer = Dense(3, activation="relu")
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (5, 3) and bias.shape == (3,)
    np.testing.assert_allclose(y.data, np.maximum(x @ kernel + bias, 0), rtol=1e-6)


def test_conv_layers_have_keras_kernel_layouts_and_output_shapes():
    model = Sequential([Input((28, 28, 1)), Conv2D(8, (3, 5), strides=2, padding="same"), Conv2D(4, 3)])
    assert [w.shape for w in model.get_weights()] == [(3, 5, 1, 8), (8,), (3, 3, 8, 4), (4,)]
    assert model.output_shapes == [(14, 14, 8), (12, 12, 4)]
    model1d = Sequential([Input((100, 2)), Conv1D(6, 7, dilation_rate=2), MaxPooling1D(2), GlobalAveragePooling1D()])
    assert model1d.get_weights()[0].shape == (7, 2, 6)
    assert model1d.output_shapes == [(88, 6), (44, 6), (6,)]


def test_pooling_flatten_and_global_pooling_shapes():
    model = Sequential([Input((9, 8, 3)), MaxPooling2D(2), AveragePooling2D(3, strides=1, padding="same"), Flatten()])
    assert model.output_shapes == [(4, 4, 3), (4, 4, 3), (48,)]
    assert Sequential([Input((9, 8, 3)), GlobalAveragePooling2D()]).output_shapes == [(3,)]
    assert Sequential([Input((10, 2)), AveragePooling1D(3)]).output_shapes == [(3, 2)]
    y = model(np.ones((2, 9, 8, 3), dtype=np.float32))
    assert y.shape == (2, 48)


def test_batch_normalization_weights_are_gamma_beta_moving_mean_moving_variance():
    layer = BatchNormalization()
    layer.ensure_built((5,))
    names = [name for name, _, _ in layer._weights]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)


def test_batch_normalization_trains_on_batch_statistics_and_infers_with_moving_ones(rng):
    layer = BatchNormalization(momentum=0.5)
    x = rng.normal(4.0, 2.0, size=(256, 3)).astype(np.float32)
    y_train = layer(x, training=True).data
    np.testing.assert_allclose(y_train.mean(axis=0), 0, atol=1e-5)
    moving_mean = layer.moving_mean.numpy()
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean(axis=0), rtol=1e-5)
    y_infer = layer(x, training=False).data
    expected = (x - moving_mean) / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(y_infer, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), moving_mean)  # inference leaves them alone


def test_dropout_layer_keeps_the_expected_value_in_training_and_is_identity_in_inference():
    layer = Dropout(0.3, seed=1)
    x = np.ones((100, 1000), dtype=np.float32)
    assert abs(layer(x, training=True).data.mean() - 1.0) < 0.01
    np.testing.assert_array_equal(layer(x).data, x)


def test_activation_layer_and_names():
    np.testing.assert_allclose(Activation("softmax")(np.zeros((1, 4))).data, [[0.25] * 4])
    with pytest.raises(ValueError, match="valid names are: .*relu.*softmax"):
        Dense(3, activation="relux")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Dense(-2), "units must be a positive int"),
        (lambda: Dense(0), "units must be a positive int"),
        (lambda: Dropout(1.0), r"rate must be in \[0, 1\)"),
        (lambda: Dropout(-0.1), r"rate must be in \[0, 1\)"),
        (lambda: Conv2D(4, 3, padding="full"), "padding must be one of"),
        (lambda: Conv2D(0, 3), "filters must be a positive int"),
        (lambda: MaxPooling2D((2, 2, 2)), "pool_size"),
    ],
)
def test_bad_configuration_fails_at_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_kernel_larger_than_a_valid_input_fails_at_build_naming_the_layer():
    with pytest.raises(ValueError, match="'conv2d'.*larger than its input"):
        Sequential([Input((4, 4, 1)), Conv2D(2, 5)])
    with pytest.raises(ValueError, match="'max_pooling1d'.*larger than its input"):
        Sequential([Input((3, 1)), MaxPooling1D(4)])


def test_a_built_layer_rejects_inputs_of_another_shape():
    layer = Dense(2)
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"built for inputs of shape.*\(1, 4\)"):
        layer(np.ones((1, 4)))


def test_set_weights_checks_shapes_and_names_the_layer():
    model = Sequential([Input((3,)), Dense(2, name="out")])
    with pytest.raises(ValueError, match=r"'out'.*'kernel'.*\(3, 2\).*\(2, 3\)"):
        model.set_weights([np.zeros((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match="has 2 weight arrays, got 1"):
        model.set_weights([np.zeros((3, 2))])


def test_initializers_follow_keras_formulas():
    shape = (300, 200)
    fan_in, fan_out = 300, 200
    glorot = initializers.GlorotUniform(seed=0)(shape)
    assert np.abs(glorot).max() <= np.sqrt(6 / (fan_in + fan_out))
    assert np.std(initializers.HeNormal(seed=0)(shape)) == pytest.approx(np.sqrt(2 / fan_in), rel=0.05)
    assert np.std(initializers.LecunUniform(seed=0)(shape)) == pytest.approx(np.sqrt(1 / fan_in), rel=0.05)
    assert np.abs(initializers.GlorotNormal(seed=0)(shape)).max() <= 2 * np.sqrt(2 / (fan_in + fan_out)) / 0.8796
    conv = initializers.HeUniform(seed=0)((3, 3, 16, 32))  # fan_in = 3 * 3 * 16
    assert np.abs(conv).max() <= np.sqrt(6 / 144)
    np.testing.assert_array_equal(initializers.get("random_normal")((2,)).shape, (2,))
    np.testing.assert_array_equal(initializers.RandomUniform(seed=3)((4,)), initializers.RandomUniform(seed=3)((4,)))
    with pytest.raises(ValueError, match="glorot_uniform"):
        initializers.get("glorot")


def test_regularizers_compute_keras_penalties():
    w = Tensor(np.array([1.0, -2.0]))
    assert regularizers.l1(0.1)(w).item() == pytest.approx(0.3)
    assert regularizers.l2(0.1)(w).item() == pytest.approx(0.5)
    assert regularizers.l1_l2(0.1, 0.1)(w).item() == pytest.approx(0.8)


def test_layers_are_callable_on_tensors_for_a_custom_training_loop(rng):
    minidl.core.random.seed(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)[:, None]
    layer = Dense(1)
    optimizer = minidl.optimizers.SGD(0.1)
    for _ in range(200):
        loss = minidl.functional.mean_squared_error(y, layer(Tensor(x)))
        for w in layer.trainable_weights:
            w.grad = None
        loss.backward()
        grads = [w.grad for w in layer.trainable_weights]
        optimizer.apply_gradients(zip(grads, layer.trainable_weights))
    np.testing.assert_allclose(layer.get_weights()[0].ravel(), [1.0, -2.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(layer.get_weights()[1], [0.3], atol=1e-3)


def test_a_conv_layer_applied_twice_in_one_graph_keeps_both_patch_matrices(rng, cache_every_array):
    layer = Conv2D(3, 2, padding="same")
    layer.ensure_built((5, 5, 3))
    x1 = Tensor(rng.normal(size=(2, 5, 5, 3)).astype(np.float32), requires_grad=True)
    x2 = Tensor(rng.normal(size=(2, 5, 5, 3)).astype(np.float32), requires_grad=True)
    for _ in range(2):  # the second round reuses cached buffers (see the conftest fixture)
        layer.kernel.grad = None
        (layer(x1) * layer(x2)).sum().backward()
        with_cache = layer.kernel.grad.copy()
        kernel = Tensor(layer.kernel.data, requires_grad=True)
        bias = Tensor(layer.bias.data)
        (minidl.functional.conv2d(x1, kernel, bias, padding="same")
         * minidl.functional.conv2d(x2, kernel, bias, padding="same")).sum().backward()
        np.testing.assert_allclose(with_cache, kernel.grad, rtol=1e-5)


def test_retain_graph_backward_through_a_conv_layer_is_repeatable(rng, cache_every_array):
    layer = Conv2D(2, 3)
    x = Tensor(rng.normal(size=(1, 6, 6, 1)).astype(np.float32))
    loss = layer(x).sum()
    loss.backward(retain_graph=True)
    first = layer.kernel.grad.copy()
    layer(Tensor(rng.normal(size=(1, 6, 6, 1)).astype(np.float32)))  # another forward in between
    layer.kernel.grad = None
    loss.backward()
    np.testing.assert_allclose(layer.kernel.grad, first, rtol=1e-6)


def test_a_conv_layer_with_float64_inputs_keeps_float64_input_gradients(rng, cache_every_array):
    layer = Conv2D(2, 3)
    x = Tensor(rng.normal(size=(1, 5, 5, 1)), requires_grad=True)  # float64 against float32 weights
    for _ in range(2):  # the second pass reuses cached buffers
        x.grad = None
        y = layer(x)
        assert y.dtype == np.float64  # numpy's promotion of float64 and float32
        y.sum().backward()
        expected = Tensor(x.data, requires_grad=True)
        minidl.functional.conv2d(expected, Tensor(layer.kernel.data), Tensor(layer.bias.data)).sum().backward()
        assert x.grad.dtype == np.float64
        np.testing.assert_allclose(x.grad, expected.grad, rtol=1e-12)
