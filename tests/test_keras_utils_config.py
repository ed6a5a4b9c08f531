"""keras.utils, keras.backend and keras.config helpers that published scripts call, against Keras's own."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402
else:
    keras = pytest.importorskip("keras")

import minidl  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-10, 10)),
       axis=st.sampled_from([1, -1]), order=st.sampled_from([1, 2]))
def test_normalize_divides_by_kerass_norm_and_leaves_zero_rows(x, axis, order):
    expected = keras.ops.convert_to_numpy(keras.utils.normalize(x, axis=axis, order=order))
    np.testing.assert_allclose(minidl.utils.normalize(x, axis=axis, order=order), expected, rtol=1e-6, atol=1e-12)


def test_normalize_along_axis_0_divides_each_column_by_its_norm():
    # Keras's numpy path turns axis=0 into -1 (``axis = axis or -1``) and broadcasts; minidl does what it says
    x = np.array([[3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_allclose(minidl.utils.normalize(x, axis=0), [[0.6, 0.0], [0.8, 0.0]])


@pytest.mark.parametrize("data", [(1,), (1, 2), (1, 2, 3)])
def test_pack_and_unpack_x_y_sample_weight_are_kerass(data):
    assert minidl.utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)
    assert minidl.utils.pack_x_y_sample_weight(*data) == keras.utils.pack_x_y_sample_weight(*data)


def test_set_random_seed_fixes_numpy_and_the_initial_weights():
    def draw():
        minidl.utils.set_random_seed(7)
        model = minidl.Sequential([minidl.Input((3,)), minidl.layers.Dense(2)])
        return np.random.rand(3), model.get_weights()[0]

    (a, weights_a), (b, weights_b) = draw(), draw()
    assert np.array_equal(a, b) and np.array_equal(weights_a, weights_b)
    with pytest.raises(ValueError, match="seed must be an int, got 1.5"):
        minidl.utils.set_random_seed(1.5)


def test_floatx_chooses_the_dtype_of_new_layers_and_is_refused_outside_float_types():
    assert minidl.backend.floatx() == minidl.config.floatx() == keras.config.floatx() == "float32"
    assert minidl.backend.epsilon() == keras.backend.epsilon()
    minidl.config.set_floatx("float64")
    try:
        model = minidl.Sequential([minidl.Input((3,)), minidl.layers.Dense(2)])
        assert model.get_weights()[0].dtype == np.float64
        assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.float64
    finally:
        minidl.config.set_floatx("float32")
    with pytest.raises(ValueError, match="one of float16, float32, float64, got 'int8'"):
        minidl.backend.set_floatx("int8")
    with pytest.raises(ValueError, match="minidl keeps images channels-last, got 'channels_first'"):
        minidl.config.set_image_data_format("channels_first")
    assert minidl.backend.image_data_format() == keras.backend.image_data_format()


def test_clear_session_starts_model_names_afresh_as_in_keras():
    for lib in (keras, minidl):
        lib.backend.clear_session()
        names = [lib.Sequential().name, lib.Sequential().name]
        lib.utils.clear_session()
        assert [names, lib.Sequential().name] == [["sequential", "sequential_1"], "sequential"]
