"""keras.saving's helpers, clone_model, to_json and .keras compile configs, each checked against Keras 3 itself.

A custom layer, loss and metric are defined twice, once for minidl and
once for Keras, under the same registered names; files and JSON written
by one are read by the other, and their predictions must agree.
"""

import contextlib
import json
import os
import warnings
import zipfile

import numpy as np
import pytest

import minidl
from minidl import layers as L
from minidl import ops
from minidl.models import clone_model, model_from_json
from minidl.saving.npz import (
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    register_keras_serializable,
    serialize_keras_object,
)

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(3)
X = RNG.normal(size=(48, 4)).astype(np.float32)
Y = np.stack([X[:, 0] - X[:, 1], X[:, 2] * 0.5], axis=1).astype(np.float32)


# ---------------------------------------------------------------------------- the user's own objects, twice
@register_keras_serializable(package="roundtrip")
class Scaled(L.Layer):
    """y = x W * factor, a layer with one weight and one option."""

    def __init__(self, units=2, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.factor = units, factor

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, x, training=None):
        return ops.matmul(x, self.kernel) * self.factor

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "factor": self.factor}


MinidlScaled = Scaled


@register_keras_serializable(package="roundtrip")
def half_squared_error(y_true, y_pred):
    """Keras's version below returns one value per sample, which Keras averages; this one averages itself."""
    return ops.mean(ops.square(ops.subtract(y_pred, y_true))) * 0.5


@register_keras_serializable(package="roundtrip")
def largest_error(y_true, y_pred):
    return ops.mean(ops.max(ops.abs(ops.subtract(y_pred, y_true)), axis=-1))


class Scaled(keras.layers.Layer):  # the same class name as minidl's: Keras names weight groups by class name
    def __init__(self, units=2, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.factor = units, factor

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                      name="kernel")

    def call(self, x):
        return keras.ops.matmul(x, self.kernel) * self.factor

    def get_config(self):
        return {**super().get_config(), "units": self.units, "factor": self.factor}


KerasScaled = keras.saving.register_keras_serializable(package="roundtrip")(Scaled)
Scaled = MinidlScaled  # noqa: F811 - the name is minidl's class from here on


@keras.saving.register_keras_serializable(package="roundtrip", name="half_squared_error")
def keras_half_squared_error(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1) * 0.5


@keras.saving.register_keras_serializable(package="roundtrip", name="largest_error")
def keras_largest_error(y_true, y_pred):
    return keras.ops.max(keras.ops.abs(y_pred - y_true), axis=-1)


keras_half_squared_error.__name__, keras_largest_error.__name__ = "half_squared_error", "largest_error"  # log names


def two_branch_model():
    inputs = minidl.Input((4,))
    hidden = L.Dense(5, activation="tanh")(inputs)
    return minidl.Model(inputs, L.Concatenate()([L.Dense(2)(hidden), Scaled(3, factor=0.5)(hidden)]))


# ---------------------------------------------------------------------------- custom objects
def test_get_custom_objects_is_the_live_registry():
    assert get_custom_objects()["roundtrip>Scaled"] is Scaled
    assert minidl.utils.get_custom_objects() is get_custom_objects()

    def doubled_relu(x):
        return ops.relu(x) * 2.0

    get_custom_objects()["doubled_relu"] = doubled_relu
    try:
        assert deserialize_keras_object("doubled_relu") is doubled_relu
        layer = L.Dense(2, activation="doubled_relu")
        assert layer.activation is doubled_relu
    finally:
        del get_custom_objects()["doubled_relu"]


def test_custom_object_scope_names_objects_only_inside_the_block():
    def tripled(x):
        return x * 3.0

    config = {"module": "builtins", "class_name": "function", "config": "tripled", "registered_name": "function"}
    with custom_object_scope({"tripled": tripled}, {"other": abs}):
        assert deserialize_keras_object(config) is tripled
    with pytest.raises(ValueError, match="no function named 'tripled'"):
        deserialize_keras_object(config)


