"""EinsumDense: gradients by finite differences, shapes, values and gradients against Keras 3, files both ways."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minidl  # noqa: E402
from minidl import gradcheck  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.functional.einsum_dense import einsum_dense, einsum_dense_shapes  # noqa: E402
from tests.strategies import float64_arrays, leaf  # noqa: E402

try:
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

# (equation, output_shape, bias_axes, one sample's input shape): the forms keras-io programs use
EQUATIONS = [
    ("ab,bc->ac", 4, "c", (5,)),                       # Dense
    ("abc,cd->abd", (3, 4), "d", (3, 5)),              # Dense on each step
    ("...b,bc->...c", 4, "c", (3, 2, 5)),              # the same over any leading axes
    ("abc,cde->abde", (3, 2, 3), "de", (3, 5)),        # MultiHeadAttention's query/key/value projection
    ("abcd,cde->abe", (3, 4), "e", (3, 2, 5)),         # its output projection
    ("ab...,bc->ac...", 4, "c", (5, 2, 3)),            # "..." after the letters
    ("abc,bd->abd", (3, 4), "bd", (3, 5)),             # a kernel per step, bias over two axes
    ("abc,cd->ad", 4, None, (3, 5)),                   # a letter summed out of the input alone, no bias
]


@settings(deadline=None, max_examples=12)
@given(case=st.sampled_from(EQUATIONS), data=st.data())
def test_einsum_dense_passes_gradcheck(case, data):
    equation, output_shape, bias_axes, sample = case
    kernel_shape, bias_shape, _, _, _ = einsum_dense_shapes(equation, bias_axes, (None,) + sample,
                                                            (output_shape,) if isinstance(output_shape, int)
                                                            else output_shape)
    x = data.draw(float64_arrays((2,) + sample))
    kernel = data.draw(float64_arrays(kernel_shape))
    if bias_shape is None:
        gradcheck(lambda a, k: einsum_dense(a, k, equation), leaf(x), leaf(kernel), atol=1e-6, rtol=1e-4)
    else:
        bias = data.draw(float64_arrays(bias_shape))
        gradcheck(lambda a, k, b: einsum_dense(a, k, equation, b), leaf(x), leaf(kernel), leaf(bias),
                  atol=1e-6, rtol=1e-4)


def test_einsum_dense_is_dense_for_the_matrix_equation(rng):
    x, kernel, bias = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=(3,))
    np.testing.assert_allclose(einsum_dense(x, kernel, "ab,bc->ac", bias).data, x @ kernel + bias, rtol=1e-12)


@pytest.mark.parametrize("equation, output_shape, bias_axes, message", [
    ("ab,bc", 4, None, "must be of the form"),
    ("ab,bc->ad", 4, None, "letter 'd' appears in neither"),
    ("ab,bc->ac", 4, "z", "bias_axes"),
    ("ab,bc->ac", -4, None, "output_shape"),
    ("aab,bc->ac", 4, None, "repeats a letter"),
])
def test_bad_equations_are_refused_at_construction(equation, output_shape, bias_axes, message):
    with pytest.raises(ValueError, match=message):
        L.EinsumDense(equation, output_shape, bias_axes=bias_axes)


def test_an_input_of_the_wrong_rank_is_refused_by_name():
    with pytest.raises(ValueError, match="names 3 input axes"):
        minidl.Sequential([L.Input((5,)), L.EinsumDense("abc,cd->abd", (None, 4))])


def test_variance_scaling_counts_the_kernels_input_and_output_letters_as_fans():
    minidl.core.random.seed(0)
    layer = L.EinsumDense("abc,cde->abde", (None, 64, 16), kernel_initializer="glorot_uniform")
    minidl.Sequential([L.Input((3, 32)), layer])
    limit = np.sqrt(6 / (32 + 64 * 16))  # fan_in 32, fan_out 64 * 16: Keras 3's input/output axes
    kernel = layer.get_weights()[0]
    assert kernel.shape == (32, 64, 16)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit


def keras_and_minidl(case, rng):
    """The same EinsumDense (tanh) in Keras and in minidl with the same weights, and a batch for both."""
    equation, output_shape, bias_axes, sample = case
    keras_model = keras.Sequential([keras.Input(sample), keras.layers.EinsumDense(
        equation, output_shape, bias_axes=bias_axes, activation="tanh")])
    model = minidl.Sequential([L.Input(sample), L.EinsumDense(equation, output_shape, bias_axes=bias_axes,
                                                              activation="tanh")])
    weights = [rng.normal(size=w.shape).astype(np.float32) for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    return keras_model, model, rng.normal(size=(3,) + sample).astype(np.float32)


@needs_keras
@pytest.mark.parametrize("case", EQUATIONS, ids=[case[0] for case in EQUATIONS])
def test_outputs_and_gradients_match_keras(case, rng):
    keras_model, model, x = keras_and_minidl(case, rng)
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in keras_model.get_weights()]
    x_keras = tf.Variable(x)
    with tf.GradientTape() as tape:
        y_keras = keras_model(x_keras)
        loss_keras = tf.reduce_sum(y_keras * np.linspace(-1, 1, y_keras.shape.num_elements(), dtype=np.float32)
                                   .reshape(y_keras.shape))
    expected = tape.gradient(loss_keras, [x_keras] + keras_model.trainable_weights)
    x_mine = minidl.Tensor(x, requires_grad=True)
    y = model(x_mine)
    np.testing.assert_allclose(y.data, y_keras.numpy(), rtol=1e-5, atol=1e-6)
    (y * minidl.Tensor(np.linspace(-1, 1, y.data.size, dtype=np.float32).reshape(y.shape))).sum().backward()
    for mine, theirs in zip([x_mine.grad] + [w.grad for w in model.trainable_weights], expected, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-4, atol=1e-5)


@needs_keras
@pytest.mark.parametrize("case", [EQUATIONS[3], EQUATIONS[5]], ids=["mha_projection", "right_ellipsis"])
def test_keras_files_both_ways(case, rng, tmp_path):
    keras_model, model, x = keras_and_minidl(case, rng)
    keras_model.save(tmp_path / "keras.keras")
    np.testing.assert_allclose(minidl.load_model(tmp_path / "keras.keras").predict(x, verbose=0),
                               keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "minidl.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "minidl.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
