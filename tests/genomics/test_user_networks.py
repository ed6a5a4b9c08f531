"""The user's own network (genomics.learning.user_networks): a file.py:build_network builder or a .keras file,
checked against Keras itself on Kirschner, Perez et al.'s steppe network."""

import json
import pathlib

import numpy as np
import pytest

from genomics.learning import networks, user_networks
from genomics.learning.user_networks import UserNetworkError, load_user_network, rebuild_network

STEPPE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "kirschner_steppe" / "steppe_network.py"
MINIDL_IMPORTS = """from minidl import Model
from minidl.constraints import max_norm
from minidl.layers import (Activation, AveragePooling1D, BatchNormalization, Conv1D, Dense, Dropout, Flatten,
                           Input)
from minidl.regularizers import l2
"""
KERAS_IMPORTS = """from keras import Model
from keras.constraints import max_norm
from keras.layers import Activation, AveragePooling1D, BatchNormalization, Conv1D, Dense, Dropout, Flatten, Input
from keras.regularizers import l2
"""
IMAGE = (8, 100, 1)  # haplotypes, SNPs, channels: the kernels of 20 and 50 need about 80 SNPs


def keras_steppe_network(input_shape, classes):
    """The same file with only the imports changed back to Keras's, built by Keras."""
    source = STEPPE.read_text()
    assert MINIDL_IMPORTS in source
    namespace = {}
    exec(compile(source.replace(MINIDL_IMPORTS, KERAS_IMPORTS), "steppe_keras", "exec"), namespace)
    return namespace["build_network"](input_shape, classes)


def test_the_steppe_network_builds_as_keras_builds_it_at_the_published_size():
    pytest.importorskip("keras")
    built = load_user_network(f"{STEPPE}:build_network", (270, 1000, 1), 3)
    reference = keras_steppe_network((1000, 270), 3)
    assert built.model.count_params() == reference.count_params() == 7_438_028  # the notebook's summary
    assert [layer.name for layer in built.model.layers if layer.name == "logits"] == ["logits"]
    assert built.description["input_shape"] == [1000, 270] and built.description["classes"] == 3


def test_a_keras_file_of_the_steppe_network_predicts_as_keras_with_its_weights_kept(tmp_path):
    pytest.importorskip("keras")
    reference = keras_steppe_network((IMAGE[1], IMAGE[0]), 3)
    reference.save(tmp_path / "steppe.keras")
    images = np.random.default_rng(0).choice([-1.0, 0.0, 1.0], size=(5, *IMAGE)).astype(np.float32)
    inputs = networks.model_input(images, "cnn1d")
    kept = load_user_network(str(tmp_path / "steppe.keras"), IMAGE, 3, keep_weights=True)
    np.testing.assert_allclose(kept.model.predict(inputs, verbose=0), reference.predict(inputs, verbose=0),
                               rtol=1e-4, atol=1e-5)
    fresh = load_user_network(str(tmp_path / "steppe.keras"), IMAGE, 3)
    assert fresh.description["weights"] == "initialised anew" and fresh.description["source"] == "keras file"
    first = [layer for layer in fresh.model.layers if layer.name.startswith("conv1d")][0]
    kept_first = [layer for layer in kept.model.layers if layer.name == first.name][0]
    assert not np.allclose(first.get_weights()[0], kept_first.get_weights()[0])


def test_the_description_alone_rebuilds_the_architecture_without_the_builder_file(tmp_path):
    copy = tmp_path / "mine.py"
    copy.write_text(STEPPE.read_text())
    built = load_user_network(f"{copy}:build_network", IMAGE, 3)
    stored = json.loads(json.dumps(built.description))  # what a bundle writes and reads back
    copy.unlink()
    rebuilt = rebuild_network(stored)
    assert rebuilt.count_params() == built.model.count_params()
    assert json.loads(rebuilt.to_json())["config"] == json.loads(built.model.to_json())["config"]
    assert stored["source"] == "python builder" and stored["function"] == "build_network"
    assert len(stored["sha256"]) == 64 and stored["model_input_kind"] == "cnn1d"


def test_the_steppe_network_trains_on_the_cnn1d_layout_of_genotype_images():
    built = load_user_network(f"{STEPPE}:build_network", IMAGE, 3)
    rng = np.random.default_rng(1)
    images = rng.choice([-1.0, 1.0], size=(30, *IMAGE)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=30)]
    built.model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = built.model.fit(networks.model_input(images, "cnn1d"), labels, epochs=3, batch_size=10, verbose=0)
    assert np.isfinite(history.history["loss"]).all() and history.history["loss"][-1] < history.history["loss"][0]


