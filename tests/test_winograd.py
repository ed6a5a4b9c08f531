"""The Winograd convolutions, F(2 x 2, 3 x 3) for Conv2D and F(4, r) for Conv1D: their kernels against their
reference, the convolutions they compute against the direct definition in values and float64 gradients, against
im2col in float32, and networks on them against Keras's training."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minidl import Tensor, gradcheck
from minidl import functional as F
from minidl.functional import winograd
from minidl.kernels import winograd as compiled
from tests.strategies import leaf
from tests.test_conv_pool import direct_conv2d


@st.composite
def tiled_case(draw):
    """(x, pads, output size, tiles) of a drawn 3 x 3 stride-1 convolution, 'same' or 'valid', odd or even sides."""
    padding = draw(st.sampled_from(["same", "valid"]))
    low = 1 if padding == "same" else 3
    n, h, w, c = draw(st.integers(1, 3)), draw(st.integers(low, 9)), draw(st.integers(low, 9)), draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = np.random.default_rng(draw(st.integers(0, 1000))).normal(size=(n, h, w, c)).astype(dtype)
    pads = ((1, 1), (1, 1)) if padding == "same" else ((0, 0), (0, 0))
    out = (h, w) if padding == "same" else (h - 2, w - 2)
    return x, pads, out, winograd.tile_counts(out)


@given(case=tiled_case(), filters=st.integers(1, 4))
def test_the_winograd_kernels_match_their_reference(case, filters):
    x, pads, out, tiles = case
    rng = np.random.default_rng(7)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if x.dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    v = compiled.winograd_input_tiles(x, pads, tiles)
    np.testing.assert_allclose(v, winograd.winograd_input_tiles.reference(x, pads, tiles), **tolerance)
    m = rng.normal(size=(16, v.shape[1], filters)).astype(x.dtype)
    np.testing.assert_allclose(compiled.winograd_output(m, out, tiles),
                               winograd.winograd_output.reference(m, out, tiles), **tolerance)
    gy = rng.normal(size=(x.shape[0],) + out + (filters,)).astype(x.dtype)
    np.testing.assert_allclose(compiled.winograd_output_gradient_tiles(gy, tiles),
                               winograd.winograd_output_gradient_tiles.reference(gy, tiles), **tolerance)
    dv = rng.normal(size=v.shape).astype(x.dtype)
    np.testing.assert_allclose(compiled.winograd_input_gradient(dv, x.shape, pads, tiles),
                               winograd.winograd_input_gradient.reference(dv, x.shape, pads, tiles), **tolerance)
    for result in (v, compiled.winograd_output(m, out, tiles)):
        assert result.dtype == x.dtype


def counted_winograd_calls(monkeypatch, module, convolution) -> list:
    """Let ``module``'s Winograd path take any channel count, and count ``convolution.forward``'s calls."""
    monkeypatch.setattr(module, "MIN_INPUT_CHANNELS", 1)
    calls = []
    original = convolution.forward
    monkeypatch.setattr(convolution, "forward", lambda self, *arguments: calls.append(1) or original(self, *arguments))
    return calls


@pytest.fixture
def every_3x3_convolution_winograd(monkeypatch):
    """Send every 3 x 3 stride-1 convolution of the test through the Winograd path, and count the calls."""
    return counted_winograd_calls(monkeypatch, winograd, winograd.WinogradConvolution)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture only patches and counts
@given(case=tiled_case(), filters=st.integers(1, 3), seed=st.integers(0, 100))
def test_the_winograd_convolution_equals_the_direct_definition(case, filters, seed, every_3x3_convolution_winograd):
    x, pads, _, _ = case
    x = x.astype(np.float64)
    rng = np.random.default_rng(seed)
    kernel, bias = rng.normal(size=(3, 3, x.shape[3], filters)), rng.normal(size=filters)
    padding = "same" if pads[0][0] else "valid"
    before = len(every_3x3_convolution_winograd)
    y = F.conv2d(leaf(x), leaf(kernel), leaf(bias), 1, padding)      # a gradient needed: the training path
    assert len(every_3x3_convolution_winograd) == before + 1
    np.testing.assert_allclose(y.data, direct_conv2d(x, kernel, bias, (1, 1), padding, (1, 1)), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("padding, side", [("same", 4), ("same", 5), ("valid", 6), ("valid", 5)])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_the_winograd_convolution_passes_gradcheck_in_input_kernel_and_bias(padding, side, activation,
                                                                             every_3x3_convolution_winograd):
    rng = np.random.default_rng(side)
    x, kernel, bias = rng.normal(size=(2, side, side + 1, 3)), rng.normal(size=(3, 3, 3, 2)), rng.normal(size=2)
    gradcheck(lambda a, k, b: F.conv2d(a, k, b, 1, padding, activation=activation), leaf(x), leaf(kernel), leaf(bias))
    gradcheck(lambda a, k: F.conv2d(a, k, None, 1, padding), leaf(x), leaf(kernel))
    assert every_3x3_convolution_winograd


def test_winograd_and_im2col_agree_in_float32_on_a_cifar_layer(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 16, 16, 32), dtype=np.float32)
    kernel = (0.1 * rng.standard_normal((3, 3, 32, 64))).astype(np.float32)
    bias = rng.standard_normal(64).astype(np.float32)
    gy = rng.standard_normal((4, 16, 16, 64)).astype(np.float32)

    def run():
        tensors = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
        y = F.conv2d(*tensors, padding="same")
        y.backward(gy)
        return [y.data] + [t.grad for t in tensors]

    assert winograd.applies(x, kernel, (1, 1), (1, 1))
    fast = run()
    monkeypatch.setattr(winograd, "MIN_INPUT_CHANNELS", 10**9)
    plain = run()
    for a, b in zip(fast, plain):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


def test_winograd_takes_only_3x3_stride_1_undilated_convolutions_of_enough_channels():
    x, kernel = np.zeros((1, 8, 8, 16), np.float32), np.zeros((3, 3, 16, 4), np.float32)
    assert winograd.applies(x, kernel, (1, 1), (1, 1))
    assert not winograd.applies(x, kernel, (2, 1), (1, 1))
    assert not winograd.applies(x, kernel, (1, 1), (1, 2))
    assert not winograd.applies(x, np.zeros((5, 5, 16, 4), np.float32), (1, 1), (1, 1))
    assert not winograd.applies(x[..., :3], kernel[:, :, :3], (1, 1), (1, 1))
    assert not winograd.applies(x, kernel.astype(np.float64), (1, 1), (1, 1))


# ---------------------------------------------------------------------------- Conv1D, F(4, r)
from minidl.functional import winograd_1d  # noqa: E402


@pytest.mark.parametrize("m, r", [(4, 3), (4, 5), (2, 3), (2, 5)])
def test_the_1d_transforms_compute_a_correlation(m, r):
    at, g, bt = winograd_1d.transform_matrices(m, r)
    rng = np.random.default_rng(r)
    d, kernel = rng.normal(size=m + r - 1), rng.normal(size=r)
    np.testing.assert_allclose(at @ ((g @ kernel) * (bt @ d)), [kernel @ d[i : i + r] for i in range(m)],
                               rtol=1e-12, atol=1e-12)


@st.composite
def sequence_case(draw):
    """(x, left padding, output length, width) of a drawn stride-1 Conv1D, 'same' or 'valid'."""
    r = draw(st.sampled_from(sorted(winograd_1d.OUTPUTS_PER_TILE)))
    padding = draw(st.sampled_from(["same", "valid"]))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    length = draw(st.integers(r if padding == "valid" else 1, 14))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = np.random.default_rng(draw(st.integers(0, 1000))).normal(size=(n, length, c)).astype(dtype)
    left = (r - 1) // 2 if padding == "same" else 0
    return x, left, length if padding == "same" else length - r + 1, r


@given(case=sequence_case(), filters=st.integers(1, 3))
def test_the_1d_winograd_kernels_match_their_reference(case, filters):
    x, left, out_length, r = case
    m = winograd_1d.OUTPUTS_PER_TILE[r]
    at, _, bt = (a.astype(x.dtype) for a in winograd_1d.transform_matrices(m, r))
    tiles = winograd_1d.tile_count(out_length, m)
    rng = np.random.default_rng(3)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if x.dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    v = compiled.winograd1d_input_tiles(x, left, bt, m, tiles)
    np.testing.assert_allclose(v, winograd_1d.winograd1d_input_tiles.reference(x, left, bt, m, tiles), **tolerance)
    mm = rng.normal(size=(bt.shape[0], v.shape[1], filters)).astype(x.dtype)
    np.testing.assert_allclose(compiled.winograd1d_output(mm, at, out_length, x.shape[0]),
                               winograd_1d.winograd1d_output.reference(mm, at, out_length, x.shape[0]), **tolerance)
    gy = rng.normal(size=(x.shape[0], out_length, filters)).astype(x.dtype)
    np.testing.assert_allclose(compiled.winograd1d_output_gradient_tiles(gy, at),
                               winograd_1d.winograd1d_output_gradient_tiles.reference(gy, at), **tolerance)
    dv = rng.normal(size=v.shape).astype(x.dtype)
    np.testing.assert_allclose(compiled.winograd1d_input_gradient(dv, bt, x.shape, left, m, tiles),
                               winograd_1d.winograd1d_input_gradient.reference(dv, bt, x.shape, left, m, tiles),
                               **tolerance)


@pytest.fixture
def every_conv1d_winograd(monkeypatch):
    """Send every Conv1D of width 3 or 5, stride 1, through the Winograd path, and count the calls."""
    return counted_winograd_calls(monkeypatch, winograd_1d, winograd_1d.WinogradConvolution1D)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture only patches and counts
@given(case=sequence_case(), filters=st.integers(1, 3), seed=st.integers(0, 100))
def test_the_1d_winograd_convolution_equals_the_direct_definition(case, filters, seed, every_conv1d_winograd):
    x, left, _, r = case
    x = x.astype(np.float64)
    rng = np.random.default_rng(seed)
    kernel, bias = rng.normal(size=(r, x.shape[2], filters)), rng.normal(size=filters)
    padding = "same" if left else "valid"
    before = len(every_conv1d_winograd)
    y = F.conv1d(leaf(x), leaf(kernel), leaf(bias), 1, padding)
    assert len(every_conv1d_winograd) == before + 1
    expected = direct_conv2d(x[:, None], kernel[None], bias, (1, 1), padding, (1, 1))[:, 0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("padding, length, width", [("same", 9, 5), ("valid", 11, 5), ("same", 6, 3), ("valid", 7, 3)])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_the_1d_winograd_convolution_passes_gradcheck(padding, length, width, activation, every_conv1d_winograd):
    rng = np.random.default_rng(length)
    x, kernel, bias = rng.normal(size=(2, length, 3)), rng.normal(size=(width, 3, 2)), rng.normal(size=2)
    gradcheck(lambda a, k, b: F.conv1d(a, k, b, 1, padding, activation=activation), leaf(x), leaf(kernel), leaf(bias))
    gradcheck(lambda a, k: F.conv1d(a, k, None, 1, padding), leaf(x), leaf(kernel))
    assert every_conv1d_winograd


def test_1d_winograd_and_im2col_agree_in_float32_on_a_conv1d_bn_layer(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 128, 64), dtype=np.float32)
    kernel = (0.1 * rng.standard_normal((5, 64, 64))).astype(np.float32)
    bias = rng.standard_normal(64).astype(np.float32)
    gy = rng.standard_normal((4, 128, 64)).astype(np.float32)

    def run():
        tensors = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
        y = F.conv1d(*tensors, padding="same")
        y.backward(gy)
        return [y.data] + [t.grad for t in tensors]

    assert winograd_1d.applies(x[:, None], kernel[None], (1, 1), (1, 1))
    fast = run()
    monkeypatch.setattr(winograd_1d, "MIN_INPUT_CHANNELS", 10**9)
    plain = run()
    for a, b in zip(fast, plain):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


# ---------------------------------------------------------------------------- beside Keras
@pytest.mark.parametrize("rank", [2, 1])
def test_networks_on_the_winograd_paths_train_as_keras_does(rank, monkeypatch):
    """A conv-BN-ReLU network whose convolutions take the Winograd paths: Keras's loss history, epoch by epoch."""
    if os.environ.get("CI"):
        import keras  # noqa: PLC0415 - the test extra installs it: its absence under CI is a broken set-up
    else:
        keras = pytest.importorskip("keras")
    import minidl  # noqa: PLC0415

    calls = []
    for module, name in ((winograd, "WinogradConvolution"), (winograd_1d, "WinogradConvolution1D")):
        original = getattr(module, name).forward
        monkeypatch.setattr(getattr(module, name), "forward",
                            lambda self, *arguments, original=original: calls.append(1) or original(self, *arguments))

    def build(layers):
        if rank == 2:
            head = [keras.Input((8, 8, 16)) if layers is keras.layers else minidl.layers.Input((8, 8, 16)),
                    layers.Conv2D(16, 3, padding="same")]
            pool = layers.GlobalAveragePooling2D()
        else:
            head = [keras.Input((12, 16)) if layers is keras.layers else minidl.layers.Input((12, 16)),
                    layers.Conv1D(16, 5, padding="same")]
            pool = layers.GlobalAveragePooling1D()
        return head + [layers.BatchNormalization(), layers.ReLU(), pool, layers.Dense(3, activation="softmax")]

    keras_model = keras.Sequential(build(keras.layers))
    model = minidl.Sequential(build(minidl.layers))
    model.set_weights(keras_model.get_weights())
    rng = np.random.default_rng(rank)
    x = rng.normal(size=(48,) + keras_model.input_shape[1:]).astype(np.float32)
    y = rng.integers(0, 3, 48)
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.compile(minidl.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    expected = keras_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert calls
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-4)
