"""Preprocessing and augmentation layers: Keras's numbers where they are deterministic, Keras's semantics
where they are random, and the gradient of the resampling they share."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minidl  # noqa: E402
from minidl import gradcheck  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.functional.image import affine_warp, resize  # noqa: E402
from tests.strategies import float64_arrays, leaf  # noqa: E402


@settings(deadline=None, max_examples=20)
@given(size=st.tuples(st.integers(1, 6), st.integers(1, 6)), interpolation=st.sampled_from(["bilinear", "nearest"]),
       data=st.data())
def test_resize_passes_gradcheck(size, interpolation, data):
    x = data.draw(float64_arrays((2, 4, 3, 2)))
    gradcheck(lambda a: resize(a, *size, interpolation), leaf(x), atol=1e-6, rtol=1e-4)


@settings(deadline=None, max_examples=20)
@given(fill_mode=st.sampled_from(["reflect", "wrap", "nearest", "constant"]), angle=st.floats(-3.0, 3.0),
       shift=st.floats(-3.0, 3.0), data=st.data())
def test_affine_warp_passes_gradcheck_in_every_fill_mode(fill_mode, angle, shift, data):
    x = data.draw(float64_arrays((1, 4, 5, 2)))
    matrix = np.array([[[np.cos(angle), -np.sin(angle), shift], [np.sin(angle), np.cos(angle), 0.3]]])
    gradcheck(lambda a: affine_warp(a, matrix, "bilinear", fill_mode, 0.5), leaf(x), atol=1e-6, rtol=1e-4)


def test_fill_modes_extend_a_row_as_keras_documents():
    row = np.arange(1.0, 5.0).reshape(1, 1, 4, 1)  # a b c d
    shifted = {mode: affine_warp(row, [[[1, 0, -4], [0, 1, 0]]], "nearest", mode, 9.0).data.ravel()
               for mode in ("reflect", "wrap", "nearest", "constant")}
    np.testing.assert_array_equal(shifted["reflect"], [4, 3, 2, 1])  # d c b a | a b c d
    np.testing.assert_array_equal(shifted["wrap"], [1, 2, 3, 4])
    np.testing.assert_array_equal(shifted["nearest"], [1, 1, 1, 1])
    np.testing.assert_array_equal(shifted["constant"], [9, 9, 9, 9])


def test_augmentation_is_the_identity_at_inference_and_random_but_seeded_in_training(rng):
    x = rng.uniform(0, 255, size=(6, 8, 8, 3)).astype(np.float32)
    for make in (lambda: L.RandomFlip(seed=3), lambda: L.RandomRotation(0.2, seed=3),
                 lambda: L.RandomZoom(0.3, seed=3), lambda: L.RandomTranslation(0.2, 0.2, seed=3),
                 lambda: L.RandomContrast(0.5, seed=3)):
        layer = make()
        np.testing.assert_array_equal(layer(x, training=False).data, x)
        model = minidl.Sequential([L.Input(x.shape[1:]), make()])
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)
        assert not np.allclose(make()(x).data, x)  # called on its own it augments, as Keras's
        first = layer(x, training=True).data
        assert first.shape == x.shape and not np.allclose(first, x)
        np.testing.assert_array_equal(make()(x, training=True).data, first)  # the same seed, the same draw


def test_random_flip_mirrors_whole_images(rng):
    x = rng.normal(size=(50, 3, 4, 1)).astype(np.float32)
    y = L.RandomFlip("horizontal", seed=0)(x, training=True).data
    mirrored = np.array([np.array_equal(a, b[:, ::-1]) for a, b in zip(y, x)])
    unchanged = np.array([np.array_equal(a, b) for a, b in zip(y, x)])
    assert np.all(mirrored | unchanged) and 10 < mirrored.sum() < 40


def test_random_contrast_keeps_each_channel_mean_within_the_value_range(rng):
    x = rng.uniform(50, 200, size=(4, 6, 6, 3)).astype(np.float32)
    y = L.RandomContrast(0.5, seed=1)(x, training=True).data
    np.testing.assert_allclose(y.mean(axis=(1, 2)), x.mean(axis=(1, 2)), rtol=1e-4)
    assert y.min() >= 0 and y.max() <= 255


def test_normalization_adapts_to_the_data_and_inverts_it(rng):
    data = rng.normal([1.0, -2.0, 5.0], [0.5, 2.0, 3.0], size=(200, 3))
    layer = L.Normalization()
    layer.adapt(data)
    y = layer(data).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-4)
    back = L.Normalization(mean=data.mean(axis=0), variance=data.var(axis=0), invert=True)
    np.testing.assert_allclose(back(y).data, data, rtol=1e-4, atol=1e-4)


def test_normalization_refuses_half_of_its_statistics():
    with pytest.raises(ValueError, match="give both mean and variance"):
        L.Normalization(mean=[0.0])


def test_an_adapted_normalization_is_saved_with_its_statistics(tmp_path, rng):
    data = rng.normal(3.0, 2.0, size=(40, 4)).astype(np.float32)
    layer = L.Normalization()
    layer.adapt(data)
    model = minidl.Sequential([L.Input((4,)), layer, L.Dense(2)])
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(minidl.load_model(tmp_path / "m.keras").predict(data), model.predict(data))


keras = pytest.importorskip("keras")


@pytest.mark.parametrize("axis", [-1, (1, 2), None])
def test_normalization_adapted_matches_keras(axis, rng):
    data = rng.normal(3.0, 2.0, size=(30, 4, 3)).astype(np.float32)
    ours, theirs = L.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(data)
    theirs.adapt(data)
    np.testing.assert_allclose(ours(data).data, np.asarray(theirs(data)), rtol=1e-5, atol=1e-5)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]


@pytest.mark.parametrize("height, width", [(4, 6), (11, 13), (7, 4), (8, 10)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_resizing_and_center_crop_match_keras(height, width, interpolation, rng):
    x = rng.uniform(0, 255, size=(2, 8, 10, 3)).astype(np.float32)
    for ours, theirs in ((L.Resizing(height, width, interpolation), keras.layers.Resizing(height, width,
                                                                                            interpolation)),
                         (L.Resizing(height, width, crop_to_aspect_ratio=True),
                          keras.layers.Resizing(height, width, crop_to_aspect_ratio=True)),
                         (L.CenterCrop(height, width), keras.layers.CenterCrop(height, width))):
        np.testing.assert_allclose(ours(x).data, np.asarray(theirs(x)), rtol=1e-5, atol=2e-4)


@pytest.mark.parametrize("make", [
    lambda layers: layers.RandomRotation((0.25, 0.25), fill_mode="constant"),
    lambda layers: layers.RandomRotation((-0.1, -0.1)),
    lambda layers: layers.RandomZoom((0.5, 0.5), fill_mode="constant"),
    lambda layers: layers.RandomZoom((-0.3, -0.3), (0.2, 0.2), fill_mode="nearest"),
    lambda layers: layers.RandomTranslation((0.25, 0.25), (0.2, 0.2), fill_mode="wrap", interpolation="nearest"),
    lambda layers: layers.RandomTranslation((-0.1, -0.1), (0.3, 0.3), fill_mode="reflect"),
])
def test_fixed_affine_draws_give_keras_pixels(make, rng):
    """A factor range of one value leaves nothing to chance: the pixels are Keras's."""
    x = rng.uniform(0, 255, size=(2, 8, 10, 3)).astype(np.float32)
    np.testing.assert_allclose(make(L)(x, training=True).data, np.asarray(make(keras.layers)(x, training=True)),
                               rtol=1e-5, atol=2e-3)


