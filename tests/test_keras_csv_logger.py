"""CSVLogger writes Keras's columns (compared with a file Keras writes) and LearningRateScheduler Keras's rates."""

import csv
import importlib.util

import numpy as np
import pytest

import minidl

needs_keras = pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")


def logged(module, path, validation_split, schedule):
    """Train a Dense(2) three epochs in ``module`` (Keras or minidl) with a CSVLogger; the file's rows as lists."""
    model = module.Sequential([module.Input((4,)), module.layers.Dense(2)])
    model.compile(module.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    callbacks = [module.callbacks.CSVLogger(str(path))]
    if schedule:
        callbacks.insert(0, module.callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 / (epoch + 1)))
    history = model.fit(rng.random((20, 4)), rng.random((20, 2)), epochs=3, verbose=0, batch_size=5,
                        validation_split=validation_split, callbacks=callbacks)
    with open(path, newline="") as handle:
        return list(csv.reader(handle)), history


@needs_keras
@pytest.mark.parametrize("validation_split", [0.0, 0.2])
@pytest.mark.parametrize("schedule", [False, True])
def test_the_columns_and_the_missing_cells_are_keras_s(tmp_path, validation_split, schedule):
    keras = pytest.importorskip("keras")
    theirs, keras_history = logged(keras, tmp_path / "keras.csv", validation_split, schedule)
    ours, history = logged(minidl, tmp_path / "minidl.csv", validation_split, schedule)
    assert ours[0] == theirs[0]
    assert len(ours) == len(theirs) == 4
    for our_row, their_row in zip(ours[1:], theirs[1:]):
        assert our_row[0] == their_row[0]
        assert [cell == "NA" for cell in our_row] == [cell == "NA" for cell in their_row]
    if schedule:
        rates = theirs[0].index("learning_rate")
        np.testing.assert_allclose([float(row[rates]) for row in ours[1:]],
                                   [float(row[rates]) for row in theirs[1:]], rtol=1e-6)
        np.testing.assert_allclose(history.history["learning_rate"], keras_history.history["learning_rate"], rtol=1e-6)


def test_without_validation_the_val_columns_are_written_na(tmp_path):
    rows, _ = logged(minidl, tmp_path / "log.csv", 0.0, False)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert all(row[3:] == ["NA", "NA"] for row in rows[1:])
