"""Side by side with Keras (TensorFlow backend): same weights give the same outputs and the same updates.

The README's set-up (pip install -e ".[test,docs]") installs Keras and TensorFlow
for these tests. Under CI a missing Keras is a failure; elsewhere (a minimal
install without the test extra) these tests are skipped with the reason.
"""

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter

from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402 - the test extra installs it: its absence under CI is a broken set-up
else:
    keras = pytest.importorskip("keras")

import minidl  # noqa: E402
from minidl import Sequential  # noqa: E402
from minidl import layers as L  # noqa: E402


def both(build):
    """The same architecture in both libraries, minidl's weights copied from Keras's."""
    keras_model = keras.Sequential(build(keras.layers, keras.Input))
    model = Sequential(build(L, L.Input))
    model.set_weights(keras_model.get_weights())
    return keras_model, model


def test_cnn_predictions_match_keras_with_copied_weights(rng):
    def build(layers, Input):
        return [Input((16, 12, 2)), layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu"),
                layers.MaxPooling2D(2, padding="same"), layers.BatchNormalization(),
                layers.Conv2D(3, 2, dilation_rate=2), layers.AveragePooling2D(2), layers.Flatten(),
                layers.Dense(5, activation="tanh"), layers.Dense(3, activation="softmax")]

    keras_model, model = both(build)
    keras_model.layers[2].set_weights([w + rng.random(w.shape).astype(np.float32) for w in keras_model.layers[2].get_weights()])
    model.set_weights(keras_model.get_weights())
    x = rng.random((6, 16, 12, 2)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def test_conv1d_network_matches_keras(rng):
    def build(layers, Input):
        return [Input((20, 3)), layers.Conv1D(4, 5, strides=2, padding="same", activation="elu"),
                layers.MaxPooling1D(3, strides=2), layers.Conv1D(2, 3), layers.GlobalAveragePooling1D(),
                layers.Dense(1, activation="sigmoid")]

    keras_model, model = both(build)
    x = rng.random((4, 20, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name, options", [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
    ("Adagrad", {"learning_rate": 0.1, "clipvalue": 0.2}),
    ("Adadelta", {"learning_rate": 1.0}),
])
def test_optimizers_give_keras_weights_after_100_steps(name, options, rng):
    start = rng.normal(size=(4, 3)).astype(np.float32)
    gradients = rng.normal(size=(100, 4, 3)).astype(np.float32)
    variable = keras.Variable(start.copy())
    keras_optimizer = getattr(keras.optimizers, name)(**options)
    weight = minidl.Tensor(start.copy(), requires_grad=True)
    optimizer = getattr(minidl.optimizers, name)(**options)
    for g in gradients:
        keras_optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
        optimizer.apply_gradients([(g, weight)])
    np.testing.assert_allclose(weight.data, keras.ops.convert_to_numpy(variable), rtol=1e-5, atol=1e-6)


def test_training_histories_match_keras_for_a_few_epochs_without_shuffling(rng):
    def build(layers, Input):
        return [Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")]

    keras_model, model = both(build)
    x = rng.normal(size=(96, 6)).astype(np.float32)
    y = rng.integers(0, 3, 96)
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.compile(minidl.optimizers.Adam(0.01), "sparse_categorical_crossentropy", ["accuracy"])
    expected = keras_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-4)
    np.testing.assert_allclose(history["accuracy"], expected["accuracy"])


def course_notes_metric(K):  # noqa: N803 - the module is passed as the course notes import it
    """The course notes' epoch correlation, written with Keras backend functions: one value per output column."""

    def pearson_in_epoch(y_true, y_pred):
        fsp = y_pred - K.mean(y_pred, axis=0)
        fst = y_true - K.mean(y_true, axis=0)
        dev_p = K.std(y_pred, axis=0)
        dev_t = K.std(y_true, axis=0)
        return K.mean(fsp * fst, axis=0) / (dev_p * dev_t + K.epsilon())

    return pearson_in_epoch


def test_the_course_notes_compile_line_runs_and_its_epochs_match_keras(rng):
    def build(layers, Input):
        return [Input((5,)), layers.Dense(8, activation="tanh"), layers.Dense(2)]

    keras_model, model = both(build)
    x = rng.normal(size=(50, 5)).astype(np.float32)  # batches of 16, 16, 16 and 2: uneven on purpose
    y = np.stack([x[:, 0] + 0.1 * x[:, 1], x[:, 2] * x[:, 3]], axis=1).astype(np.float32)
    keras.config.set_epsilon(1e-7)
    keras_backend = SimpleNamespace(mean=keras.ops.mean, std=keras.ops.std, epsilon=keras.config.epsilon)  # Keras 2's K
    keras_model.compile(loss="mean_squared_error", optimizer="rmsprop",
                        metrics=["mae", course_notes_metric(keras_backend)])
    expected = keras_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    from minidl import ops as K

    model.compile(loss="mean_squared_error", optimizer="rmsprop", metrics=["mae", course_notes_metric(K)])
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert set(history) == set(expected) == {"loss", "mae", "pearson_in_epoch"}
    for key in expected:
        np.testing.assert_allclose(history[key], expected[key], rtol=1e-4, err_msg=key)


def test_streaming_metrics_match_keras_over_uneven_batches(rng):
    scores = rng.random((90, 3)).astype(np.float32)
    labels = (rng.random((90, 3)) < scores).astype(np.float32)  # informative but noisy
    batches = [slice(0, 32), slice(32, 64), slice(64, 90)]
    pairs = [
        (keras.metrics.AUC(), minidl.metrics.AUC()),
        (keras.metrics.AUC(curve="PR"), minidl.metrics.AUC(curve="PR")),
        (keras.metrics.AUC(num_thresholds=7, summation_method="minoring"),
         minidl.metrics.AUC(num_thresholds=7, summation_method="minoring")),
        (keras.metrics.Precision(), minidl.metrics.Precision()),
        (keras.metrics.Recall(thresholds=0.3), minidl.metrics.Recall(thresholds=0.3)),
        (keras.metrics.Precision(class_id=1), minidl.metrics.Precision(class_id=1)),
        (keras.metrics.Recall(top_k=1), minidl.metrics.Recall(top_k=1)),
        (keras.metrics.RootMeanSquaredError(), minidl.metrics.RootMeanSquaredError()),
        (keras.metrics.MeanAbsoluteError(), minidl.metrics.MeanAbsoluteError()),
        (keras.metrics.R2Score(), minidl.metrics.R2Score()),
        (keras.metrics.R2Score(class_aggregation="variance_weighted_average", num_regressors=2),
         minidl.metrics.R2Score(class_aggregation="variance_weighted_average", num_regressors=2)),
        (keras.metrics.TopKCategoricalAccuracy(k=2), minidl.metrics.TopKCategoricalAccuracy(k=2)),
        (keras.metrics.CategoricalAccuracy(), minidl.metrics.CategoricalAccuracy()),
        (keras.metrics.BinaryAccuracy(threshold=0.4), minidl.metrics.BinaryAccuracy(threshold=0.4)),
    ]
    one_hot = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 90)]
    for theirs, mine in pairs:
        for part in batches:
            truth = one_hot[part] if "categorical" in mine.name else labels[part]
            theirs.update_state(truth, scores[part])
            mine.update_state(truth, scores[part])
        assert mine.name == re.sub(r"_\d+$", "", theirs.name)  # Keras numbers the second AUC "auc_1"
        np.testing.assert_allclose(mine.result(), float(theirs.result()), rtol=1e-5, atol=1e-7, err_msg=mine.name)


