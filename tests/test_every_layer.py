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

# class name -> (constructor arguments, input shape per sample)
CASES = {
    "Activation": ({"activation": "tanh"}, (5,)),
    "AveragePooling1D": ({"pool_size": 2, "strides": 1, "padding": "same"}, (7, 3)),
    "AveragePooling2D": ({"pool_size": (2, 3), "padding": "valid"}, (6, 7, 2)),
    "BatchNormalization": ({"momentum": 0.9, "epsilon": 1e-2}, (4, 3)),
    "Conv1D": ({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (9, 2)),
    "Conv2D": ({"filters": 3, "kernel_size": (2, 3), "dilation_rate": (2, 1), "kernel_regularizer": "l2"}, (7, 6, 2)),
    "Dense": ({"units": 4, "activation": "softmax", "bias_initializer": "ones"}, (6,)),
    "Dropout": ({"rate": 0.3, "seed": 2}, (8,)),
    "Flatten": ({}, (3, 4, 2)),
    "GlobalAveragePooling1D": ({}, (5, 3)),
    "GlobalAveragePooling2D": ({}, (4, 5, 3)),
    "GroupPooling": ({"group_sizes": [2, 1, 3], "axis": 2, "statistics": ["mean", "max"]}, (4, 6, 3)),
    "GroupShuffle": ({"group_sizes": [2, 1], "axis": -1, "unit": 2, "seed": 4}, (3, 6)),
    "InputLayer": ({"shape": (5,)}, (5,)),
    "MaxPooling1D": ({"pool_size": 3, "strides": 2}, (9, 2)),
    "MaxPooling2D": ({"pool_size": 2, "padding": "same"}, (5, 5, 3)),
}


def test_every_layer_class_has_a_case():
    assert set(CASES) == set(layers.ALL)


def build(name):
    options, shape = CASES[name]
    minidl.random.seed(0)
    layer = layers.ALL[name](**options)
    if name == "InputLayer":
        return layer, None, None
    model = Sequential([layers.Input(shape), layer])
    x = np.random.default_rng(1).normal(size=(3,) + shape).astype(np.float32)
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


@pytest.mark.parametrize("name", IN_A_MODEL)
def test_output_shape_matches_the_real_output(name):
    layer, model, x = build(name)
    y = model.predict(x, verbose=0)
    assert y.shape == (3,) + tuple(model.output_shapes[-1])
    assert tuple(layer.compute_output_shape(x.shape[1:])) == y.shape[1:]


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


@pytest.mark.skipif(not KERAS, reason="Keras is not installed (pip install -e '.[test]' installs it)")
@pytest.mark.parametrize("name", sorted(set(IN_A_MODEL) - NOT_IN_KERAS))
def test_weight_shapes_and_output_shape_match_keras(name):
    import keras

    options, shape = CASES[name]
    _, model, _ = build(name)
    keras_model = keras.Sequential([keras.Input(shape), getattr(keras.layers, name)(**options)])
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in keras_model.get_weights()]
    assert model.count_params() == keras_model.count_params()
    assert tuple(model.output_shapes[-1]) == tuple(keras_model.output_shape[1:])
