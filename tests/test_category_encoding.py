"""CategoryEncoding: Keras 3's one-hot, multi-hot and count vectors for every input layout, refused ids."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from minidl import layers as L  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

IDS = {"single": np.array([3, 0, 5]), "column": np.array([[3], [0], [5]]),
       "rows": np.array([[1, 1, 4], [0, 5, 2], [3, 3, 3]])}


@needs_keras
@pytest.mark.parametrize("mode", ["multi_hot", "one_hot", "count"])
@pytest.mark.parametrize("layout", sorted(IDS))
def test_the_vectors_are_kerass(mode, layout):
    ids = IDS[layout]
    expected = keras.ops.convert_to_numpy(keras.layers.CategoryEncoding(6, output_mode=mode)(ids))
    layer = L.CategoryEncoding(6, output_mode=mode)
    mine = layer(ids.astype(np.float32)).data
    np.testing.assert_array_equal(mine, expected)
    assert mine.dtype == np.float32
    if ids.ndim > 1:  # a batch of samples (a 1-D array called directly is one sample, as in Keras)
        assert layer.compute_output_shape(ids.shape[1:]) == mine.shape[1:]


@pytest.mark.parametrize("ids", [np.array([[0, 6]]), np.array([[-1, 2]]), np.array([[0.5, 1]])])
def test_ids_outside_the_tokens_are_refused(ids):
    with pytest.raises(ValueError, match="ids must be integers in \\[0, 6\\)"):
        L.CategoryEncoding(6)(ids)


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="output_mode must be one of"):
        L.CategoryEncoding(6, output_mode="tf_idf")
