"""Conv2D + ReLU + max pooling as one function, and the models that run that pair of layers as one."""

import contextlib

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minidl
from minidl import Tensor, gradcheck
from minidl import functional as F
from minidl.functional import conv_pool
from minidl.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from minidl.models import fusion
from tests.test_conv_pool import direct_conv2d, keras_same_padding


def output_size(n, k, s, d, padding):
    return keras_same_padding(n, k, s, d)[0] if padding == "same" else (n - (k - 1) * d - 1) // s + 1


@st.composite
def conv_pool_case(draw):
    """x, kernel, bias, the convolution's (strides, padding, dilation) and the pooling's (size, strides, padding)."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pool_strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pool_padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w = draw(st.integers(1, 2)), draw(st.integers(3, 8)), draw(st.integers(3, 8))
    c_in, c_out = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    out = [output_size(size, k, s, d, padding) for size, k, s, d in zip((h, w), (kh, kw), strides, dilation)]
    assume(min(out) >= 1)
    if pool_padding == "valid":
        assume(out[0] >= pool[0] and out[1] >= pool[1])
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    x, kernel = rng.normal(size=(n, h, w, c_in)), rng.normal(size=(kh, kw, c_in, c_out))
    bias = draw(st.none() | st.just(rng.normal(size=c_out)))
    return x, kernel, bias, (strides, padding, dilation), (pool, pool_strides, pool_padding)


def separate(x, kernel, bias, conv, pool):
    return F.max_pool2d(F.conv2d(x, kernel, bias, *conv, activation="relu"), *pool)


def fused(x, kernel, bias, conv, pool):
    return F.conv2d_relu_max_pool2d(x, kernel, bias, *conv, *pool)


#: The shortest patch row for the backward that gathers patches: 1, every convolution; 10**9, none (dense).
BACKWARDS = pytest.mark.parametrize("min_row", [1, 10**9], ids=["gathered", "dense"])


@contextlib.contextmanager
def gathered_from(min_row):
    saved, conv_pool.GATHERED_MIN_ROW = conv_pool.GATHERED_MIN_ROW, min_row
    try:
        yield
    finally:
        conv_pool.GATHERED_MIN_ROW = saved


@BACKWARDS
@settings(max_examples=60, deadline=None)
@given(case=conv_pool_case())
def test_the_fused_function_gives_the_outputs_and_gradients_of_the_two_calls(case, min_row):
    x, kernel, bias, conv, pool = case
    weights = np.random.default_rng(1).normal(size=separate(x, kernel, bias, conv, pool).shape)
    results = []
    for function in (separate, fused):
        leaves = [Tensor(a, requires_grad=True) for a in (x, kernel) + (() if bias is None else (bias,))]
        with gathered_from(min_row):
            y = function(leaves[0], leaves[1], leaves[2] if bias is not None else None, conv, pool)
            (y * Tensor(weights)).sum().backward()
        results.append([y.data] + [leaf.grad for leaf in leaves])
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_the_fused_function_is_the_direct_definition():
    rng = np.random.default_rng(3)
    x, kernel, bias = rng.normal(size=(2, 9, 8, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)
    z = np.maximum(direct_conv2d(x, kernel, bias, (1, 1), "valid", (1, 1)), 0)      # (2, 7, 7, 4)
    expected = z[:, :6, :6].reshape(2, 3, 2, 3, 2, 4).max(axis=(2, 4))            # 2 x 2 windows
    np.testing.assert_allclose(F.conv2d_relu_max_pool2d(x, kernel, bias).data, expected, rtol=1e-12)


def kinks_are_far(x, kernel, bias, conv, pool, margin=1e-3):
    """No conv output within ``margin`` of 0 or of another in the same window: finite differences stay smooth."""
    z = direct_conv2d(x, kernel, bias, *conv)
    if np.abs(z).min() < margin:
        return False
    values = np.sort(z.reshape(-1))
    return values.size < 2 or np.diff(values).min() > margin


@BACKWARDS
@settings(max_examples=30, deadline=None)
@given(case=conv_pool_case())
def test_the_fused_function_passes_gradcheck(case, min_row):
    x, kernel, bias, conv, pool = case
    assume(kinks_are_far(x, kernel, bias, conv, pool))
    leaves = [Tensor(a, requires_grad=True) for a in (x, kernel) + (() if bias is None else (bias,))]
    with gathered_from(min_row):
        if bias is None:
            gradcheck(lambda a, k: fused(a, k, None, conv, pool), *leaves)
        else:
            gradcheck(lambda a, k, b: fused(a, k, b, conv, pool), *leaves)


def test_the_gathered_backward_is_taken_for_long_patch_rows_on_the_cpu(monkeypatch):
    calls = []
    original = minidl.kernels.conv_pool.conv_relu_max_pool_gradients
    monkeypatch.setattr(minidl.kernels.conv_pool, "conv_relu_max_pool_gradients",
                        lambda *a: calls.append(a) or original(*a))
    rng = np.random.default_rng(0)
    for channels in (2, 8):                                   # rows of 3 * 2 = 6 and 3 * 8 = 24 values
        x = Tensor(rng.normal(size=(2, 8, 8, channels)).astype(np.float32), requires_grad=True)
        kernel = Tensor(rng.normal(size=(3, 3, channels, 4)).astype(np.float32), requires_grad=True)
        F.conv2d_relu_max_pool2d(x, kernel).sum().backward()
    assert len(calls) == 1 and calls[0][0].shape[3] == 8


# ------------------------------------------------------------------------------------------------ models
def cnn(activation="relu", seed=0):
    minidl.core.random.seed(seed)
    model = minidl.Sequential([Input((10, 12, 3)), Conv2D(16, 3, activation=activation), MaxPooling2D(2),
                               Conv2D(8, 3, activation=activation), MaxPooling2D(2), Flatten(), Dense(3)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def data(samples=32):
    rng = np.random.default_rng(5)
    return rng.normal(size=(samples, 10, 12, 3)).astype(np.float32), rng.integers(0, 3, samples)


def count_fused_calls(monkeypatch):
    calls = []
    original = fusion.run_pair
    monkeypatch.setattr(fusion, "run_pair", lambda *a: calls.append(a[0].name) or original(*a))
    return calls


def test_a_model_runs_each_convolution_with_its_pooling_and_trains_as_with_the_layers_apart(monkeypatch):
    x, y = data()
    calls = count_fused_calls(monkeypatch)
    histories, predictions = [], []
    for enabled in (False, True):
        monkeypatch.setattr(fusion, "ENABLED", enabled)
        model = cnn()
        predictions.append(model.predict(x, verbose=0))
        histories.append(model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"])
    assert calls[:2] == ["conv2d", "conv2d_1"]
    np.testing.assert_array_equal(predictions[1], predictions[0])  # the same forward, to the bit
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-4)  # float32 sums in another order


def test_the_same_seed_gives_the_same_history_with_the_fused_layers():
    x, y = data()
    first, second = (cnn().fit(x, y, batch_size=8, epochs=2, verbose=0).history["loss"] for _ in range(2))
    assert first == second


def test_pairs_that_are_not_fused(monkeypatch):
    calls = count_fused_calls(monkeypatch)
    x, _ = data(4)
    cnn(activation="tanh").predict(x, verbose=0)                 # no ReLU to fuse
    inputs = Input((10, 12, 3))
    hidden = Conv2D(4, 3, activation="relu")(inputs)
    pooled = MaxPooling2D(2)(hidden)
    two_readers = minidl.Model(inputs, [pooled, Flatten()(hidden)])  # the convolution's output is read twice
    as_output = minidl.Model(inputs, [pooled, hidden])           # ... or is an output of the model
    for model in (two_readers, as_output):
        pooled_out, hidden_out = model.predict(x, verbose=0)
        hidden_out = hidden_out.reshape((len(x),) + hidden.shape[1:])
        np.testing.assert_array_equal(pooled_out, F.max_pool2d(hidden_out, 2).data)
    assert calls == []


def test_recording_activations_runs_the_layers_apart(monkeypatch):
    calls = count_fused_calls(monkeypatch)
    x, _ = data(4)
    model = cnn()
    recorded = {}
    model._run([Tensor(x)], False, recorded)
    assert "conv2d" in recorded and recorded["conv2d"].shape == (4, 8, 10, 16) and calls == []


def test_an_input_of_the_wrong_shape_gets_the_same_message_as_with_the_layers_apart(monkeypatch):
    messages, model = [], cnn()  # one model: unnamed models are numbered across the process, as in Keras
    for enabled in (False, True):
        monkeypatch.setattr(fusion, "ENABLED", enabled)
        with pytest.raises(ValueError) as error:
            model(np.zeros((2, 11, 12, 3), np.float32))
        messages.append(str(error.value))
    assert messages[0] == messages[1] and "(10, 12, 3)" in messages[0]
