"""The training loop: callbacks in Keras's order, checkpoints and logs on disk, bad data refused before any work.

Hook orders are compared with Keras 3 itself; files are read back; every
refusal is one sentence naming the argument, said before the first batch.
"""

import csv
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minidl  # noqa: E402
from minidl import Sequential, callbacks, load_model  # noqa: E402
from minidl.callbacks import CallbackError, CSVLogger, ModelCheckpoint  # noqa: E402
from minidl.training.data import PyDataset  # noqa: E402
from minidl.layers import Dense, Input  # noqa: E402
from minidl.training.standardize import check_finite  # noqa: E402


def data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32))


def regressor(seed=0, **dense):
    minidl.core.random.seed(seed)
    model = Sequential([Input((4,)), Dense(3, activation="tanh", **dense), Dense(1)])
    model.compile(minidl.optimizers.SGD(0.05), "mse")
    return model


def recorder(base):
    """A callback recording every hook it gets (the same class body for Keras and minidl)."""

    class Record(base):
        def __init__(self):
            super().__init__()
            self.calls = []

    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
             "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]
    for hook in hooks:
        def method(self, *arguments, _hook=hook, **logs):
            index = arguments[0] if arguments and isinstance(arguments[0], int) else None
            self.calls.append(_hook if index is None else (_hook, index))
        setattr(Record, hook, method)
    return Record()


def test_fit_evaluate_and_predict_call_the_hooks_in_kerass_order():
    keras = pytest.importorskip("keras")
    x, y = data(10)
    calls = {}
    for library, layers, make in ((keras, keras.layers, keras.Sequential), (minidl, minidl.layers, Sequential)):
        model = make([layers.Input((4,)), layers.Dense(1)])
        model.compile("sgd", "mse")
        record = recorder(library.callbacks.Callback)
        model.fit(x, y, batch_size=4, epochs=2, validation_data=(x[:6], y[:6]), callbacks=[record], verbose=0)
        model.evaluate(x, y, batch_size=5, callbacks=[record], verbose=0)
        model.predict(x, batch_size=6, callbacks=[record], verbose=0)
        calls[library.__name__] = record.calls
    assert calls["minidl"] == calls["keras"]
    assert ("on_test_batch_end", 1) in calls["minidl"] and "on_predict_end" in calls["minidl"]


def test_predict_batch_end_gets_the_batchs_outputs_and_evaluate_logs_reach_on_test_end():
    x, y = data(10)
    model = regressor()
    outputs, ends = [], []
    hooks = callbacks.LambdaCallback(on_predict_batch_end=lambda batch, logs: outputs.append(logs["outputs"]),
                                     on_test_end=lambda logs: ends.append(logs))
    predicted = model.predict(x, batch_size=4, callbacks=[hooks])
    np.testing.assert_array_equal(np.concatenate(outputs), predicted)
    loss = model.evaluate(x, y, batch_size=4, callbacks=[hooks], verbose=0)
    assert ends == [{"loss": loss}]


def test_checkpoint_names_are_formatted_from_the_epoch_and_logs(tmp_path):
    x, y = data()
    model = regressor()
    path = str(tmp_path / "checkpoints" / "model-{epoch:02d}-{val_loss:.2f}.npz")
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.2, verbose=0,
                        callbacks=[ModelCheckpoint(path)]).history
    expected = sorted(f"model-{epoch + 1:02d}-{loss:.2f}.npz" for epoch, loss in enumerate(history["val_loss"]))
    assert sorted(os.listdir(tmp_path / "checkpoints")) == expected
    np.testing.assert_array_equal(load_model(str(tmp_path / "checkpoints" / expected[-1])).predict(x),
                                  model.predict(x))


def test_checkpoint_every_n_batches_counts_batches_across_epochs(tmp_path):
    x, y = data(30)
    path = str(tmp_path / "e{epoch}-b{batch}.npz")
    regressor().fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[ModelCheckpoint(path, save_freq=2)])
    assert sorted(os.listdir(tmp_path)) == ["e1-b2.npz", "e2-b1.npz", "e2-b3.npz"]


def test_checkpoint_saves_only_improvements_past_the_initial_threshold(tmp_path):
    x, y = data()
    path = str(tmp_path / "best.weights.npz")
    model = regressor()
    checkpoint = ModelCheckpoint(path, monitor="loss", save_best_only=True, save_weights_only=True,
                                 initial_value_threshold=-1.0)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert not os.path.exists(path)  # no loss beats -1
    checkpoint = ModelCheckpoint(path, monitor="loss", save_best_only=True, save_weights_only=True, mode="min")
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[checkpoint]).history
    assert checkpoint.best == min(history["loss"])
    best = regressor(seed=9)
    best.load_weights(path)
    assert best.evaluate(x, y, verbose=0) <= history["loss"][0]


