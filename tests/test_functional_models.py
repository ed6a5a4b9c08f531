"""Functional models (Model(inputs, outputs)): graphs, shared layers, several inputs and outputs, saving.

Where Keras is installed, the same graphs built in Keras with the same
weights give the same predictions and the same training histories.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl import Input, Model, Sequential, Tensor  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.models import GraphError  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402 - the test extra installs it
else:
    try:
        import keras  # noqa: E402
    except ImportError:
        keras = None

needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")


def two_branch(layers, Input, Model):  # noqa: N803 - the same code builds the Keras and the minidl graph
    """Genotypes (20 SNPs x 6 haplotypes) and SNP positions (20) in, a class and a regression out."""
    genotypes = Input((20, 6), name="genotypes")
    positions = Input((20,), name="positions")
    x = layers.Conv1D(8, 3, activation="relu")(genotypes)
    x = layers.AveragePooling1D(2)(x)
    x = layers.Flatten()(x)
    p = layers.Dense(4, activation="relu")(positions)
    merged = layers.concatenate([x, p])
    hidden = layers.Dense(16, activation="tanh")(merged)
    scenario = layers.Dense(3, activation="softmax", name="scenario")(hidden)
    size = layers.Dense(1, name="size")(hidden)
    return Model([genotypes, positions], [scenario, size])


def data(rng, n=48):
    x = [rng.integers(0, 2, (n, 20, 6)).astype(np.float32), rng.random((n, 20)).astype(np.float32)]
    y = [rng.integers(0, 3, n), rng.normal(size=(n, 1)).astype(np.float32)]
    return x, y


def test_a_graph_runs_in_keras_layer_order_and_summarises_its_connections(rng):
    model = two_branch(L, Input, Model)
    assert [layer.name for layer in model.layers] == [
        "genotypes", "conv1d", "average_pooling1d", "positions", "flatten", "dense", "concatenate", "dense_1",
        "scenario", "size"]
    assert model.input_names == ["genotypes", "positions"] and model.output_names == ["scenario", "size"]
    assert model.output_shape == [(None, 3), (None, 1)]
    text = model.summary(print_fn=lambda _: None)
    assert "concatenate (Concatenate)" in text and "flatten[0][0], dense[0][0]" in text
    x, _ = data(rng, 5)
    scenario, size = model.predict(x)
    assert scenario.shape == (5, 3) and size.shape == (5, 1)
    np.testing.assert_allclose(scenario.sum(axis=1), 1, rtol=1e-6)
    by_name = model.predict({"positions": x[1], "genotypes": x[0]})
    np.testing.assert_array_equal(by_name[0], scenario)


@needs_keras
def test_the_layer_order_and_weights_are_keras_own(rng):
    keras_model = two_branch(keras.layers, keras.Input, keras.Model)
    model = two_branch(L, Input, Model)
    assert [type(layer).__name__ for layer in model.layers] == [type(layer).__name__ for layer in keras_model.layers]
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in keras_model.get_weights()]
    model.set_weights(keras_model.get_weights())
    x, _ = data(rng, 7)
    for mine, theirs in zip(model.predict(x), keras_model.predict(x, verbose=0)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


@needs_keras
def test_several_outputs_train_as_in_keras_with_per_output_losses_weights_and_metrics(rng):
    keras_model = two_branch(keras.layers, keras.Input, keras.Model)
    model = two_branch(L, Input, Model)
    model.set_weights(keras_model.get_weights())
    x, y = data(rng)
    settings = {"loss": {"scenario": "sparse_categorical_crossentropy", "size": "mse"},
                "loss_weights": {"scenario": 1.0, "size": 0.5},
                "metrics": {"scenario": ["accuracy"], "size": ["mae"]}}
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), **settings)
    model.compile(optimizer=minidl.optimizers.Adam(0.01), **settings)
    expected = keras_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                               validation_data=(x, y)).history
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(x, y)).history
    assert set(history) == set(expected)
    for key in expected:
        np.testing.assert_allclose(history[key], expected[key], rtol=1e-4, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(np.array(history["loss"]),
                               np.array(history["scenario_loss"]) + 0.5 * np.array(history["size_loss"]), rtol=1e-5)
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    keras_evaluated = keras_model.evaluate(x, y, verbose=0, return_dict=True)
    for key in keras_evaluated:
        np.testing.assert_allclose(evaluated[key], keras_evaluated[key], rtol=1e-4, err_msg=key)


def resnet_block(layers, Input, Model, dtype="float32"):  # noqa: N803
    inputs = Input((6, 6, 3))
    shortcut = layers.Conv2D(4, 1, dtype=dtype)(inputs)
    x = layers.Conv2D(4, 3, padding="same", dtype=dtype)(inputs)
    x = layers.BatchNormalization(dtype=dtype)(x)
    x = layers.Activation("relu", dtype=dtype)(x)
    x = layers.Conv2D(4, 3, padding="same", dtype=dtype)(x)
    x = layers.BatchNormalization(dtype=dtype)(x)
    x = layers.Add(dtype=dtype)([shortcut, x])
    x = layers.Activation("relu", dtype=dtype)(x)
    x = layers.GlobalAveragePooling2D(dtype=dtype)(x)
    return Model(inputs, layers.Dense(3, activation="softmax", dtype=dtype)(x))


@needs_keras
def test_a_resnet_block_matches_keras_in_prediction_and_training(rng):
    keras_model = resnet_block(keras.layers, keras.Input, keras.Model)
    model = resnet_block(L, Input, Model)
    weights = [w + rng.uniform(0.05, 0.2, w.shape).astype(np.float32) for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    x = rng.normal(size=(32, 6, 6, 3)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    keras_model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    model.compile(optimizer=minidl.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    expected = keras_model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-4)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_a_resnet_block_trains_and_its_gradients_match_finite_differences(rng):
    minidl.core.random.seed(3)
    model = resnet_block(L, Input, Model, dtype="float64")
    x = rng.normal(size=(4, 6, 6, 3))
    y = minidl.utils.to_categorical(rng.integers(0, 3, 4), 3)

    def loss():
        return minidl.functional.categorical_crossentropy(y, model(Tensor(x, dtype="float64"), training=True))

    for weight in model.weights:  # moving statistics would drift with every training-mode call: freeze them
        weight.grad = None
    value = loss()
    value.backward()
    checked = 0
    for weight in model.trainable_weights:
        for index in list(np.ndindex(weight.shape))[:: max(1, weight.size // 4)]:
            original = weight.data[index]
            weight.data[index] = original + 1e-6
            up = loss().item()
            weight.data[index] = original - 1e-6
            down = loss().item()
            weight.data[index] = original
            np.testing.assert_allclose(weight.grad[index], (up - down) / 2e-6, rtol=1e-5, atol=1e-8)
            checked += 1
    assert checked >= 20
    minidl.gradcheck(lambda t: model(t, training=False), Tensor(x, requires_grad=True, dtype="float64"))
    model32 = resnet_block(L, Input, Model)
    model32.compile(minidl.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    images = rng.normal(size=(64, 6, 6, 3)).astype(np.float32)
    labels = minidl.utils.to_categorical((images[..., 0].mean(axis=(1, 2)) > 0).astype(int), 3)
    history = model32.fit(images, labels, batch_size=16, epochs=20, verbose=0).history
    assert history["loss"][-1] < 0.4 * history["loss"][0] and history["accuracy"][-1] > 0.85  # 0.94-0.98 seen


def test_a_shared_layer_is_one_set_of_weights_that_both_calls_train(rng):
    left, right = Input((4,)), Input((4,))
    shared = L.Dense(3, name="shared")
    difference = L.subtract([shared(left), shared(right)])
    model = Model([left, right], L.Dense(1, activation="sigmoid")(difference))
    assert len(shared.inbound_nodes) == 2 and shared.input is left  # the first call, as Keras
    assert model.count_params() == 4 * 3 + 3 + 3 + 1
    a, b = rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(model.predict([a, a]), model.predict([b, b]), rtol=1e-6)  # a - a = 0 either way
    model.compile("sgd", "binary_crossentropy")
    before = shared.kernel.numpy().copy()
    model.train_on_batch([a, b], np.ones((5, 1)))
    assert not np.allclose(shared.kernel.numpy(), before)


def test_hidden_activations_from_get_layer_output_as_in_the_course_notes(rng):
    model = Sequential([Input((5,)), L.Dense(4, activation="relu"), L.Dense(3, activation="tanh"), L.Dense(2)])
    hidden = Model(inputs=model.input, outputs=model.get_layer("dense_1").output)
    x = rng.normal(size=(6, 5)).astype(np.float32)
    expected = np.tanh(np.maximum(x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy(), 0)
                       @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy())
    np.testing.assert_allclose(hidden.predict(x), expected, rtol=1e-5, atol=1e-6)
    graph = two_branch(L, Input, Model)
    merged = Model(graph.inputs, graph.get_layer("concatenate").output)
    assert merged.predict(data(rng, 3)[0]).shape == (3, 9 * 8 + 4)


def test_a_model_is_a_layer_of_another_model(rng):
    encoder = Sequential([Input((6,)), L.Dense(4, activation="relu")], name="encoder")
    a, b = Input((6,)), Input((6,))
    outer = Model([a, b], L.Dense(1)(L.concatenate([encoder(a), encoder(b)])))
    assert outer.count_params() == encoder.count_params() + 9
    x = rng.normal(size=(3, 6)).astype(np.float32)
    codes = encoder.predict(x)
    dense = outer.layers[-1]
    expected = np.concatenate([codes, codes], axis=1) @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(outer.predict([x, x]), expected, rtol=1e-5, atol=1e-6)


def test_graphs_survive_a_save_and_load_round_trip(tmp_path, rng):
    model = two_branch(L, Input, Model)
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3],
                  metrics=[["accuracy"], ["mae"]])
    x, y = data(rng, 16)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "graph.npz")
    loaded = minidl.load_model(tmp_path / "graph.npz")
    assert type(loaded) is Model and [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for mine, theirs in zip(model.predict(x), loaded.predict(x)):
        np.testing.assert_array_equal(mine, theirs)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True).keys() == \
        model.evaluate(x, y, verbose=0, return_dict=True).keys()
    left, right = Input((4,), name="left"), Input((4,), name="right")
    shared = L.Dense(3)
    nested = Sequential([Input((3,)), L.Dense(2)])
    graph = Model({"left": left, "right": right}, {"out": nested(L.maximum([shared(left), shared(right)]))})
    graph.save(tmp_path / "shared.npz")
    again = minidl.load_model(tmp_path / "shared.npz")
    a, b = rng.normal(size=(2, 4)).astype(np.float32), rng.normal(size=(2, 4)).astype(np.float32)
    prediction = again.predict({"left": a, "right": b})
    assert list(prediction) == ["out"]
    np.testing.assert_array_equal(prediction["out"], graph.predict({"left": a, "right": b})["out"])
    assert again.count_params() == graph.count_params() == 4 * 3 + 3 + 3 * 2 + 2


def test_bad_graphs_and_bad_data_get_one_clear_sentence(rng):
    a, b = Input((3,), name="a"), Input((3,), name="b")
    out = L.add([L.Dense(3)(a), L.Dense(3)(b)])
    with pytest.raises(GraphError, match="graph disconnected: the outputs need the input 'b'"):
        Model(a, out)
    with pytest.raises(GraphError, match="must be symbolic tensors"):
        Model(a, np.ones(3))
    model = Model([a, b], out)
    with pytest.raises(ValueError, match=r"predict: the model has 2 inputs \(a, b\); x must be a list of 2 arrays"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"predict: input 'b' has shape \(2, 4\) but model 'functional(_\d+)?' takes"):
        model.predict([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match=r"keys 'a', 'c' but the model's inputs are 'a', 'b'"):
        model.predict({"a": np.ones((2, 3)), "c": np.ones((2, 3))})
    with pytest.raises(ValueError, match=r"different numbers of samples \(a: 2, b: 3\)"):
        model.predict([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match="compile: loss has 3 entries for 1 outputs"):
        model.compile("sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(TypeError, match="mix of symbolic tensors"):
        L.add([a, Tensor(np.ones((2, 3)))])
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(a)


def test_the_perez_2022_network_runs_with_only_the_imports_changed(rng, capsys, tmp_path):
    """Perez et al. 2022's create_cnn (CNN_Piloso.ipynb, as examples/keras_code/run.py holds it) and their training
    cell's compile and callbacks, on inputs of the notebook's shape: the notebook's summary prints 877,382 parameters.
    """
    import pathlib
    import runpy

    from minidl.callbacks import ModelCheckpoint, ReduceLROnPlateau

    example = runpy.run_path(str(pathlib.Path(__file__).parent.parent / "examples" / "keras_code" / "run.py"))
    num_classes = 7
    x = rng.integers(0, 2, (28, 195, 64)).astype(np.uint8)
    y = minidl.utils.to_categorical(np.arange(28) % num_classes, num_classes)
    xtrain, xtest, ytrain, ytest = x[7:], x[:7], y[7:], y[:7]
    cnn = example["create_cnn"](xtest, num_classes)
    cnn.compile(loss=minidl.losses.categorical_crossentropy, optimizer=minidl.optimizers.Adam(), metrics=["accuracy"])
    print(cnn.summary())
    assert "Total params: 877,382" in capsys.readouterr().out
    path = str(tmp_path / "Trained_10KSims.acc.npz")
    mcp_save = ModelCheckpoint(path, save_best_only=True, monitor="val_accuracy", mode="max")
    reduce_lr_loss = ReduceLROnPlateau(monitor="val_accuracy", factor=0.2, patience=20, verbose=1, mode="max")
    history = cnn.fit(xtrain, ytrain, batch_size=7, epochs=2, verbose=0, validation_data=(xtest, ytest),
                      callbacks=[mcp_save, reduce_lr_loss])
    assert len(history.history["val_accuracy"]) == 2 and os.path.exists(path)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd_momentum"])
def test_training_resumed_from_a_file_follows_the_uninterrupted_trajectory_bit_for_bit(optimizer, tmp_path, rng):
    x, y = data(rng, 40)
    settings = {"adam": minidl.optimizers.Adam(0.01), "rmsprop": minidl.optimizers.RMSprop(0.01, centered=True),
                "sgd_momentum": minidl.optimizers.SGD(0.05, momentum=0.9, nesterov=True)}

    def fresh():
        minidl.core.random.seed(7)
        model = two_branch(L, Input, Model)
        model.compile(optimizer=minidl.optimizers.get(minidl.optimizers.serialize_optimizer(settings[optimizer])),
                      loss=["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], []])
        return model

    straight = fresh()
    straight.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    first = fresh()
    first.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    first.save(tmp_path / "half.npz")
    resumed = minidl.load_model(tmp_path / "half.npz")
    assert resumed.optimizer.iterations == first.optimizer.iterations == 10
    resumed.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    first.save(tmp_path / "no_state.npz", include_optimizer=False)
    assert minidl.load_model(tmp_path / "no_state.npz").optimizer.iterations == 0


def test_custom_layers_activations_losses_and_metrics_load_by_registered_name_only(tmp_path, rng):
    from minidl.saving.npz import register_serializable

    @register_serializable(package="course")
    class Maxout(L.Layer):
        """y = max over k pieces of the features (Goodfellow et al. 2013): (batch, k * units) -> (batch, units)."""

        def __init__(self, pieces=2, **kwargs):
            super().__init__(**kwargs)
            self.pieces = pieces

        def compute_output_shape(self, input_shape):
            return (input_shape[0] // self.pieces,)

        def call(self, x, training):
            return minidl.functional.max(minidl.functional.reshape(x, (x.shape[0], -1, self.pieces)), axis=-1)

        def get_config(self):
            return {**super().get_config(), "pieces": self.pieces}

    @register_serializable(package="course")
    def softer_relu(x):
        return minidl.functional.softplus(x)

    @register_serializable(package="course")
    def half_mse(y_true, y_pred):
        return minidl.functional.mean_squared_error(y_true, y_pred) * 0.5

    @register_serializable(package="course")
    def mean_prediction(y_true, y_pred):
        return float(np.mean(y_pred))

    model = Sequential([Input((4,)), L.Dense(6, activation=softer_relu), Maxout(3), L.Dense(1)])
    model.compile("adam", loss=half_mse, metrics=[mean_prediction])
    x, y = rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "custom.npz")
    loaded = minidl.load_model(tmp_path / "custom.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert set(loaded.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "mean_prediction"}
    with pytest.raises(ValueError, match="already registered"):
        register_serializable(package="course", name="Maxout")(L.Dense)


def test_custom_objects_name_unregistered_classes_for_one_load(tmp_path, rng):
    class Doubling(L.Layer):
        def call(self, x, training):
            return x * 2.0

    model = Sequential([Input((3,)), Doubling(), L.Dense(2)])
    model.save(tmp_path / "doubling.npz")
    with pytest.raises(minidl.ModelFileError, match="unknown layer class 'Doubling'.*custom_objects"):
        minidl.load_model(tmp_path / "doubling.npz")
    loaded = minidl.load_model(tmp_path / "doubling.npz", custom_objects={"Doubling": Doubling})
    x = rng.normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    with pytest.raises(minidl.ModelFileError):  # the scope ended with the load
        minidl.load_model(tmp_path / "doubling.npz")