def test_serialized_objects_have_keras_layout_and_each_side_reads_the_other():
    mine = serialize_keras_object(L.Dense(3, activation="relu", name="d"))
    theirs = keras.saving.serialize_keras_object(keras.layers.Dense(3, activation="relu", name="d"))
    for key in ("module", "class_name", "registered_name"):
        assert mine[key] == theirs[key]
    assert mine["config"]["kernel_initializer"]["module"] == theirs["config"]["kernel_initializer"]["module"]
    rebuilt = keras.saving.deserialize_keras_object(mine)
    assert (rebuilt.units, rebuilt.activation.__name__, rebuilt.name) == (3, "relu", "d")
    back = deserialize_keras_object(theirs)
    assert (type(back).__name__, back.units, back.name) == ("Dense", 3, "d")
    assert deserialize_keras_object(keras.saving.serialize_keras_object(keras.optimizers.Adam(0.02))) \
        .learning_rate == pytest.approx(0.02)
    assert serialize_keras_object(half_squared_error) == keras.saving.serialize_keras_object(keras_half_squared_error)
    assert serialize_keras_object(Scaled(3))["registered_name"] == \
        keras.saving.serialize_keras_object(KerasScaled(3))["registered_name"] == "roundtrip>Scaled"
    assert isinstance(deserialize_keras_object(serialize_keras_object(Scaled(3, factor=2.0))), Scaled)


def test_an_unknown_class_is_refused_with_one_sentence():
    with pytest.raises(ValueError, match="unknown class 'NoSuchThing'"):
        deserialize_keras_object({"module": None, "class_name": "NoSuchThing", "config": {},
                                  "registered_name": "NoSuchThing"})


# ---------------------------------------------------------------------------- clone_model, to_json
def test_clone_model_has_the_architecture_and_new_weights():
    model = two_branch_model()
    copy = clone_model(model)
    assert [type(layer).__name__ for layer in copy.layers] == [type(layer).__name__ for layer in model.layers]
    assert [w.shape for w in copy.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.array_equal(copy.get_weights()[0], model.get_weights()[0])
    copy.set_weights(model.get_weights())
    np.testing.assert_allclose(copy.predict(X), model.predict(X), rtol=1e-6)


def test_clone_model_takes_input_tensors_and_a_clone_function():
    model = minidl.Sequential([L.Dense(3, input_shape=(4,)), L.Dense(1)])
    on_new_input = clone_model(model, input_tensors=minidl.Input((4,)))
    assert on_new_input.predict(X).shape == (48, 1)
    widened = clone_model(model, clone_function=lambda layer: L.Dense(6, name=layer.name)
                          if layer.name == model.layers[0].name else type(layer).from_config(layer.get_config()))
    assert widened.layers[0].units == 6 and widened.predict(X).shape == (48, 1)
    with pytest.raises(ValueError, match="input_tensors must be Input"):
        clone_model(model, input_tensors=X)


def test_to_json_round_trips_and_keras_reads_it():
    model = two_branch_model()
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    again = model_from_json(text)
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(X), model.predict(X), rtol=1e-6)
    keras_model = keras.models.model_from_json(text)
    keras_model.set_weights(model.get_weights())
    np.testing.assert_allclose(keras_model.predict(X, verbose=0), model.predict(X), rtol=1e-5, atol=1e-6)


def test_model_from_json_reads_keras_json():
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                                    KerasScaled(2, factor=2.0)])
    model = model_from_json(keras_model.to_json())
    model.set_weights(keras_model.get_weights())
    np.testing.assert_allclose(model.predict(X), keras_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="model_from_json: the text is not JSON"):
        model_from_json("{not json")