def test_an_unwritable_checkpoint_folder_is_refused_when_fit_starts(tmp_path, monkeypatch):
    x, y = data()
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    model = regressor()
    before = model.get_weights()
    with pytest.raises(CallbackError, match=r"ModelCheckpoint: filepath .*notes.txt/m.npz' cannot be written: .* is "
                                            r"a file, not a folder"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(blocker / "m.npz"))])
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # refused before the first batch
    monkeypatch.setattr(minidl.callbacks.os, "access", lambda path, mode: False)
    with pytest.raises(CallbackError, match=r"the folder .* is not writable"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "out" / "{epoch}.npz"))])
    with pytest.raises(CallbackError, match=r"CSVLogger: filename .* is not writable"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(str(tmp_path / "log.csv"))])


def test_a_checkpoint_that_fails_to_write_leaves_the_previous_file_and_no_partial_one(tmp_path, monkeypatch):
    x, y = data()
    path = tmp_path / "model.npz"
    model = regressor()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path))])
    saved = path.read_bytes()

    def broken_save(target, *arguments, **keywords):
        with open(target, "wb") as handle:
            handle.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path))])
    assert path.read_bytes() == saved and os.listdir(tmp_path) == ["model.npz"]


def test_csv_logger_appends_with_its_separator_and_one_header(tmp_path):
    x, y = data()
    log = tmp_path / "log.tsv"
    model = regressor()
    first = model.fit(x, y, epochs=2, verbose=0, validation_split=0.2, callbacks=[CSVLogger(str(log), "\t")])
    second = model.fit(x, y, epochs=1, verbose=0, validation_split=0.2,
                       callbacks=[CSVLogger(str(log), separator="\t", append=True)])
    rows = list(csv.DictReader(open(log), delimiter="\t"))
    assert [row["epoch"] for row in rows] == ["0", "1", "0"]
    losses = first.history["val_loss"] + second.history["val_loss"]
    assert [float(row["val_loss"]) for row in rows] == pytest.approx(losses)


def test_regularization_penalties_enter_the_loss_once():
    x, y = data()
    model = regressor(kernel_regularizer=minidl.regularizers.L2(0.3))
    kernel = model.get_weights()[0]
    prediction = model.predict(x)
    expected = np.mean((prediction - y) ** 2) + 0.3 * np.sum(kernel.astype(np.float64) ** 2)
    assert model.evaluate(x, y, batch_size=len(x), verbose=0) == pytest.approx(expected, rel=1e-5)


def test_every_penalty_in_model_losses_enters_the_loss_once():
    """The contract of compile_utils: the loss adds sum(model.losses), which holds regularization and layer losses."""

    class Penalised(Dense):
        @property
        def losses(self):
            return [*super().losses, minidl.Tensor(np.float32(0.25))]

    x, y = data()
    minidl.core.random.seed(0)
    model = Sequential([Input((4,)), Penalised(3, kernel_regularizer=minidl.regularizers.L2(0.3)), Dense(1)])
    model.compile("sgd", "mse")
    kernel = model.get_weights()[0]
    expected = np.mean((model.predict(x) - y) ** 2) + 0.3 * np.sum(kernel.astype(np.float64) ** 2) + 0.25
    assert len(model.losses) == 2
    assert model.evaluate(x, y, batch_size=len(x), verbose=0) == pytest.approx(expected, rel=1e-5)


class Slices(PyDataset):
    def __init__(self, x, y, batch):
        super().__init__()
        self.x, self.y, self.batch = x, y, batch

    def __len__(self):
        return math.ceil(len(self.x) / self.batch)

    def __getitem__(self, index):
        part = slice(index * self.batch, (index + 1) * self.batch)
        return self.x[part], self.y[part]


def test_a_pydataset_trains_evaluates_and_predicts_like_its_arrays():
    x, y = data(20)
    on_arrays, on_dataset = regressor(), regressor()
    expected = on_arrays.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
    assert on_dataset.fit(Slices(x, y, 5), epochs=2, shuffle=False, verbose=0).history == expected
    assert on_dataset.evaluate(Slices(x, y, 5), verbose=0) == on_arrays.evaluate(x, y, batch_size=5, verbose=0)
    np.testing.assert_array_equal(on_dataset.predict(Slices(x, y, 7)), on_arrays.predict(x))


