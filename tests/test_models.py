"""Sequential: summary, fit/evaluate/predict, callbacks, saving, reproducibility."""

import csv
import math

import numpy as np
import pytest

import minidl
from minidl import Sequential, callbacks, load_model
from minidl.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D


def blobs(n=300, seed=0):
    """Three well separated Gaussian blobs in 4-D: x float32, integer labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    x = centres[labels] + rng.normal(0, 0.5, size=(n, 4)).astype(np.float32)
    return x, labels


def small_model(dropout=0.0):
    return Sequential([Input((4,)), Dense(16, activation="relu"), Dropout(dropout), Dense(3, activation="softmax")])


def test_summary_counts_match_the_seeds_examples():
    text = Sequential([Input((5,)), Dense(3), Dense(4), Dense(1)]).summary(print_fn=lambda s: None)
    assert "Total params: 39" in text
    model = Sequential([Dense(30, activation="sigmoid", input_shape=(784,)), Dense(10, activation="softmax")])
    text = model.summary(print_fn=lambda s: None)
    assert "Total params: 23,860" in text and "(None, 30)" in text and "23,550" in text


def test_summary_counts_non_trainable_batch_norm_statistics():
    text = Sequential([Input((8,)), BatchNormalization()]).summary(print_fn=lambda s: None)
    assert "Total params: 32" in text and "Trainable params: 16" in text and "Non-trainable params: 16" in text


def test_fit_learns_and_history_has_per_epoch_figures(capsys):
    minidl.core.random.seed(1)
    x, y = blobs()
    model = small_model(dropout=0.2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=15, validation_split=0.2, verbose=1)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 15 and history.epoch == list(range(15))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    printed = capsys.readouterr().out
    assert "Epoch 15/15" in printed and "val_accuracy" in printed


def test_validation_split_takes_the_last_fraction_before_shuffling():
    minidl.core.random.seed(2)
    x, y = blobs(100)
    model = small_model()
    model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    loss, accuracy = model.evaluate(x[75:], y[75:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)


def test_the_same_seed_gives_the_same_history():
    x, y = blobs()

    def run():
        minidl.core.random.seed(42)
        model = small_model(dropout=0.3)
        model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        return model.fit(x, y, epochs=3, validation_split=0.1, verbose=0).history, model.get_weights()

    (first, weights1), (second, weights2) = run(), run()
    assert first == second
    for a, b in zip(weights1, weights2):
        np.testing.assert_array_equal(a, b)


def test_accuracy_follows_the_loss_and_one_hot_targets_work():
    minidl.core.random.seed(3)
    x, y = blobs()
    model = small_model()
    model.compile("adam", "categorical_crossentropy", ["accuracy"])
    model.fit(x, np.eye(3)[y], epochs=10, verbose=0)
    loss, accuracy = model.evaluate(x, np.eye(3)[y], verbose=0)
    assert accuracy == pytest.approx(np.mean(model.predict(x).argmax(axis=1) == y))
    binary = Sequential([Input((4,)), Dense(1, activation="sigmoid")])
    binary.compile("adam", "binary_crossentropy", ["accuracy"])
    logs = binary.train_on_batch(x, (y == 0).astype(float), return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_evaluate_includes_regularization_penalties():
    model = Sequential([Input((4,)), Dense(3, kernel_regularizer=minidl.regularizers.l2(0.1), activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = blobs(20)
    data_loss = minidl.functional.sparse_categorical_crossentropy(y, minidl.Tensor(model.predict(x))).item()
    penalty = 0.1 * np.sum(model.get_weights()[0].astype(np.float64) ** 2)
    assert model.evaluate(x, y, verbose=0, batch_size=20) == pytest.approx(data_loss + penalty, rel=1e-5)


def test_class_weight_weights_each_samples_loss():
    model = small_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = blobs(30)
    predictions = minidl.Tensor(model.predict(x))
    weights = np.where(y == 1, 5.0, 1.0)
    expected = minidl.functional.sparse_categorical_crossentropy(y, predictions, sample_weight=weights).item()
    loss = model.train_on_batch(x, y, class_weight={1: 5.0})
    assert loss == pytest.approx(expected, rel=1e-5)


def test_predict_and_truncated_models_give_intermediate_activations():
    model = Sequential([Input((4,)), Dense(5, activation="relu", name="hidden"), Dense(3, activation="softmax")])
    x, _ = blobs(10)
    hidden = model.truncated("hidden").predict(x)
    kernel, bias = model.get_layer(name="hidden").get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ kernel + bias, 0), rtol=1e-6)
    assert model.predict(x, batch_size=3).shape == (10, 3)
    assert model.get_layer(index=-1) is model.layers[-1]
    with pytest.raises(ValueError, match="hidden, dense"):
        model.get_layer(name="missing")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_nan_loss_is_logged_and_training_goes_on_as_in_keras():
    model = small_model()
    model.compile(minidl.optimizers.SGD(1e30), "mse")
    x, _ = blobs(64)
    history = model.fit(x, np.ones((64, 3)), batch_size=8, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 5
    assert not any(math.isfinite(loss) for loss in history.history["loss"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_nan_loss_stops_training_and_says_where_when_asked(capsys):
    model = small_model()
    model.compile(minidl.optimizers.SGD(1e30), "mse")
    x, _ = blobs(64)
    history = model.fit(x, np.ones((64, 3)), batch_size=8, epochs=5, verbose=0,
                        callbacks=[callbacks.RestoreLastFiniteWeights()])
    printed = capsys.readouterr().out
    assert "Epoch 1, batch" in printed and "training stopped" in printed
    assert len(history.history["loss"]) == 1
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_early_stopping_restores_the_best_weights():
    minidl.core.random.seed(4)
    x, y = blobs(200)
    model = small_model()
    model.compile(minidl.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    seen = {}

    class Remember(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = (logs["val_loss"], self.model.get_weights())

    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # a learning rate that makes the validation loss rise after a few epochs
    model.fit(x, y, epochs=30, validation_split=0.3, callbacks=[Remember(), stopper], verbose=0,
              batch_size=8)
    best_epoch = min(seen, key=lambda e: seen[e][0])
    assert stopper.best_epoch == best_epoch
    for restored, best in zip(model.get_weights(), seen[best_epoch][1]):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = small_model()
    model.compile(minidl.optimizers.SGD(0.0), "sparse_categorical_crossentropy")  # nothing ever improves
    x, y = blobs(40)
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[callbacks.EarlyStopping(monitor="loss", patience=3, min_delta=1e-6)])
    assert len(history.history["loss"]) == 4


def test_csv_logger_model_checkpoint_and_learning_rate_scheduler(tmp_path):
    minidl.core.random.seed(5)
    x, y = blobs(100)
    model = small_model()
    model.compile(minidl.optimizers.SGD(0.1), "sparse_categorical_crossentropy", ["accuracy"])
    log = tmp_path / "log.csv"
    best = tmp_path / "best.npz"
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.2, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)),  # before CSVLogger: it adds learning_rate
        callbacks.CSVLogger(str(log)),
        callbacks.ModelCheckpoint(str(best), monitor="val_accuracy", save_best_only=True),
    ])
    rows = list(csv.DictReader(open(log)))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert float(rows[2]["learning_rate"]) == pytest.approx(0.1 / 3)
    assert set(rows[0]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert load_model(str(best)).predict(x[:2]).shape == (2, 3)


def test_save_and_load_reproduce_predictions_exactly(tmp_path):
    minidl.core.random.seed(6)
    model = Sequential([
        Input((8, 8, 1)), Conv2D(4, 3, activation="relu", padding="same"), MaxPooling2D(2),
        BatchNormalization(), Flatten(), Dropout(0.5), Dense(3, activation="softmax",
                                                            kernel_regularizer=minidl.regularizers.l2(1e-3)),
    ])
    model.compile(minidl.optimizers.Adam(1e-3, clipnorm=1.0), "sparse_categorical_crossentropy", ["accuracy"])
    x = np.random.default_rng(0).random((20, 8, 8, 1)).astype(np.float32)
    model.fit(x, np.arange(20) % 3, epochs=2, verbose=0)
    path = tmp_path / "model.npz"
    model.save(str(path))
    loaded = load_model(str(path))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert isinstance(loaded.optimizer, minidl.optimizers.Adam) and loaded.optimizer.clipnorm == 1.0
    loaded.fit(x, np.arange(20) % 3, epochs=1, verbose=0)  # compiled and trainable


def test_extra_weight_lists_travel_with_a_model_file_and_leave_the_model_alone(tmp_path):
    first, second = small_model(), small_model()
    second.set_weights([w + 1 for w in second.get_weights()])
    path = str(tmp_path / "model.npz")
    first.save(path, metadata={"members": 2}, extra_weights={"member_1": second.get_weights()})
    loaded = load_model(path)
    for a, b in zip(loaded.get_weights(), first.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    extra = minidl.saving.npz.read_extra_weights(path)
    assert list(extra) == ["member_1"]
    for a, b in zip(extra["member_1"], second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    first.save(path)
    assert minidl.saving.npz.read_extra_weights(path) == {}
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        first.save(path, extra_weights={"a/b": []})


def test_save_weights_and_load_weights(tmp_path):
    first, second = small_model(), small_model()
    first.save_weights(str(tmp_path / "w.npz"))
    second.load_weights(str(tmp_path / "w.npz"))
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_truncated_or_foreign_model_files_raise_errors_naming_the_file(tmp_path):
    model = small_model()
    path = tmp_path / "model.npz"
    model.save(str(path))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(minidl.ModelFileError, match="truncated.npz"):
        load_model(str(truncated))
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(minidl.ModelFileError, match="foreign.npz.*__config__"):
        load_model(str(foreign))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(minidl.ModelFileError, match="notes.txt"):
        load_model(str(text))
    with pytest.raises(minidl.ModelFileError, match="minidl-weights"):
        model.save_weights(str(tmp_path / "w.npz")) or load_model(str(tmp_path / "w.npz"))


def test_using_an_uncompiled_or_unbuilt_model_says_what_to_do():
    with pytest.raises(RuntimeError, match="compile"):
        small_model().fit(np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="not built yet"):
        Sequential([Dense(2)]).summary()
    with pytest.raises(ValueError, match="unknown loss 'cross'.*categorical_crossentropy"):
        small_model().compile("adam", "cross")
    with pytest.raises(ValueError, match=r"x has 3 samples.*y has 2"):
        model = small_model()
        model.compile("adam", "mse")
        model.fit(np.zeros((3, 4)), np.zeros((2, 3)))


def test_predict_slices_batches_whose_activations_are_large_without_changing_outputs():
    minidl.core.random.seed(3)
    model = minidl.Sequential([minidl.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 2)),
                               minidl.layers.BatchNormalization(), minidl.layers.Flatten(),
                               minidl.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(30, 8, 8, 2)).astype(np.float32)
    whole = model.predict(x, batch_size=30)
    model.predict_activation_bytes = 4 * 6 * 6 * 4 * 7  # seven samples' conv output at a time
    np.testing.assert_allclose(model.predict(x, batch_size=30), whole, rtol=1e-6)
    assert model.predict(x, batch_size=30).shape == (30, 3)


def test_damaged_and_foreign_model_files_are_model_file_errors_naming_the_file(tmp_path):
    import io
    import json
    import zipfile

    from minidl import ModelFileError

    model = Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "m.npz"
    model.save(path)
    data = bytearray(path.read_bytes())
    for offset in range(200, len(data) - 200, 97):  # flip bytes inside the compressed entries
        data[offset] ^= 0xFF
    flipped = tmp_path / "flipped.npz"
    flipped.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="flipped.npz"):
        load_model(str(flipped))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match=r"notes.txt' is not a minidl model file: it is not an .npz"):
        load_model(str(text))
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(str(tmp_path))
    odd = tmp_path / "odd.npz"
    with zipfile.ZipFile(odd, "w") as archive:
        buffer = io.BytesIO()
        np.save(buffer, np.frombuffer(json.dumps([1, 2]).encode(), dtype=np.uint8))
        archive.writestr("__config__.npy", buffer.getvalue())
    with pytest.raises(ModelFileError, match="JSON but not an object"):
        load_model(str(odd))
    config, weights = minidl.saving.npz.read_model(str(path))
    config["compile"]["optimizer"] = "adamz"
    minidl.saving.npz._write(str(tmp_path / "bad_optimizer.npz"), config, weights)
    with pytest.raises(ModelFileError, match=r"bad_optimizer.npz' has compile settings .* unknown optimizer 'adamz'"):
        load_model(str(tmp_path / "bad_optimizer.npz"))


def test_a_failed_save_names_the_target_and_leaves_no_partial_file(tmp_path):
    model = Sequential([Input((3,)), Dense(2)])
    with pytest.raises(OSError, match=r"cannot write the model file '.*nowhere/m.npz'"):
        model.save(str(tmp_path / "nowhere" / "m.npz"))
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_sizes_are_named_before_any_work(call, batch_size):
    model = Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    arguments = (x,) if call == "predict" else (x, y)
    with pytest.raises(ValueError, match=rf"{call}: batch_size must be a positive integer .* got {batch_size!r}"):
        getattr(model, call)(*arguments, batch_size=batch_size, verbose=0)


def test_batch_size_none_means_32_and_wrong_inputs_are_named():
    model = Sequential([Input((784,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((40, 784), np.float32), np.ones((40, 2), np.float32)
    assert len(model.fit(x, y, batch_size=None, verbose=0).history["loss"]) == 1
    assert model.predict(x, batch_size=None).shape == (40, 2)
    with pytest.raises(ValueError, match=r"predict: x has shape \(784,\) .* pass x\[None\] \(shape \(1, 784\)\)"):
        model.predict(x[0])
    with pytest.raises(ValueError, match="fit: sample_weight has 3 values for 40 samples"):
        model.fit(x, y, sample_weight=np.ones(3), verbose=0)
    with pytest.raises(ValueError, match="evaluate: sample_weight has 3 values for 40 samples"):
        model.evaluate(x, y, sample_weight=np.ones(3), verbose=0)
