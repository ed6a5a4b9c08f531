"""The Keras training surface that published programs use, side by side with Keras 3 (TensorFlow backend).

Custom losses and metrics are written once, in Keras's words, and run in
both libraries with only the module (``keras`` or ``minidl``) changed; the
built-in metrics and schedules are compared with Keras's numbers.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402
else:
    keras = pytest.importorskip("keras")

import minidl  # noqa: E402
from minidl import Sequential, ops  # noqa: E402
from minidl import layers as L  # noqa: E402


def per_sample_huber(ops_module):
    def huber(y_true, y_pred):
        error = y_pred - y_true
        small = ops_module.abs(error) < 1.0
        return ops_module.mean(ops_module.where(small, 0.5 * error * error, ops_module.abs(error) - 0.5), axis=-1)

    return huber


def loss_subclass(library, ops_module):
    class ScaledSquares(library.losses.Loss):
        def __init__(self, scale=2.0, name="scaled_squares", reduction="sum_over_batch_size"):
            super().__init__(name=name, reduction=reduction)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * ops_module.mean(ops_module.square(y_pred - y_true), axis=-1)

    return ScaledSquares


def metric_subclass(library, ops_module):
    """The keras.io guide's BinaryTruePositives, with add_variable and assign_add (Keras 3's words)."""

    class BinaryTruePositives(library.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")
            self.seen = self.add_weight(name="seen", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops_module.cast(ops_module.equal(y_true, 1.0), "float32")
            y_pred = ops_module.cast(ops_module.greater(y_pred, 0.5), "float32")
            values = y_true * y_pred
            self.true_positives.assign_add(ops_module.sum(values))
            self.seen.assign(self.seen + ops_module.cast(ops_module.shape(values)[0], "float32"))

        def result(self):
            return self.true_positives / self.seen

    return BinaryTruePositives


def copy_of(keras_model):
    model = Sequential([L.Input(keras_model.input_shape[1:]), L.Dense(4, activation="tanh"), L.Dense(1)])
    model.set_weights(keras_model.get_weights())
    return model


def keras_regressor():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])


@pytest.fixture
def regression(rng):
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 * rng.normal(size=(24, 1))).astype(np.float32)
    return x, y, rng.uniform(0.2, 2.0, 24).astype(np.float32)


@pytest.mark.parametrize("make_loss", ["function", "subclass"])
def test_a_users_per_sample_loss_is_reduced_and_weighted_as_keras_does(regression, make_loss):
    x, y, weights = regression
    keras_model = keras_regressor()
    model = copy_of(keras_model)
    if make_loss == "function":
        keras_loss, loss = per_sample_huber(keras.ops), per_sample_huber(ops)
    else:
        keras_loss, loss = loss_subclass(keras, keras.ops)(), loss_subclass(minidl, ops)()
    keras_model.compile(keras.optimizers.SGD(0.05), keras_loss)
    model.compile(minidl.optimizers.SGD(0.05), loss)
    expected = keras_model.evaluate(x, y, sample_weight=weights, batch_size=8, verbose=0)
    assert model.evaluate(x, y, sample_weight=weights, batch_size=8, verbose=0) == pytest.approx(expected, rel=1e-5)
    keras_history = keras_model.fit(x, y, sample_weight=weights, batch_size=8, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, sample_weight=weights, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert history.history["loss"] == pytest.approx(keras_history.history["loss"], rel=1e-4)
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "mean_with_sample_weight", "none"])
def test_a_loss_subclass_honours_its_reduction_as_keras(regression, reduction):
    x, y, weights = regression
    prediction = (x[:, :1] * 0.7).astype(np.float32)
    theirs = loss_subclass(keras, keras.ops)(reduction=reduction)(y, prediction, sample_weight=weights)
    ours = loss_subclass(minidl, ops)(reduction=reduction)(y, minidl.Tensor(prediction), sample_weight=weights)
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-5)


def test_a_users_metric_with_state_variables_gives_keras_figures_in_fit_and_evaluate(rng):
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x[:, :1] + 0.5 * rng.normal(size=(40, 1)) > 0).astype(np.float32)
    keras.utils.set_random_seed(1)
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model = Sequential([L.Input((3,)), L.Dense(1, activation="sigmoid")])
    model.set_weights(keras_model.get_weights())
    keras_model.compile("sgd", "binary_crossentropy", metrics=[metric_subclass(keras, keras.ops)()])
    model.compile("sgd", "binary_crossentropy", metrics=[metric_subclass(minidl, ops)()])
    expected = keras_model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert got["binary_true_positives"] == pytest.approx(expected["binary_true_positives"], rel=1e-6)
    keras_history = keras_model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert history["binary_true_positives"] == pytest.approx(keras_history["binary_true_positives"], rel=1e-5)


def test_metric_variables_assign_in_place_and_reset_to_their_initial_values():
    metric = metric_subclass(minidl, ops)()
    metric.update_state(np.array([1, 1, 0, 1]), np.array([0.9, 0.2, 0.7, 0.6]))
    assert float(metric.result()) == pytest.approx(2 / 4)
    assert metric.true_positives.numpy() == 2.0 and metric.true_positives.value.dtype == np.float32
    metric.true_positives.assign_sub(1.0)
    assert float(np.asarray(metric.true_positives)) == 1.0
    metric.reset_state()
    assert [float(v.numpy()) for v in metric.variables] == [0.0, 0.0]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), thresholds=st.sampled_from([None, 0.3, [0.1, 0.5, 0.9]]),
       weighted=st.booleans())
def test_confusion_counts_and_mape_equal_keras(seed, thresholds, weighted):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, (30, 2)).astype(np.float32)
    y_pred = rng.uniform(0, 1, (30, 2)).astype(np.float32)
    weight = rng.uniform(0, 2, 30).astype(np.float32) if weighted else None
    for name in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"):
        theirs, ours = getattr(keras.metrics, name)(thresholds=thresholds), getattr(minidl.metrics, name)(thresholds)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        ours.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(ours.result(), keras.ops.convert_to_numpy(theirs.result()), rtol=1e-5)
    regression_true = rng.normal(size=(30, 3)).astype(np.float32)
    theirs, ours = keras.metrics.MeanAbsolutePercentageError(), minidl.metrics.MeanAbsolutePercentageError()
    theirs.update_state(regression_true, y_pred.repeat(2, axis=1)[:, :3], sample_weight=weight)
    ours.update_state(regression_true, y_pred.repeat(2, axis=1)[:, :3], sample_weight=weight)
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-4)


def test_metric_names_are_logged_as_the_user_gave_them_as_keras_does(rng):
    x = rng.normal(size=(20, 4)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 20)]
    names = {}
    for library, layers in ((keras, keras.layers), (minidl, L)):
        model = library.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
        model.compile("adam", "categorical_crossentropy", metrics=["acc", "mae", "mse"])
        names[library.__name__] = sorted(model.fit(x, labels, epochs=1, validation_split=0.25, verbose=0).history)
    assert names["minidl"] == names["keras"]
    assert "val_acc" in names["minidl"]


@pytest.mark.parametrize("targets", ["one_hot", "labels", "binary"])
def test_accuracy_beside_a_users_loss_is_chosen_from_the_shapes_as_keras_does(rng, targets):
    x = rng.normal(size=(30, 4)).astype(np.float32)
    classes = 1 if targets == "binary" else 3
    labels = rng.integers(0, max(classes, 2), 30)
    y = {"one_hot": np.eye(3, dtype=np.float32)[labels], "labels": labels.astype(np.float32),
         "binary": labels[:, None].astype(np.float32)}[targets]
    keras.utils.set_random_seed(2)
    activation = "sigmoid" if targets == "binary" else "softmax"
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(classes, activation=activation)])
    model = Sequential([L.Input((4,)), L.Dense(classes, activation=activation)])
    model.set_weights(keras_model.get_weights())
    squares = lambda library_ops: lambda y_true, y_pred: library_ops.mean(library_ops.square(y_pred), axis=-1)  # noqa: E731
    keras_model.compile("sgd", squares(keras.ops), metrics=["accuracy"])
    model.compile("sgd", squares(ops), metrics=["accuracy"])
    expected = keras_model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == pytest.approx(expected)


@pytest.mark.parametrize("schedule, arguments", [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5, staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 8], values=[0.1, 0.05, 0.01])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=4, decay_rate=0.5)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=10, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=10, warmup_target=0.2, warmup_steps=5)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=4, t_mul=1.0, m_mul=0.5, alpha=0.1)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=2, t_mul=1.5, m_mul=0.8)),
])
def test_optimizers_schedules_is_kerass_namespace_with_kerass_values(schedule, arguments):
    theirs = getattr(keras.optimizers.schedules, schedule)(**arguments)
    ours = getattr(minidl.optimizers.schedules, schedule)(**arguments)
    for step in range(0, 20):
        assert ours(step) == pytest.approx(float(theirs(step)), rel=1e-5, abs=1e-8)