# ---------------------------------------------------------------------------- .keras files with compile_config
def test_a_saved_keras_file_carries_compile_config_and_trains_on_after_loading(tmp_path):
    model = two_branch_model()
    model.compile(optimizer=minidl.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(X, np.concatenate([Y, Y[:, :1] * 0 + 1, Y], axis=1)[:, :5], epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    compile_config = json.loads(zipfile.ZipFile(path).read("config.json"))["compile_config"]
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert compile_config["optimizer"]["config"]["learning_rate"] == pytest.approx(0.01)
    assert compile_config["metrics"] == ["mae"]
    target = np.concatenate([Y, Y[:, :1] * 0 + 1, Y], axis=1)[:, :5]
    mine, theirs = minidl.load_model(path), keras.models.load_model(path)
    assert mine.optimizer.learning_rate == pytest.approx(0.01)
    ours = mine.fit(X, target, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    keras_history = theirs.fit(X, target, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    np.testing.assert_allclose(ours["loss"], keras_history["loss"], rtol=1e-4)
    np.testing.assert_allclose(ours["mae"], keras_history["mae"], rtol=1e-4)


@contextlib.contextmanager
def no_skipped_optimizer_warning():
    """A block in which Keras must not say that it skipped loading the optimizer's variables."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    skipped = [str(w.message) for w in caught if "Skipping variable loading for optimizer" in str(w.message)]
    assert not skipped, skipped


OPTIMIZERS = {
    "adam amsgrad": lambda: minidl.optimizers.Adam(0.01, amsgrad=True),
    "sgd momentum": lambda: minidl.optimizers.SGD(0.05, momentum=0.9),
    "rmsprop centered momentum": lambda: minidl.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: minidl.optimizers.Adagrad(0.1),
    "adadelta": lambda: minidl.optimizers.Adadelta(1.0),
    "adam with a decaying learning rate": lambda: minidl.optimizers.Adam(
        minidl.schedules.ExponentialDecay(0.05, decay_steps=4, decay_rate=0.5)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_training_resumed_from_a_keras_file_continues_exactly_in_minidl_and_in_keras(name, tmp_path):
    """The optimizer's variables travel as Keras keeps them: the next epoch is the one the saved model would train."""
    model = minidl.Sequential([L.Dense(4, activation="tanh", input_shape=(4,)), L.Dense(2)])
    model.compile(optimizer=OPTIMIZERS[name](), loss="mse")
    model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = str(tmp_path / "checkpoint.keras")
    model.save(path)
    with no_skipped_optimizer_warning():
        keras_model = keras.models.load_model(path)
    resumed = minidl.load_model(path)
    assert resumed.optimizer.iterations == model.optimizer.iterations == 6
    expected = model.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(resumed.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
                               .history["loss"], expected, rtol=1e-6)
    np.testing.assert_allclose(keras_model.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
                               .history["loss"], expected, rtol=1e-5)


KERAS_OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(0.01),
    "adam with a decaying learning rate": lambda: keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=4, decay_rate=0.5)),
    "rmsprop momentum": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5),
}


@pytest.mark.parametrize("name", sorted(KERAS_OPTIMIZERS))
def test_training_resumed_from_a_keras_written_file_continues_exactly_in_minidl(name, tmp_path):
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, activation="tanh"),
                                    keras.layers.Dense(2)])
    keras_model.compile(optimizer=KERAS_OPTIMIZERS[name](), loss="mse")
    keras_model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = str(tmp_path / "keras_checkpoint.keras")
    keras_model.save(path)
    model = minidl.load_model(path)
    assert model.optimizer.iterations == 6
    np.testing.assert_allclose(model.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0).history["loss"],
                               keras_model.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
                               .history["loss"], rtol=1e-5)


def test_a_legacy_h5_file_carries_the_training_config_keras_reads(tmp_path):
    model = minidl.Sequential([L.Dense(2, input_shape=(4,))])
    model.compile(optimizer=minidl.optimizers.RMSprop(0.02), loss="mse", metrics=["mae"])
    path = str(tmp_path / "legacy.h5")
    model.save(path)
    keras_model, again = keras.models.load_model(path), minidl.load_model(path)
    assert type(keras_model.optimizer).__name__ == type(again.optimizer).__name__ == "RMSprop"
    assert float(keras_model.optimizer.learning_rate) == pytest.approx(again.optimizer.learning_rate) \
        == pytest.approx(0.02)
    ours = again.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0).history["loss"]
    theirs = keras_model.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_a_keras_file_saved_before_training_loads_compiled_without_a_warning(tmp_path):
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    keras_model.compile(optimizer="adam", loss="mse")
    path = str(tmp_path / "untrained.keras")
    keras_model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = minidl.load_model(path)
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.iterations == 0