# ---------------------------------------------------------------- issue 30: bad input, said before any work
def test_no_samples_are_refused_by_evaluate_and_fit_naming_x():
    model = regressor()
    empty_x, empty_y = np.zeros((0, 4), np.float32), np.zeros((0, 1), np.float32)
    with pytest.raises(ValueError, match=r"^evaluate: x holds no samples \(shape \(0, 4\)\); give at least one$"):
        model.evaluate(empty_x, empty_y, verbose=0)
    with pytest.raises(ValueError, match=r"^fit: x holds no samples"):
        model.fit(empty_x, empty_y, validation_split=0.2, verbose=0)
    x, y = data(3)
    with pytest.raises(ValueError, match=r"validation_split=0.1 of 3 samples leaves 3 for training and 0 for "
                                         "validation"):
        model.fit(x, y, validation_split=0.1, verbose=0)


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf"), "heavy"])
def test_a_negative_or_non_finite_class_weight_is_refused(weight):
    x, _ = data()
    model = Sequential([Input((4,)), Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    labels = np.arange(len(x)) % 2
    with pytest.raises(ValueError, match=rf"^fit: class_weight\[1\] is {weight!r}; class weights must be finite "
                                         r"numbers >= 0$".replace("(", r"\(").replace(")", r"\)")):
        model.fit(x, labels, class_weight={0: 1.0, 1: weight}, verbose=0)
    with pytest.raises(ValueError, match=r"train_on_batch: class_weight\[1\]"):
        model.train_on_batch(x, labels, class_weight={1: weight})


@pytest.mark.parametrize("role, bad", [("x", float("nan")), ("x", -float("inf")), ("y", float("inf"))])
def test_nan_or_inf_in_the_data_is_named_with_its_first_index_before_training(role, bad):
    x, y = data()
    target = x if role == "x" else y
    target[7, 0] = bad
    target[9, 0] = bad
    model = regressor()
    before = model.get_weights()
    with pytest.raises(ValueError, match=rf"^fit: {role} holds {bad} at index \(7, 0\) \(sample 7\); every value "
                                         "must be finite"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match=rf"^fit \(validation_data\): {role} holds"):
        model.fit(*data(), validation_data=(x, y), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def explodes_on_batch(number):
    """A squared-error loss that is NaN on the ``number``-th call (1-based), and the list of calls."""
    calls = []

    def loss(y_true, y_pred):
        calls.append(1)
        squares = (y_pred - y_true) ** 2
        return squares * float("nan") if len(calls) == number else squares

    return loss, calls


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_non_finite_loss_is_applied_and_training_goes_on_by_default():
    x, y = data(40)
    loss, calls = explodes_on_batch(3)
    model = regressor()
    model.compile(minidl.optimizers.SGD(0.05), loss)
    history = model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0).history
    assert len(history["loss"]) == 3 and len(calls) == 12  # every batch of every epoch ran
    assert all(np.isnan(w).all() for w in model.get_weights())  # the NaN gradients were applied, as Keras does


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_at_the_end_of_the_first_non_finite_batch(capsys):
    x, y = data(40)
    loss, calls = explodes_on_batch(3)
    model = regressor()
    model.compile(minidl.optimizers.SGD(0.05), loss)
    history = model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()]).history
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history["loss"]) == 1 and len(calls) == 3
    loss, calls = explodes_on_batch(3)
    model = regressor()
    model.compile(minidl.optimizers.SGD(0.05), loss)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0,
                  callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_restore_last_finite_weights_stops_with_the_last_finite_steps_weights_and_optimizer(capsys):
    x, y = data(40)
    loss, _ = explodes_on_batch(3)
    model = regressor()
    model.compile(minidl.optimizers.Adam(0.05), loss)
    reference = regressor()
    reference.compile(minidl.optimizers.Adam(0.05), lambda y_true, y_pred: (y_pred - y_true) ** 2)
    for batch in range(2):
        reference.train_on_batch(x[batch * 10 : (batch + 1) * 10], y[batch * 10 : (batch + 1) * 10])
    history = model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0,
                        callbacks=[callbacks.RestoreLastFiniteWeights()]).history
    assert "Epoch 1, batch 3: the loss is nan; training stopped, with the weights of the last finite step" in \
        capsys.readouterr().out
    assert len(history["loss"]) == 1
    for ours, expected in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(ours, expected)
    assert model.optimizer.iterations == reference.optimizer.iterations == 2
    weights = model.trainable_weights
    for ours, expected in zip(model.optimizer.get_state(weights)["slots"],
                              reference.optimizer.get_state(reference.trainable_weights)["slots"]):
        for key in expected:
            np.testing.assert_array_equal(ours[key], expected[key])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_weights_that_an_update_made_non_finite_are_put_back_when_asked():
    x, y = data(40)
    model = regressor()
    model.compile(minidl.optimizers.SGD(1e38), "mse")  # the first update overflows float32
    first = model.get_weights()
    model.fit(x * 1e3, y, batch_size=10, epochs=2, shuffle=False, verbose=0,
              callbacks=[callbacks.RestoreLastFiniteWeights()])
    weights = model.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    assert all(np.array_equal(a, b) for a, b in zip(first, weights))


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 40), st.integers(1, 5), st.integers(1, 3)), chunk_bytes=st.integers(1, 400),
       bad=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from([np.nan, np.inf, -np.inf])),
                    min_size=1, max_size=4))
def test_the_first_non_finite_value_is_named_whatever_the_chunking(shape, chunk_bytes, bad):
    array = np.zeros(shape, np.float32)
    for position, value in bad:
        array.reshape(-1)[int(position * array.size)] = value
    first = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    with pytest.raises(ValueError, match=rf"at index \({', '.join(map(str, first))}\) \(sample {first[0]}\)"):
        check_finite("fit", "x", [array], ["x"], chunk_bytes=chunk_bytes)
    check_finite("fit", "x", [np.nan_to_num(array, posinf=1.0, neginf=-1.0)], ["x"], chunk_bytes=chunk_bytes)
