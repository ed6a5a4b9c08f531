"""Identity, UnitNormalization, ActivityRegularization and GaussianDropout: what Keras's do."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import gradcheck
from minidl import layers as L
from tests.strategies import float64_arrays, leaf


@settings(deadline=None, max_examples=20)
@given(axis=st.sampled_from([-1, 1, (1, 2)]), data=st.data())
def test_unit_normalization_gives_unit_norms_and_passes_gradcheck(axis, data):
    x = data.draw(float64_arrays((2, 3, 4), 0.5, 2.0))
    layer = L.UnitNormalization(axis=axis, dtype="float64")
    y = layer(x).data
    np.testing.assert_allclose(np.sqrt((y * y).sum(axis=axis)), 1.0, rtol=1e-12)
    gradcheck(lambda a: layer(a), leaf(x), atol=1e-6, rtol=1e-4)


def test_activity_regularization_adds_its_penalty_per_sample_as_keras(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32)
    layer = L.ActivityRegularization(l1=0.1, l2=0.2)
    np.testing.assert_array_equal(layer(x).data, x)
    (penalty,) = layer.losses
    np.testing.assert_allclose(penalty.data, (0.1 * np.abs(x).sum() + 0.2 * (x * x).sum()) / 4, rtol=1e-5)


def test_gaussian_dropout_keeps_the_mean_and_has_keras_variance(rng):
    x = np.ones((200, 500), dtype=np.float32)
    layer = L.GaussianDropout(0.2, seed=0)
    np.testing.assert_array_equal(layer(x).data, x)
    y = layer(x, training=True).data
    assert abs(y.mean() - 1) < 0.01 and abs(y.var() - 0.2 / 0.8) < 0.01


def test_identity_passes_its_input_on_in_a_model(rng):
    model = minidl.Sequential([L.Input((3,)), L.Identity()])
    x = rng.normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
