"""Convolution -> BatchNormalization (-> ReLU) run at inference as one convolution with the normalisation folded in."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import layers as L
from minidl.functional.norm import folded_into_convolution
from minidl.models import fusion
from tests.test_conv_pool import direct_conv2d


def with_moving_statistics(model, seed):
    """Give every BatchNormalization of ``model`` drawn gamma, beta and moving statistics (not 1, 0, 0, 1)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            channels = layer.moving_mean.shape[0]
            for weight, values in ((layer.gamma, rng.uniform(0.5, 2.0, channels)),
                                   (layer.beta, rng.normal(size=channels)),
                                   (layer.moving_mean, rng.normal(size=channels)),
                                   (layer.moving_variance, rng.uniform(0.1, 3.0, channels))):
                if weight is not None:
                    weight.data[...] = values
    return model


def predict_apart(model, x):
    """``model.predict`` with every layer run on its own (no folding, no fused pairs)."""
    fusion.ENABLED = False
    try:
        return model.predict(x, verbose=0)
    finally:
        fusion.ENABLED = True


@st.composite
def conv_bn_case(draw):
    rank = draw(st.sampled_from([1, 2]))
    kernel_size = draw(st.integers(1, 3))
    strides = draw(st.integers(1, 2))
    dilation = draw(st.integers(1, 2)) if strides == 1 else 1  # Keras refuses strides > 1 with dilation > 1
    padding = draw(st.sampled_from(["valid", "same"]))
    options = {"use_bias": draw(st.booleans()), "center": draw(st.booleans()), "scale": draw(st.booleans()),
               "relu": draw(st.sampled_from([None, "layer", "activation"]))}
    shape = (draw(st.integers(5, 9)),) * rank + (draw(st.integers(1, 4)),)
    return rank, kernel_size, strides, dilation, padding, options, shape, draw(st.integers(0, 1000))


def conv_bn_model(rank, kernel_size, strides, dilation, padding, options, shape, filters=3):
    conv = (L.Conv1D if rank == 1 else L.Conv2D)(filters, kernel_size, strides=strides, padding=padding,
                                                 dilation_rate=dilation, use_bias=options["use_bias"])
    stack = [L.Input(shape), conv, L.BatchNormalization(center=options["center"], scale=options["scale"])]
    stack += {None: [], "layer": [L.ReLU()], "activation": [L.Activation("relu")]}[options["relu"]]
    return minidl.Sequential(stack + [L.Flatten(), L.Dense(2)])


@settings(max_examples=30, deadline=None)
@given(case=conv_bn_case())
def test_folded_predict_equals_the_layers_run_apart(case):
    *architecture, seed = case
    model = with_moving_statistics(conv_bn_model(*architecture), seed)
    assert any(isinstance(group, fusion.FoldedChain) for group in model._fused.values())
    x = np.random.default_rng(seed).normal(size=(4, *architecture[-1])).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), predict_apart(model, x), rtol=1e-5, atol=1e-5)


def test_folded_weights_give_batch_normalisation_of_the_direct_convolution_in_float64():
    rng = np.random.default_rng(3)
    x, kernel, bias = rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)
    mean, variance = rng.normal(size=4), rng.uniform(0.1, 2.0, 4)
    gamma, beta, epsilon = rng.uniform(0.5, 2.0, 4), rng.normal(size=4), 1e-3
    z = direct_conv2d(x, kernel, bias, (1, 2), "same", (1, 1))
    expected = gamma * (z - mean) / np.sqrt(variance + epsilon) + beta
    folded_kernel, folded_bias = folded_into_convolution(kernel, bias, mean, variance, gamma, beta, epsilon)
    np.testing.assert_allclose(direct_conv2d(x, folded_kernel, folded_bias, (1, 2), "same", (1, 1)), expected,
                               rtol=1e-12, atol=1e-12)


def test_folded_weights_keep_the_kernel_dtype_and_default_gamma_beta_and_bias():
    kernel, mean, variance = np.ones((1, 2, 3), np.float32), np.array([1.0, 2.0, 3.0]), np.array([3.0, 0.0, 1.0])
    folded_kernel, folded_bias = folded_into_convolution(kernel, None, mean, variance, epsilon=1.0)
    assert folded_kernel.dtype == folded_bias.dtype == np.float32
    np.testing.assert_allclose(folded_kernel[0, 0], [0.5, 1.0, 1 / np.sqrt(2)], rtol=1e-6)
    np.testing.assert_allclose(folded_bias, [-0.5, -2.0, -3 / np.sqrt(2)], rtol=1e-6)


def test_predict_runs_each_chain_as_one_folded_convolution(monkeypatch):
    calls = []
    original = fusion.run_folded
    monkeypatch.setattr(fusion, "run_folded", lambda chain, x: calls.append(chain) or original(chain, x))
    inputs = L.Input((8, 8, 2))
    stem = L.ReLU()(L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(inputs)))
    branch = L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(stem))
    model = minidl.Model(inputs, L.GlobalAveragePooling2D()(L.ReLU()(L.Add()([stem, branch]))))
    with_moving_statistics(model, 0)
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 2)).astype(np.float32)
    folded = model.predict(x, verbose=0)
    assert [chain.with_relu for chain in calls] == [True, False]  # the stem with its ReLU; the branch without
    np.testing.assert_allclose(folded, predict_apart(model, x), rtol=1e-5, atol=1e-6)