def test_streaming_metrics_by_name_in_fit_match_keras(rng):
    def build(layers, Input):
        return [Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(1, activation="sigmoid")]

    keras_model, model = both(build)
    x = rng.normal(size=(70, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=70) > 0).astype(np.float32)[:, None]
    names = ["AUC", "precision", "recall"]
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=names)
    model.compile(optimizer=minidl.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=names)
    expected = keras_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(x, y)).history
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(x, y)).history
    assert set(history) == set(expected)
    for key in expected:
        np.testing.assert_allclose(history[key], expected[key], rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "softplus", "elu", "selu", "gelu", "swish",
                                  "silu", "hard_sigmoid", "hard_silu", "softsign", "relu6", "exponential", "linear",
                                  "log_softmax", "leaky_relu"])
def test_every_activation_gives_kerass_values(name):
    x = np.linspace(-7, 7, 141, dtype=np.float32).reshape(3, 47)
    expected = keras.ops.convert_to_numpy(keras.activations.get(name)(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(minidl.activations.get(name)(minidl.Tensor(x)).numpy(), expected, rtol=1e-5,
                               atol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("terminate", [False, True])
def test_an_overflowing_update_is_applied_and_logged_as_keras_does(terminate, rng):
    def build(layers, Input):
        return [Input((4,)), layers.Dense(3), layers.Dense(1)]

    keras_model, model = both(build)
    x = (rng.normal(size=(40, 4)) * 1e3).astype(np.float32)
    y = rng.normal(size=(40, 1)).astype(np.float32)
    keras_model.compile(optimizer=keras.optimizers.SGD(1e38), loss="mse")
    model.compile(minidl.optimizers.SGD(1e38), "mse")  # the first update overflows float32
    expected = keras_model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0,
                               callbacks=[keras.callbacks.TerminateOnNaN()] if terminate else []).history
    history = model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0,
                        callbacks=[minidl.callbacks.TerminateOnNaN()] if terminate else []).history
    assert len(history["loss"]) == len(expected["loss"]) == (1 if terminate else 3)
    assert np.isfinite(history["loss"]).tolist() == np.isfinite(expected["loss"]).tolist()
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights()):
        assert np.isfinite(ours).tolist() == np.isfinite(theirs).tolist()
