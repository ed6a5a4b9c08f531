"""One check over every layer class in ``minidl.layers`` (Keras's ``run_layer_test`` pattern).

For each layer: its config rebuilds an equal layer; a model holding it
survives a save/load round trip with the same outputs; ``compute_output_shape``
agrees with the shape of a real output; and, where Keras is installed, the
weight count and shapes agree with the same layer built in Keras. A new layer
class must be added to CASES, or the first test fails.
"""

import importlib.util

import numpy as np
import pytest

import minidl
from minidl import Sequential, layers

# class name -> (constructor arguments, input shape per sample; a list of shapes for a layer of several inputs)
CASES = {
    "Activation": ({"activation": "tanh"}, (5,)),
    "ActivityRegularization": ({"l1": 0.01, "l2": 0.02}, (5,)),
    "AdditiveAttention": ({"use_scale": True}, [(4, 3), (5, 3)]),
    "Attention": ({"use_scale": True, "score_mode": "concat"}, [(4, 3), (5, 2), (5, 3)]),
    "Add": ({}, [(4, 3), (4, 3), (4, 3)]),
    "AlphaDropout": ({"rate": 0.3, "noise_shape": (None, 1, 3), "seed": 2}, (4, 3)),
    "Average": ({}, [(2, 3), (2, 3)]),
    "AveragePooling1D": ({"pool_size": 2, "strides": 1, "padding": "same"}, (7, 3)),
    "AveragePooling2D": ({"pool_size": (2, 3), "padding": "valid"}, (6, 7, 2)),
    "BatchNormalization": ({"momentum": 0.9, "epsilon": 1e-2}, (4, 3)),
    "Bidirectional": ({"layer": {"class_name": "GRU", "config": {"units": 3, "return_sequences": True}},
                       "merge_mode": "ave"}, (5, 2)),
    "CategoryEncoding": ({"num_tokens": 6, "output_mode": "count"}, (4,)),
    "CenterCrop": ({"height": 3, "width": 4}, (5, 6, 2)),
    "Concatenate": ({"axis": 1}, [(2, 3), (4, 3), (1, 3)]),
    "Conv1D": ({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (9, 2)),
    "Conv1DTranspose": ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (5, 2)),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": (2, 3), "strides": (2, 1), "padding": "valid"}, (3, 4, 2)),
    "Conv2D": ({"filters": 3, "kernel_size": (2, 3), "dilation_rate": (2, 1), "kernel_regularizer": "l2"}, (7, 6, 2)),
    "Cropping1D": ({"cropping": (1, 2)}, (6, 2)),
    "Cropping2D": ({"cropping": ((1, 0), (2, 1))}, (5, 6, 2)),
    "DepthwiseConv1D": ({"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2}, (7, 3)),
    "DepthwiseConv2D": ({"kernel_size": (2, 3), "dilation_rate": (2, 1), "activation": "relu"}, (6, 5, 2)),
    "Dot": ({"axes": (2, 2), "normalize": True}, [(4, 3), (5, 3)]),
    "Dense": ({"units": 4, "activation": "softmax", "bias_initializer": "ones"}, (6,)),
    "Dropout": ({"rate": 0.3, "seed": 2}, (8,)),
    "EinsumDense": ({"equation": "abc,cde->abde", "output_shape": (3, 2, 4), "bias_axes": "de",
                     "activation": "relu"}, (3, 5)),
    "ELU": ({"alpha": 0.7}, (5,)),
    "Embedding": ({"input_dim": 10, "output_dim": 3, "mask_zero": True}, (6,)),
    "Flatten": ({}, (3, 4, 2)),
    "GaussianDropout": ({"rate": 0.3, "seed": 2}, (6,)),
    "GaussianNoise": ({"stddev": 0.5, "seed": 3}, (4, 2)),
    "GlobalAveragePooling1D": ({}, (5, 3)),
    "GlobalAveragePooling2D": ({"keepdims": True}, (4, 5, 3)),
    "GlobalMaxPooling1D": ({}, (5, 3)),
    "GlobalMaxPooling2D": ({}, (4, 5, 3)),
    "GRU": ({"units": 3, "go_backwards": True, "recurrent_activation": "hard_sigmoid"}, (5, 2)),
    "GroupNormalization": ({"groups": 2, "epsilon": 1e-2}, (3, 4, 6)),
    "GroupPooling": ({"group_sizes": [2, 1, 3], "axis": 2, "statistics": ["mean", "max"]}, (4, 6, 3)),
    "GroupShuffle": ({"group_sizes": [2, 1], "axis": -1, "unit": 2, "seed": 4}, (3, 6)),
    "Identity": ({}, (3, 2)),
    "InputLayer": ({"shape": (5,)}, (5,)),
    "LeakyReLU": ({"negative_slope": 0.1}, (5,)),
    "LayerNormalization": ({"axis": [-2, -1], "epsilon": 1e-2}, (3, 4)),
    "LSTM": ({"units": 3, "return_sequences": True, "unit_forget_bias": False}, (5, 2)),
    "RNN": ({"cell": {"class_name": "StackedRNNCells", "config": {"cells": [
        {"class_name": "LSTMCell", "config": {"units": 3}}, {"class_name": "GRUCell", "config": {"units": 2}}]}},
        "return_sequences": True}, (5, 2)),
    "Masking": ({"mask_value": 0.5}, (4, 2)),
    "Maximum": ({}, [(3, 2), (3, 2)]),
    "MaxPooling1D": ({"pool_size": 3, "strides": 2}, (9, 2)),
    "MaxPooling2D": ({"pool_size": 2, "padding": "same"}, (5, 5, 3)),
    "Minimum": ({}, [(3, 2), (3, 2)]),
    "Multiply": ({}, [(5,), (5,)]),
    "Normalization": ({"axis": -1, "mean": [0.5, -1.0], "variance": [2.0, 0.5]}, (4, 2)),
    "RandomContrast": ({"factor": 0.2, "seed": 1}, (4, 5, 3)),
    "RandomFlip": ({"mode": "horizontal", "seed": 1}, (4, 5, 3)),
    "RandomRotation": ({"factor": 0.1, "fill_mode": "constant", "seed": 1}, (4, 5, 3)),
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": (-0.2, 0.1), "seed": 1}, (4, 5, 3)),
    "RandomZoom": ({"height_factor": (-0.2, 0.3), "interpolation": "nearest", "seed": 1}, (4, 5, 3)),
    "Rescaling": ({"scale": 1 / 255, "offset": -0.5}, (4, 3)),
    "Resizing": ({"height": 3, "width": 7, "interpolation": "bilinear"}, (5, 4, 2)),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 3, "value_dim": 2, "output_shape": 5},
                           [(4, 6), (5, 3), (5, 2)]),
    "PReLU": ({"alpha_initializer": "ones", "shared_axes": [1]}, (4, 3)),
    "ReLU": ({"max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}, (5,)),
    "Permute": ({"dims": (2, 3, 1)}, (2, 3, 4)),
    "RepeatVector": ({"n": 3}, (4,)),
    "Reshape": ({"target_shape": (-1, 2)}, (3, 4)),
    "SimpleRNN": ({"units": 4, "activation": "relu", "return_sequences": True}, (5, 2)),
    "Softmax": ({"axis": 1}, (3, 4)),
    "SeparableConv1D": ({"filters": 4, "kernel_size": 3, "padding": "same", "use_bias": False}, (6, 3)),
    "SeparableConv2D": ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 2},
                        (7, 6, 2)),
    "SpatialDropout1D": ({"rate": 0.4, "seed": 1}, (6, 3)),
    "SpatialDropout2D": ({"rate": 0.4, "seed": 1}, (4, 4, 3)),
    "Subtract": ({}, [(2, 2), (2, 2)]),
    "TimeDistributed": ({"layer": {"class_name": "Dense", "config": {"units": 2}}}, (4, 3)),
    "UnitNormalization": ({"axis": -1}, (3, 4)),
    "UpSampling1D": ({"size": 3}, (4, 2)),
    "UpSampling2D": ({"size": (2, 3)}, (3, 2, 2)),
    "ZeroPadding1D": ({"padding": (2, 1)}, (4, 3)),
    "ZeroPadding2D": ({"padding": ((1, 2), (0, 1))}, (3, 3, 2)),
}