def test_custom_layer_loss_and_metric_round_trip_minidl_to_keras(tmp_path):
    model = minidl.Sequential([L.Dense(5, activation="relu", input_shape=(4,)), Scaled(2, factor=0.5)])
    model.compile(optimizer="adam", loss=half_squared_error, metrics=[largest_error])
    model.fit(X, Y, epochs=2, verbose=0)
    path = str(tmp_path / "custom.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[1], KerasScaled) and loaded.layers[1].factor == 0.5
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X), rtol=1e-5, atol=1e-6)
    keras_logs = loaded.evaluate(X, Y, batch_size=48, return_dict=True, verbose=0)  # one batch: the metric is
    minidl_logs = model.evaluate(X, Y, batch_size=48, return_dict=True, verbose=0)  # a mean of the same samples
    assert keras_logs["loss"] == pytest.approx(minidl_logs["loss"], rel=1e-4)
    assert keras_logs["largest_error"] == pytest.approx(minidl_logs["largest_error"], rel=1e-4)


def test_custom_layer_loss_and_metric_round_trip_keras_to_minidl(tmp_path):
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                                    KerasScaled(2, factor=0.5)])
    keras_model.compile(optimizer="adam", loss=keras_half_squared_error, metrics=[keras_largest_error])
    keras_model.fit(X, Y, epochs=2, verbose=0)
    path = str(tmp_path / "from_keras.keras")
    keras_model.save(path)
    model = minidl.load_model(path)
    assert isinstance(model.layers[1], Scaled) and model.layers[1].factor == 0.5
    np.testing.assert_allclose(model.predict(X), keras_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    assert model.loss == "roundtrip>half_squared_error"
    minidl_logs = model.evaluate(X, Y, batch_size=48, return_dict=True, verbose=0)
    keras_logs = keras_model.evaluate(X, Y, batch_size=48, return_dict=True, verbose=0)
    assert minidl_logs["loss"] == pytest.approx(keras_logs["loss"], rel=1e-4)
    history = model.fit(X, Y, epochs=2, verbose=0).history  # compiled by the file: trains on
    assert set(history) >= {"loss"}


def test_keras_saving_save_model_and_load_model_write_and_read_keras_files(tmp_path):
    from minidl.saving.npz import load_model, save_model

    model = two_branch_model()
    model.compile(optimizer="sgd", loss="mse")
    path = str(tmp_path / "via_saving.keras")
    save_model(model, path)
    assert zipfile.is_zipfile(path) and "config.json" in zipfile.ZipFile(path).namelist()  # Keras's format, not .npz
    loaded = load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)
    assert loaded.optimizer is not None and type(loaded.optimizer).__name__ == "SGD"
    np.testing.assert_allclose(keras.saving.load_model(path).predict(X, verbose=0), model.predict(X), rtol=1e-5,
                               atol=1e-6)


# ---------------------------------------------------------------------------- plot_model
def test_plot_model_writes_a_picture_of_a_two_branch_model(tmp_path):
    model = two_branch_model()
    path = minidl.utils.plot_model(model, to_file=str(tmp_path / "model.png"), show_shapes=True,
                                   show_layer_names=True)
    assert os.path.getsize(path) > 1000
    dot_path = minidl.utils.plot_model(model, to_file=str(tmp_path / "model.dot"), show_shapes=True)
    text = open(dot_path).read()
    assert text.count("->") == 5  # input -> dense, dense -> both branches, both branches -> concatenate
    assert "output: (None, 5)" in text
    with pytest.raises(ValueError, match="plot_model: to_file must end in"):
        minidl.utils.plot_model(model, to_file=str(tmp_path / "model.jpg2"))


def test_plot_model_hands_the_graph_to_graphviz_where_dot_is_installed(tmp_path, monkeypatch):
    """A stand-in ``dot`` on the PATH records what plot_model gives Graphviz: the DOT text, the format, the file."""
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a; do case "$a" in -o) next=1;; *) [ -n "$next" ] && out="$a"; next=;; esac; done\n'
                    'echo "$@" > "$out.args"; cat > "$out"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    path = minidl.utils.plot_model(two_branch_model(), to_file=str(tmp_path / "model.svg"), show_shapes=True,
                                   rankdir="LR")
    written = open(path).read()
    assert written.startswith("digraph model {") and "rankdir=LR;" in written and written.count("->") == 5
    assert "-Tsvg" in open(path + ".args").read()
