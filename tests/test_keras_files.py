"""Keras files both ways: .keras and legacy .h5 written by Keras load in minidl, and minidl's load in Keras.

The fixtures in tests/fixtures/keras were written by real Keras 3.15
(tests/fixtures/keras/make_fixtures.py), with the predictions Keras made,
so the reader is tested on every machine, with or without Keras.
"""

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl import Input, Model, Sequential  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.models import KerasFileError  # noqa: E402
from tests.test_every_layer import CASES, NOT_IN_KERAS, build, keras_model_of  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras"

if os.environ.get("CI"):
    import keras  # noqa: E402 - the test extra installs it
else:
    try:
        import keras  # noqa: E402
    except ImportError:
        keras = None

needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")
KERAS_LAYERS = sorted(set(CASES) - NOT_IN_KERAS - {"InputLayer"})


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.keras")) + sorted(
    p.name for p in FIXTURES.glob("*.h5")))
def test_files_written_by_keras_give_kerass_predictions(name):
    expected = np.load(FIXTURES / "predictions.npz")
    stem = name.rsplit(".", 1)[0]
    inputs = [expected[key] for key in sorted(expected.files) if key.startswith(f"{stem}.x")]
    model = minidl.load_model(FIXTURES / name)
    prediction = model.predict(inputs if len(inputs) > 1 else inputs[0])
    outputs = [expected[key] for key in sorted(expected.files) if key.startswith(f"{stem}.y")]
    for mine, theirs in zip(prediction if isinstance(prediction, list) else [prediction], outputs, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_keras_file_keeps_its_layer_names_and_training_settings():
    model = minidl.load_model(FIXTURES / "two_branch.keras")
    assert [layer.name for layer in model.layers][:2] == ["genotypes", "conv1d"]
    assert model.output_names == ["scenario", "size"]
    assert model.optimizer is not None and type(model.optimizer).__name__ == "Adam"
    uncompiled = minidl.load_model(FIXTURES / "two_branch.keras", compile=False)
    assert uncompiled.optimizer is None


@needs_keras
@pytest.mark.parametrize("extension", [".keras", ".h5"])
@pytest.mark.parametrize("name", KERAS_LAYERS)
def test_every_layer_from_a_keras_file(name, extension, tmp_path):
    keras_model = keras_model_of(name, keras)
    rng = np.random.default_rng(3)
    keras_model.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32)
                             for w in keras_model.get_weights()])
    keras_model.save(tmp_path / f"m{extension}")
    model = minidl.load_model(tmp_path / f"m{extension}")
    _, _, x = build(name)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@needs_keras
@pytest.mark.parametrize("extension", [".keras", ".h5"])
@pytest.mark.parametrize("name", KERAS_LAYERS)
def test_every_layer_to_a_keras_file(name, extension, tmp_path):
    _, model, x = build(name)
    rng = np.random.default_rng(4)
    model.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    model.save(tmp_path / f"m{extension}")
    keras_model = keras.saving.load_model(tmp_path / f"m{extension}")
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), model.predict(x), rtol=1e-5, atol=1e-6)


def graphs():
    """Models with several inputs and outputs, a shared layer and a nested model."""
    genotypes, positions = Input((12, 4), name="genotypes"), Input((12,), name="positions")
    x = L.GlobalMaxPooling1D()(L.Conv1D(6, 3, activation="relu")(genotypes))
    encoder = Sequential([Input((12,)), L.Dense(5, activation="tanh")], name="encoder")
    shared = L.Dense(5, name="shared")
    merged = L.concatenate([x, L.add([shared(encoder(positions)), shared(L.Dense(5)(positions))])])
    two_outputs = Model([genotypes, positions], [L.Dense(3, activation="softmax", name="scenario")(merged),
                                                 L.Dense(1, name="size")(merged)])
    stack = Sequential([Input((6, 6, 2)), L.Conv2D(3, 2, padding="same"), L.BatchNormalization(),
                        L.Activation("relu"), L.MaxPooling2D(2), L.Flatten(), L.Dense(2, activation="softmax")])
    return {"two_outputs": two_outputs, "stack": stack}


def data_for(model, rng):
    return [rng.normal(size=(4,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]


@pytest.mark.parametrize("extension", [".keras", ".h5"])
@pytest.mark.parametrize("kind", ["two_outputs", "stack"])
def test_graphs_round_trip_through_keras_files_in_minidl(kind, extension, tmp_path, rng):
    model = graphs()[kind]
    model.set_weights([w + rng.uniform(0.1, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    model.save(tmp_path / f"m{extension}")
    again = minidl.load_model(tmp_path / f"m{extension}")
    x = data_for(model, rng)
    x = x if len(x) > 1 else x[0]
    as_list = lambda outputs: outputs if isinstance(outputs, list) else [outputs]  # noqa: E731
    for mine, theirs in zip(as_list(again.predict(x)), as_list(model.predict(x)), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert type(again) is type(model)


@needs_keras
@pytest.mark.parametrize("extension", [".keras", ".h5"])
@pytest.mark.parametrize("kind", ["two_outputs", "stack"])
def test_graphs_written_by_minidl_load_in_keras(kind, extension, tmp_path, rng):
    model = graphs()[kind]
    model.set_weights([w + rng.uniform(0.1, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    model.save(tmp_path / f"m{extension}")
    keras_model = keras.saving.load_model(tmp_path / f"m{extension}")
    x = data_for(model, rng)
    theirs = keras_model.predict(x if len(x) > 1 else x[0], verbose=0)
    mine = model.predict(x if len(x) > 1 else x[0])
    for a, b in zip(mine if isinstance(mine, list) else [mine], theirs if isinstance(theirs, list) else [theirs]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_what_minidl_cannot_rebuild_is_named(tmp_path):
    import zipfile

    with zipfile.ZipFile(FIXTURES / "two_branch.keras") as archive:
        entry = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    conv = next(layer for layer in entry["config"]["layers"] if layer["class_name"] == "Conv1D")

    def write(changed, name):
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.writestr("config.json", json.dumps(changed))
            archive.writestr("model.weights.h5", weights)
        return tmp_path / name

    conv["config"]["data_format"] = "channels_first"
    with pytest.raises(KerasFileError, match=r"layer 'conv1d' \(Conv1D\) has the option data_format='channels_first'"):
        minidl.load_model(write(entry, "channels_first.keras"))
    conv["config"]["data_format"] = "channels_last"
    conv["class_name"] = "ConvLSTM1D"
    with pytest.raises(KerasFileError, match=r"layer 'conv1d' is a Keras ConvLSTM1D, which minidl does not have"):
        minidl.load_model(write(entry, "convlstm.keras"))
    group_model = Sequential([Input((4, 3)), L.GroupPooling([2, 2], axis=1)])
    with pytest.raises(KerasFileError, match="GroupPooling, which Keras does not have; save this model as"):
        group_model.save(tmp_path / "group.keras")
    assert not (tmp_path / "group.keras").exists() and not (tmp_path / "group.keras.partial").exists()
