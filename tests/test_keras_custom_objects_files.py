"""A custom layer, a custom Loss and a custom Metric each round-trip through .keras files with Keras itself.

Each class is written twice, once on Keras's base classes and once on minidl's, with the same
name and code (as a user moving a program between the two would have it); a model using it is
saved by one library, loaded by the other with ``custom_objects``, and must give the same
outputs, the same loss and the same metric.
"""

import importlib.util

import numpy as np
import pytest

import minidl

pytestmark = pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")


def classes(library):
    """(Scale layer, ScaledMSE loss, MeanAbsoluteOfSum metric) written on ``library``'s base classes."""

    class Scale(library.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.offset = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="offset")

        def call(self, inputs):
            return inputs * self.factor + self.offset

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    class ScaledMSE(library.losses.Loss):
        def __init__(self, weight=0.5, name="scaled_mse", **kwargs):
            super().__init__(name=name, **kwargs)
            self.weight = weight

        def call(self, y_true, y_pred):
            return self.weight * library.ops.mean(library.ops.square(y_true - y_pred), axis=-1)

        def get_config(self):
            return {**super().get_config(), "weight": self.weight}

    class MeanAbsoluteOfSum(library.metrics.Metric):
        def __init__(self, name="mean_absolute_of_sum", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = library.ops.abs(library.ops.sum(y_pred, axis=-1))
            self.total.assign_add(library.ops.sum(values))
            self.count.assign_add(library.ops.cast(library.ops.shape(values)[0], "float32"))

        def result(self):
            return self.total / self.count

        def reset_state(self):
            self.total.assign(0.0)
            self.count.assign(0.0)

    return Scale, ScaledMSE, MeanAbsoluteOfSum


def model_with_custom_objects(library, seed=0):
    Scale, ScaledMSE, MeanAbsoluteOfSum = classes(library)
    model = library.Sequential([library.Input((4,)), library.layers.Dense(3), Scale(1.5)])
    model.compile(optimizer="adam", loss=ScaledMSE(0.25), metrics=[MeanAbsoluteOfSum()])
    return model


def custom_objects(library):
    return dict(zip(("Scale", "ScaledMSE", "MeanAbsoluteOfSum"), classes(library)))


def data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")


def check_same(saved_by, loaded):
    x, y = data()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), saved_by.predict(x, verbose=0), atol=1e-5)
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), saved_by.evaluate(x, y, verbose=0), rtol=1e-5)


@pytest.fixture
def keras():
    return pytest.importorskip("keras")


def trained(model):
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model


def test_a_model_minidl_saves_loads_in_keras_with_its_custom_layer_loss_and_metric(keras, tmp_path):
    ours = trained(model_with_custom_objects(minidl))
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras", custom_objects=custom_objects(keras))
    assert type(theirs.layers[-1]).__name__ == "Scale" and theirs.layers[-1].factor == 1.5
    check_same(ours, theirs)


def test_a_model_keras_saves_loads_in_minidl_with_its_custom_layer_loss_and_metric(keras, tmp_path):
    theirs = trained(model_with_custom_objects(keras))
    theirs.save(tmp_path / "theirs.keras")
    ours = minidl.models.load_model(tmp_path / "theirs.keras", custom_objects=custom_objects(minidl))
    assert type(ours.layers[-1]).__name__ == "Scale" and ours.layers[-1].factor == 1.5
    check_same(theirs, ours)