def test_every_layer_class_has_a_case():
    assert set(CASES) == set(layers.ALL)


def build(name):
    """(layer, a model holding it, a batch of 3 samples): a Sequential, or a Model for a layer of several inputs."""
    options, shape = CASES[name]
    minidl.core.random.seed(0)
    layer = layers.ALL[name](**options)
    if name == "InputLayer":
        return layer, None, None
    rng = np.random.default_rng(1)
    if isinstance(shape, list):
        inputs = [layers.Input(s) for s in shape]
        model = minidl.Model(inputs, layer(inputs))
        x = [rng.normal(size=(3,) + s).astype(np.float32) for s in shape]
    else:
        model = Sequential([layers.Input(shape), layer])
        x = rng.normal(size=(3,) + shape).astype(np.float32)
        if name == "Embedding":  # ids, zeros among them (masked)
            x = rng.integers(0, options["input_dim"], size=(3,) + shape).astype(np.float32)
        if name == "CategoryEncoding":  # ids
            x = rng.integers(0, options["num_tokens"], size=(3,) + shape).astype(np.float32)
    return layer, model, x


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip_gives_an_equal_layer(name):
    layer, _, _ = build(name)
    config = layers.serialize(layer)
    again = layers.deserialize(config)
    assert type(again) is type(layer)
    assert layers.serialize(again) == config