BUILDERS = {
    "wrong_output": ("from minidl import Sequential\nfrom minidl.layers import Dense, Flatten, Input\n"
                     "def build_network(input_shape, classes):\n"
                     "    return Sequential([Input(shape=input_shape), Flatten(), Dense(2, activation='softmax')])\n",
                     r"the network's output has shape \(None, 2\), but it must give one value per scenario, "
                     r"\(None, 3\)"),
    "no_logits": ("from minidl import Sequential\nfrom minidl.layers import Activation, Dense, Flatten, Input\n"
                  "def build_network(input_shape, classes):\n"
                  "    return Sequential([Input(shape=input_shape), Flatten(), Dense(classes),\n"
                  "                       Activation('softmax')])\n",
                  r"neither a layer named 'logits'"),
    "wrong_input": ("from minidl import Sequential\nfrom minidl.layers import Dense, Flatten, Input\n"
                    "def build_network(input_shape, classes):\n"
                    "    return Sequential([Input(shape=(7, 7)), Flatten(), Dense(classes, activation='softmax')])\n",
                    r"takes inputs of shape \(None, 7, 7\) but the data give \(None, 100, 8\)"),
    "not_a_model": ("def build_network(input_shape, classes):\n    return 3\n", r"returned int, not a minidl model"),
    "other_name": ("def make(input_shape, classes):\n    return 3\n", r"defines no function 'build_network'"),
    "raises": ("def build_network(input_shape, classes):\n    raise RuntimeError('oops')\n",
               r"failed with RuntimeError: oops"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_builder_that_does_not_fit_the_design_is_refused_in_one_sentence(tmp_path, name):
    source, message = BUILDERS[name]
    (tmp_path / f"{name}.py").write_text(source)
    with pytest.raises(UserNetworkError, match=message):
        load_user_network(f"{tmp_path / name}.py:build_network", IMAGE, 3)


def test_a_final_dense_softmax_serves_as_the_logits(tmp_path):
    (tmp_path / "plain.py").write_text(
        "from minidl import Sequential\nfrom minidl.layers import Dense, Flatten, Input\n"
        "def build_network(input_shape, classes):\n"
        "    return Sequential([Input(shape=input_shape), Flatten(), Dense(classes, activation='softmax')])\n")
    built = load_user_network(f"{tmp_path / 'plain.py'}:build_network", IMAGE, 3, input_layout="image")
    images = np.random.default_rng(2).normal(size=(4, *IMAGE)).astype(np.float32)
    last = built.model.layers[-1]
    expected = images.reshape(4, -1) @ last.kernel.numpy() + last.bias.numpy()
    np.testing.assert_allclose(networks.logits(built.model, images), expected, rtol=1e-4, atol=1e-5)


def test_network_options_that_name_a_file_are_told_from_presets():
    assert user_networks.is_user_network("net.py:build") and user_networks.is_user_network("m.keras")
    assert not user_networks.is_user_network("exchangeable")


def test_a_layer_of_the_users_own_class_is_refused_when_loaded_not_at_prediction(tmp_path):
    (tmp_path / "custom.py").write_text(
        "from minidl import Sequential\nfrom minidl.layers import Dense, Flatten, Input, Layer\n"
        "class Twice(Layer):\n    def call(self, x):\n        return x * 2\n"
        "def build_network(input_shape, classes):\n"
        "    return Sequential([Input(shape=input_shape), Flatten(), Twice(), Dense(classes, activation='softmax')])\n")
    with pytest.raises(UserNetworkError, match=r"cannot be rebuilt from its architecture alone"):
        load_user_network(f"{tmp_path / 'custom.py'}:build_network", IMAGE, 3)


def test_keep_weights_needs_a_keras_file_and_layouts_are_named(tmp_path):
    with pytest.raises(UserNetworkError, match=r"keep_weights applies to a .keras file"):
        load_user_network(f"{STEPPE}:build_network", IMAGE, 3, keep_weights=True)
    with pytest.raises(UserNetworkError, match=r"input layout must be one of sites-by-haplotypes, image"):
        load_user_network(f"{STEPPE}:build_network", IMAGE, 3, input_layout="columns")
    assert user_networks.input_shape_for(IMAGE, "image") == IMAGE


def test_the_logits_of_a_functional_network_give_its_probabilities_through_a_softmax():
    built = load_user_network(f"{STEPPE}:build_network", IMAGE, 3)
    inputs = np.random.default_rng(3).normal(size=(4, IMAGE[1], IMAGE[0])).astype(np.float32)
    logits = user_networks.logits_model(built.model).predict(inputs, verbose=0).astype(np.float64)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True), built.model.predict(inputs, verbose=0),
                               rtol=1e-5, atol=1e-6)
