"""Transposed convolutions: a direct scatter definition, float64 gradient checks, and Keras's own outputs."""

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import Sequential, gradcheck, layers
from minidl import functional as F
from tests.strategies import float64_arrays, leaf


def direct_conv2d_transpose(x, kernel, bias, strides, padding, dilation):
    """Every input position scatters its kernel patch: y[h*s + i*d - top, w*s + j*d - left, o] += x[h, w, :] K[i, j, o, :].

    Output length per axis (Keras's deconv_output_length): n s for 'same', n s + max(k_eff - s, 0) for 'valid';
    'same' crops max(k_eff - s, 0) // 2 rows at the start, the crop of TensorFlow's conv2d_transpose.
    """
    n, h, w, _ = x.shape
    kh, kw, c_out, _ = kernel.shape
    sizes, starts = [], []
    for length, k, s, d in ((h, kh, strides[0], dilation[0]), (w, kw, strides[1], dilation[1])):
        span = (k - 1) * d + 1
        sizes.append(length * s if padding == "same" else length * s + max(span - s, 0))
        starts.append(max(span - s, 0) // 2 if padding == "same" else 0)
    y = np.zeros((n, sizes[0], sizes[1], c_out))
    for b in range(n):
        for r in range(h):
            for c in range(w):
                for i in range(kh):
                    for j in range(kw):
                        row, col = r * strides[0] + i * dilation[0] - starts[0], c * strides[1] + j * dilation[1] - starts[1]
                        if 0 <= row < sizes[0] and 0 <= col < sizes[1]:
                            y[b, row, col] += kernel[i, j] @ x[b, r, c]
    return y if bias is None else y + bias


@st.composite
def transpose_case(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = draw(float64_arrays((n, h, w, c_in)))
    kernel = draw(float64_arrays((kh, kw, c_out, c_in)))
    bias = draw(st.one_of(st.none(), float64_arrays((c_out,))))
    return x, kernel, bias, strides, padding, dilation


@given(transpose_case())
@settings(max_examples=40, deadline=None)
def test_conv2d_transpose_scatters_each_input_position_through_the_kernel(case):
    x, kernel, bias, strides, padding, dilation = case
    y = F.conv2d_transpose(x, kernel, bias, strides, padding, dilation).data
    np.testing.assert_allclose(y, direct_conv2d_transpose(x, kernel, bias, strides, padding, dilation), atol=1e-10)


@given(transpose_case())
@settings(max_examples=15, deadline=None)
def test_conv2d_transpose_gradients_match_central_differences_in_float64(case):
    x, kernel, bias, strides, padding, dilation = case
    inputs = [leaf(x), leaf(kernel)] + ([] if bias is None else [leaf(bias)])
    gradcheck(lambda *t: F.conv2d_transpose(t[0], t[1], t[2] if len(t) > 2 else None, strides, padding, dilation),
              *inputs)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2, 3])
def test_conv1d_transpose_gradients_match_central_differences_in_float64(padding, strides):
    rng = np.random.default_rng(strides)
    x, kernel, bias = leaf(rng.normal(size=(2, 5, 3))), leaf(rng.normal(size=(3, 2, 3))), leaf(rng.normal(size=2))
    gradcheck(lambda a, k, b: F.conv1d_transpose(a, k, b, strides, padding), x, kernel, bias)


def test_conv1d_transpose_is_conv2d_transpose_over_one_row():
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=(2, 6, 3)), rng.normal(size=(4, 5, 3))
    y = F.conv1d_transpose(x, kernel, None, 2, "same").data
    expected = direct_conv2d_transpose(x[:, None], kernel[None], None, (1, 2), "same", (1, 1))[:, 0]
    np.testing.assert_allclose(y, expected, atol=1e-10)


def test_a_kernel_whose_input_axis_does_not_fit_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"has 3 channels but the kernel of shape \(2, 2, 4, 5\) expects 5"):
        F.conv2d_transpose(np.zeros((1, 4, 4, 3)), np.zeros((2, 2, 4, 5)))


def test_output_padding_is_refused_at_construction():
    with pytest.raises(ValueError, match="output_padding must be None"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=1)


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")
@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("kernel_size", [1, 2, 5])
def test_keras_weights_give_keras_outputs(rank, padding, strides, kernel_size):
    keras = pytest.importorskip("keras")
    shape = (2, 7, 3) if rank == 1 else (2, 4, 5, 3)
    x = np.random.default_rng(kernel_size).normal(size=shape).astype(np.float32)
    name = "Conv1DTranspose" if rank == 1 else "Conv2DTranspose"
    theirs = getattr(keras.layers, name)(4, kernel_size, strides=strides, padding=padding, activation="tanh",
                                         bias_initializer="random_normal")
    expected = np.asarray(theirs(x))
    ours = getattr(layers, name)(4, kernel_size, strides=strides, padding=padding, activation="tanh")
    model = Sequential([layers.Input(shape[1:]), ours])
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    assert model.output_shape[1:] == tuple(theirs.compute_output_shape((None,) + shape[1:]))[1:]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_an_autoencoder_with_transposed_convolutions_learns():
    minidl.core.random.seed(0)
    x = np.random.default_rng(0).normal(size=(32, 8, 1)).astype(np.float32)
    model = Sequential([layers.Input((8, 1)), layers.Conv1D(4, 3, strides=2, padding="same", activation="relu"),
                        layers.Conv1DTranspose(4, 3, strides=2, padding="same", activation="relu"),
                        layers.Conv1DTranspose(1, 3, padding="same")])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