IN_A_MODEL = sorted(set(CASES) - {"InputLayer"})  # an InputLayer only sets a model's input shape


def test_an_input_passes_its_shape_on():
    tensor = layers.Input((5, 2))
    assert tensor.shape == (None, 5, 2)  # Keras's: the batch axis first
    assert Sequential([tensor, layers.Flatten()]).output_shapes == [(10,)]
    assert Sequential([layers.InputLayer((5, 2)), layers.Flatten()]).output_shapes == [(10,)]


def sample_shapes(x):
    return [a.shape[1:] for a in x] if isinstance(x, list) else x.shape[1:]


@pytest.mark.parametrize("name", IN_A_MODEL)
def test_output_shape_matches_the_real_output(name):
    layer, model, x = build(name)
    y = model.predict(x, verbose=0)
    assert y.shape == (3,) + tuple(model.output_shape[1:])
    assert tuple(layer.compute_output_shape(sample_shapes(x))) == y.shape[1:]
    assert layer.output.shape == (None,) + y.shape[1:]  # the symbolic output of its call in the model


@pytest.mark.parametrize("name", IN_A_MODEL)
def test_save_and_load_round_trip_keeps_weights_and_outputs(name, tmp_path):
    layer, model, x = build(name)
    model.set_weights([w + np.float32(0.25) * np.arange(w.size, dtype=np.float32).reshape(w.shape) / max(w.size, 1)
                       for w in model.get_weights()])  # weights that differ from any initial value
    model.save(tmp_path / "model.npz")
    loaded = minidl.load_model(tmp_path / "model.npz")
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[-1].get_config() == layer.get_config()


KERAS = importlib.util.find_spec("keras") is not None
#: minidl's own layers, for exchangeable data; Keras has nothing to compare them with
NOT_IN_KERAS = {"GroupPooling", "GroupShuffle"}


def keras_model_of(name, keras):
    options, shape = CASES[name]
    if "layer" in options:  # a wrapper: Keras takes the wrapped layer itself
        options = {**options, "layer": keras.layers.deserialize({**options["layer"], "module": "keras.layers"})}
    if "cell" in options:  # an RNN: Keras takes its cells themselves
        options = {**options, "cell": [keras.layers.deserialize({**cell, "module": "keras.layers"})
                                       for cell in options["cell"]["config"]["cells"]]}
    layer = getattr(keras.layers, name)(**options)
    if isinstance(shape, list):
        inputs = [keras.Input(s) for s in shape]
        return keras.Model(inputs, layer(*inputs) if name == "MultiHeadAttention" else layer(inputs))
    return keras.Sequential([keras.Input(shape), layer])


@pytest.mark.skipif(not KERAS, reason="Keras is not installed (pip install -e '.[test]' installs it)")
@pytest.mark.parametrize("name", sorted(set(IN_A_MODEL) - NOT_IN_KERAS))
def test_weights_shapes_and_outputs_match_keras(name):
    """Same weight shapes as Keras, and the same outputs (inference) from the same weights."""
    import keras

    _, model, x = build(name)
    keras_model = keras_model_of(name, keras)
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in keras_model.get_weights()]
    assert model.count_params() == keras_model.count_params()
    assert tuple(model.output_shape[1:]) == tuple(keras_model.output_shape[1:])
    rng = np.random.default_rng(5)
    weights = [w + rng.uniform(0.1, 0.5, size=w.shape).astype(np.float32) for w in keras_model.get_weights()]
    keras_model.set_weights(weights)  # away from the initial values (and variances positive)
    model.set_weights(weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)