def test_rescaling_matches_keras(rng):
    x = rng.uniform(0, 255, size=(2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(L.Rescaling(1 / 127.5, -1)(x).data, np.asarray(keras.layers.Rescaling(1 / 127.5, -1)(x)),
                               rtol=1e-6)


def test_a_keras_preprocessing_model_file_round_trips_through_minidl(tmp_path, rng):
    x = rng.uniform(0, 255, size=(3, 8, 10, 3)).astype(np.float32)
    normalization = keras.layers.Normalization()
    normalization.adapt(x[:, :4, :4] / 255.0)
    inputs = keras.Input((8, 10, 3))
    y = keras.layers.RandomFlip("horizontal")(inputs)
    for layer in (keras.layers.RandomRotation(0.1), keras.layers.RandomZoom(0.1),
                  keras.layers.RandomTranslation(0.1, 0.1),
                  keras.layers.RandomContrast(0.2), keras.layers.Rescaling(1 / 255.0), keras.layers.CenterCrop(6, 8),
                  keras.layers.Resizing(4, 4), normalization, keras.layers.Flatten()):
        y = layer(y)
    theirs = keras.Model(inputs, y)
    theirs.save(tmp_path / "keras.keras")
    ours = minidl.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    ours.save(tmp_path / "minidl.keras")
    again = keras.models.load_model(tmp_path / "minidl.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