def test_training_and_recorded_gradients_run_the_layers_apart(monkeypatch):
    monkeypatch.setattr(fusion, "run_folded", lambda chain, x: pytest.fail("folded while gradients are recorded"))
    model = conv_bn_model(2, 3, 1, 1, "same", {"use_bias": True, "center": True, "scale": True, "relu": "layer"},
                          (6, 6, 2))
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 2)).astype(np.float32)
    model.fit(x, np.zeros((4, 2), np.float32), epochs=1, verbose=0)
    model(x, training=False).sum().backward()  # inference mode, but a gradient is asked for
    assert model.layers[0].kernel.grad is not None


def test_a_convolution_read_by_another_layer_too_is_not_folded():
    inputs = L.Input((6, 6, 2))
    z = L.Conv2D(3, 3)(inputs)
    model = minidl.Model(inputs, [L.BatchNormalization()(z), L.Flatten()(z)])
    assert not any(isinstance(group, fusion.FoldedChain) for group in model._fused.values())


def test_a_relu_with_a_threshold_is_not_folded_into_the_convolution():
    model = minidl.Sequential([L.Input((6, 2)), L.Conv1D(3, 2), L.BatchNormalization(), L.ReLU(threshold=0.5)])
    (chain,) = [group for group in model._fused.values() if isinstance(group, fusion.FoldedChain)]
    assert not chain.with_relu  # the convolution and normalisation fold; the ReLU runs on its own


@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_then_batch_norm_folds_too(use_bias, monkeypatch):
    calls = []
    original = fusion.run_folded
    monkeypatch.setattr(fusion, "run_folded", lambda chain, x: calls.append(chain) or original(chain, x))
    model = minidl.Sequential([L.Input((12,)), L.Dense(16, use_bias=use_bias), L.BatchNormalization(), L.ReLU(),
                               L.Dense(8), L.BatchNormalization(), L.Dense(3)])
    with_moving_statistics(model, 2)
    x = np.random.default_rng(2).normal(size=(10, 12)).astype(np.float32)
    folded = model.predict(x, verbose=0)
    assert [chain.with_relu for chain in calls] == [True, False]
    np.testing.assert_allclose(folded, predict_apart(model, x), rtol=1e-5, atol=1e-5)


@st.composite
def chain_case(draw):
    rank = draw(st.sampled_from([1, 2]))
    options = {"normalised": draw(st.booleans()), "relu": draw(st.sampled_from(["layer", "activation"])),
               "pooled": draw(st.booleans()), "use_bias": draw(st.booleans()),
               "padding": draw(st.sampled_from(["valid", "same"])), "pool": draw(st.integers(1, 3)),
               "pool_padding": draw(st.sampled_from(["valid", "same"]))}
    shape = (draw(st.integers(6, 9)),) * rank + (draw(st.integers(1, 4)),)
    return rank, options, shape, draw(st.integers(0, 1000))


def chain_model(rank, options, shape):
    conv = (L.Conv1D if rank == 1 else L.Conv2D)(3, 2, padding=options["padding"], use_bias=options["use_bias"])
    stack = [L.Input(shape), conv] + ([L.BatchNormalization()] if options["normalised"] else [])
    stack.append(L.ReLU() if options["relu"] == "layer" else L.Activation("relu"))
    if options["pooled"]:
        pooling = L.MaxPooling1D if rank == 1 else L.MaxPooling2D
        stack.append(pooling(options["pool"], padding=options["pool_padding"]))
    return minidl.Sequential(stack + [L.Flatten(), L.Dense(2)])


@settings(max_examples=30, deadline=None)
@given(case=chain_case())
def test_chains_with_max_pooling_or_without_normalisation_predict_as_the_layers_apart(case):
    rank, options, shape, seed = case
    model = with_moving_statistics(chain_model(rank, options, shape), seed)
    (chain,) = [group for group in model._fused.values() if isinstance(group, fusion.FoldedChain)]
    assert (chain.normalization is not None, chain.pooling is not None) == (options["normalised"], options["pooled"])
    x = np.random.default_rng(seed).normal(size=(5, *shape)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), predict_apart(model, x), rtol=1e-5, atol=1e-5)


def test_a_pooled_chain_runs_as_one_convolution_relu_max_pool_call(monkeypatch):
    calls = []
    original = fusion.F.conv2d_relu_max_pool2d
    monkeypatch.setattr(fusion.F, "conv2d_relu_max_pool2d",
                        lambda *a, **k: calls.append(a[0].shape) or original(*a, **k))
    monkeypatch.setattr(fusion.F, "max_pool2d", lambda *a, **k: pytest.fail("pooled apart"))
    monkeypatch.setattr(fusion.F, "max_pool1d", lambda *a, **k: pytest.fail("pooled apart"))
    model = minidl.Sequential([L.Input((12, 3)), L.Conv1D(4, 3), L.BatchNormalization(), L.ReLU(), L.MaxPooling1D(2),
                               L.Conv1D(4, 3), L.Activation("relu"), L.MaxPooling1D(2), L.Flatten(), L.Dense(2)])
    with_moving_statistics(model, 4)
    model.predict(np.ones((2, 12, 3), np.float32), verbose=0)
    assert calls == [(2, 1, 12, 3), (2, 1, 5, 4)]  # each Conv1D as an image of height 1


def test_a_convolution_and_relu_without_normalisation_train_as_the_layers_apart(monkeypatch):
    monkeypatch.setattr(fusion, "run_folded", lambda chain, x: pytest.fail("folded while training"))
    model = minidl.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3), L.ReLU(), L.MaxPooling2D(2), L.Flatten(),
                               L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 2)).astype(np.float32)
    model.fit(x, np.zeros((4, 2), np.float32), epochs=1, verbose=0)
