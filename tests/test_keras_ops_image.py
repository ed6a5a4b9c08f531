"""keras.ops.image's extract_patches and resize: Keras 3's values, and the patches' gradient."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from minidl import gradcheck, ops  # noqa: E402
from tests.strategies import leaf  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

IMAGES = np.random.default_rng(0).normal(size=(2, 9, 8, 3)).astype(np.float32)


@needs_keras
@pytest.mark.parametrize("options", [dict(size=3), dict(size=(2, 3), strides=(2, 1)),
                                     dict(size=3, strides=2, padding="same"), dict(size=2, strides=1, dilation_rate=2)],
                         ids=str)
def test_extract_patches_gives_kerass_patches(options):
    expected = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(IMAGES, **options))
    np.testing.assert_allclose(ops.image.extract_patches(IMAGES, **options), expected, rtol=1e-6)
    one = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(IMAGES[0], **options))
    np.testing.assert_allclose(ops.image.extract_patches(IMAGES[0], **options), one, rtol=1e-6)


@needs_keras
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resize_gives_kerass_pixels(interpolation):
    expected = keras.ops.convert_to_numpy(keras.ops.image.resize(IMAGES, (5, 12), interpolation=interpolation))
    np.testing.assert_allclose(ops.image.resize(IMAGES, (5, 12), interpolation=interpolation), expected,
                               rtol=1e-5, atol=1e-5)


def test_extract_patches_passes_gradcheck(rng):
    x = leaf(rng.normal(size=(1, 5, 4, 2)))
    gradcheck(lambda t: ops.image.extract_patches(t, 2, strides=1, padding="same"), x, atol=1e-6, rtol=1e-4)


def test_images_of_the_wrong_rank_are_refused():
    with pytest.raises(ValueError, match="images must be \\(height, width, channels\\)"):
        ops.image.extract_patches(np.ones((4, 4)), 2)
