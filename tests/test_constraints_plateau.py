"""Kernel constraints (Keras's max_norm, unit_norm, non_neg, min_max_norm) and ReduceLROnPlateau."""

import importlib.util

import numpy as np
import pytest

import minidl
from minidl import Sequential, callbacks, constraints
from minidl.layers import Dense, Input

KERAS = importlib.util.find_spec("keras") is not None


@pytest.mark.parametrize("constraint, check", [
    (constraints.MaxNorm(0.5), lambda w: np.linalg.norm(w, axis=0).max() <= 0.5 + 1e-6),
    (constraints.UnitNorm(), lambda w: np.allclose(np.linalg.norm(w, axis=0), 1, atol=1e-5)),
    (constraints.NonNeg(), lambda w: (w >= 0).all()),
    (constraints.MinMaxNorm(0.2, 0.3), lambda w: ((np.linalg.norm(w, axis=0) >= 0.2 - 1e-6)
                                                   & (np.linalg.norm(w, axis=0) <= 0.3 + 1e-6)).all()),
])
def test_a_kernel_constraint_holds_after_every_update(constraint, check):
    minidl.core.random.seed(0)
    model = Sequential([Input((6,)), Dense(4, kernel_constraint=constraint)])
    model.compile(optimizer=minidl.optimizers.SGD(0.5), loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(64, 6)).astype(np.float32), rng.normal(size=(64, 4)).astype(np.float32) * 5,
              epochs=2, batch_size=16, verbose=0)
    assert check(model.get_weights()[0])


def test_constraints_by_keras_name_survive_a_saved_model(tmp_path):
    model = Sequential([Input((3,)), Dense(2, kernel_constraint="max_norm", bias_constraint="non_neg")])
    model.save(tmp_path / "m.npz")
    layer = minidl.load_model(tmp_path / "m.npz").layers[0]
    assert isinstance(layer.kernel_constraint, constraints.MaxNorm) and layer.kernel_constraint.max_value == 2.0
    assert isinstance(layer.bias_constraint, constraints.NonNeg)
    with pytest.raises(ValueError, match="unknown constraint 'max'; valid names are: max_norm"):
        Dense(2, kernel_constraint="max")


@pytest.mark.skipif(not KERAS, reason="Keras is not installed")
@pytest.mark.parametrize("name, options", [("MaxNorm", {"max_value": 0.7, "axis": 0}), ("UnitNorm", {"axis": 1}),
                                           ("NonNeg", {}), ("MinMaxNorm", {"min_value": 0.5, "max_value": 0.9,
                                                                           "rate": 0.5, "axis": [0, 1]})])
def test_constraints_give_keras_values(name, options):
    import keras

    w = np.random.default_rng(1).normal(size=(3, 4, 5)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(getattr(keras.constraints, name)(**options)(keras.ops.convert_to_tensor(w)))
    np.testing.assert_allclose(getattr(constraints, name)(**options)(w), expected, rtol=1e-5, atol=1e-7)


class FakeOptimizer:
    def __init__(self):
        self.learning_rate = 1.0


class FakeModel:
    def __init__(self):
        self.optimizer = FakeOptimizer()


def run_plateau(callback, values, model):
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        callback.on_epoch_end(epoch, logs)
        rates.append(float(model.optimizer.learning_rate))
    return rates


VAL_LOSSES = [1.0, 0.9, 0.95, 0.95, 0.91, 0.89, 0.9, 0.9, 0.9, 0.9, 0.88, 0.9, 0.9, 0.9]


def test_reduce_lr_on_plateau_waits_reduces_and_cools_down():
    rates = run_plateau(callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2), VAL_LOSSES,
                        FakeModel())
    # Epochs 2, 3 do not beat 0.9 -> 0.5 at epoch 3, then one epoch of cooldown (4 counts as waiting once the
    # cooldown is over); 5 improves (0.89); 6, 7 wait -> 0.25; 8 cools down, then waits; 9 -> max(0.125, 0.2);
    # 10 improves (0.88); 11, 12 wait, but the rate is already at min_lr.
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]


@pytest.mark.skipif(not KERAS, reason="Keras is not installed")
def test_reduce_lr_on_plateau_follows_keras():
    import keras

    options = {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.2, "min_delta": 0.005}
    ours = run_plateau(callbacks.ReduceLROnPlateau(**options), VAL_LOSSES, FakeModel())
    keras_model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    keras_model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    theirs = run_plateau(keras.callbacks.ReduceLROnPlateau(**options), VAL_LOSSES, keras_model)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_a_lambda_callback_runs_its_functions_at_their_hooks_and_refuses_unknown_ones():
    minidl.core.random.seed(0)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    calls = []
    hooks = callbacks.LambdaCallback(on_train_begin=lambda logs: calls.append("begin"),
                                     on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch, "loss" in logs)),
                                     on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)))
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), batch_size=4, epochs=2, verbose=0,
              callbacks=[hooks])
    assert calls == ["begin", ("batch", 0), ("batch", 1), ("epoch", 0, True), ("batch", 0), ("batch", 1),
                     ("epoch", 1, True)]
    with pytest.raises(ValueError, match="unknown hooks \\['on_batch_end'\\]"):
        callbacks.LambdaCallback(on_batch_end=print)
