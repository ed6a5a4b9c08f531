"""Custom layers written the Keras way: add_weight's variables change in place, and Keras's other habits."""

import importlib.util

import numpy as np
import pytest

import minidl
from minidl import Tensor, activations, layers, ops

needs_keras = pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")


class ComputeSum(layers.Layer):
    """The keras-io guide's non-trainable weight: a running sum of the inputs' rows."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_a_weight_accumulates_across_calls_with_assign_add():
    layer = ComputeSum(2)
    layer(np.ones((2, 2)))
    y = layer(np.ones((2, 2)))
    np.testing.assert_array_equal(y.numpy(), [4.0, 4.0])
    np.testing.assert_array_equal(np.array(y), [4.0, 4.0])  # numpy.array(variable), as for Keras's
    assert layer.non_trainable_weights == [layer.total] and layer.trainable_weights == []


@needs_keras
def test_assign_assign_add_and_assign_sub_follow_keras_s_variable():
    keras = pytest.importorskip("keras")
    theirs = keras.Variable(np.arange(6, dtype="float32").reshape(2, 3))
    ours = layers.Layer().add_weight(shape=(2, 3), initializer="zeros")
    ours.assign(np.arange(6, dtype="float32").reshape(2, 3))
    for variable in (theirs, ours):
        variable.assign_add(np.ones((2, 3), dtype="float32") * 2)
        variable.assign_sub(np.array([1.0, 0.5, 0.25], dtype="float32"))  # broadcast, as Keras's
        variable.assign(variable * 3)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.numpy()))
    assert ours.dtype == np.float32 and ours.shape == (2, 3)


def test_assign_keeps_the_dtype_and_leaves_a_computed_graph_with_the_old_values():
    weight = Tensor(np.array([1.0, 2.0]), requires_grad=True, dtype="float64")
    y = (weight * weight).sum()
    weight.assign([5, 6])
    assert weight.dtype == np.float64 and weight.numpy().tolist() == [5.0, 6.0]
    y.backward()
    np.testing.assert_array_equal(weight.grad, [2.0, 4.0])  # d(w^2)/dw at the values the forward read


def test_a_value_of_another_shape_is_refused_in_one_sentence():
    weight = layers.Layer().add_weight(shape=(2, 3), initializer="zeros")
    with pytest.raises(ValueError, match=r"assign: a value of shape \(4,\) does not fit a variable of shape \(2, 3\)"):
        weight.assign(np.zeros(4))


@needs_keras
@pytest.mark.parametrize("options", [{}, {"negative_slope": 0.1}, {"max_value": 1.5}, {"threshold": 0.5},
                                     {"negative_slope": 0.2, "max_value": 2.0, "threshold": -0.5}])
def test_activations_relu_takes_keras_s_arguments(options):
    keras = pytest.importorskip("keras")
    x = np.linspace(-3, 3, 25, dtype="float32")
    expected = np.asarray(keras.activations.relu(x, **options))
    np.testing.assert_allclose(activations.relu(Tensor(x), **options).numpy(), expected, atol=1e-6)


def test_the_activation_functions_are_the_ones_layers_use():
    assert activations.get(activations.relu) is activations.get("relu")
    assert layers.Dense(2, activation=activations.relu).get_config()["activation"] == "relu"
    assert activations.sigmoid is activations.get("sigmoid") and activations.exponential is activations.get("exponential")


class ActivityRegularization(layers.Layer):
    def call(self, inputs):
        self.add_loss(1e-2 * ops.mean(inputs))
        return inputs


def test_compile_without_a_loss_trains_on_the_layers_add_loss():
    minidl.core.random.seed(0)
    inputs = layers.Input((3,))
    model = minidl.Model(inputs, layers.Dense(2)(ActivityRegularization()(inputs)))
    model.compile(optimizer="adam")
    history = model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(1e-2)


def test_a_model_without_trainable_weights_fits_without_updating_anything():
    inputs = layers.Input((3,))
    model = minidl.Model(inputs, ActivityRegularization()(inputs))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.zeros((2, 3)), np.ones((2, 3)), verbose=0)
    assert history.history["loss"][0] == pytest.approx(1.0)


def test_no_loss_anywhere_is_refused_in_one_sentence():
    model = minidl.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="compile was given no loss and no layer added one with add_loss"):
        model.fit(np.ones((2, 3)), np.ones((2, 1)), verbose=0)


def test_a_user_layer_without_weights_takes_inputs_of_any_shape_as_keras_s_does():
    layer = ActivityRegularization()
    assert layer(np.ones((4, 4))).shape == (4, 4)
    assert layer(np.ones((10, 7))).shape == (10, 7)
