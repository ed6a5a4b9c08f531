"""Keras programs that build models run on minidl with only their imports changed.

Each program below is written once, as Keras's guides write it, and run
twice: with ``keras`` (3) and with ``minidl`` in its place. The two runs are
compared where Keras fixes the answer: outputs from the same weights,
weight shapes and order, losses, one training step, shapes and names.
"""

import inspect
import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minidl  # noqa: E402
from minidl import Tensor, gradcheck  # noqa: E402
from minidl import functional as F  # noqa: E402
from tests.strategies import leaf  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402 - the test extra installs it
else:
    try:
        import keras  # noqa: E402
    except ImportError:
        keras = None

needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")
FRAMEWORKS = [pytest.param("keras", marks=needs_keras), "minidl"]


def framework(name):
    return keras if name == "keras" else minidl


# ---------------------------------------------------------------------------- programs from keras.io's guides
def custom_layer_classes(kr):
    """The layers of "Making new layers and models via subclassing", as written there (``kr`` is keras or minidl)."""

    class Linear(kr.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return kr.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units})
            return config

    class MLPBlock(kr.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(4)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = kr.ops.relu(self.linear_1(inputs))
            x = kr.ops.relu(self.linear_2(x))
            return self.linear_3(x)

    class ActivityRegularizationLayer(kr.layers.Layer):
        def __init__(self, rate=1e-2, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * kr.ops.sum(inputs))
            return inputs

    return Linear, MLPBlock, ActivityRegularizationLayer


def same_weights(model, seed=3):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=tuple(w.shape)).astype(np.float32) for w in model.get_weights()]


def as_numpy(value):
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_layer_whose_call_takes_only_inputs_builds_on_first_call_and_computes_x_w_plus_b(name):
    kr = framework(name)
    Linear, _, _ = custom_layer_classes(kr)
    layer = Linear(4)
    assert not layer.built
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = as_numpy(layer(x))
    assert layer.built and [tuple(w.shape) for w in layer.weights] == [(3, 4), (4,)]
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-6, atol=1e-6)  # float32 sums near 0


@needs_keras
def test_a_block_of_custom_layers_gives_keras_weights_outputs_and_training_step():
    results = {}
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(6, 1)).astype(np.float32)
    weights = None
    for name in ("keras", "minidl"):
        kr = framework(name)
        _, MLPBlock, _ = custom_layer_classes(kr)
        inputs = kr.Input((5,))
        model = kr.Model(inputs, MLPBlock()(inputs))
        weights = weights or same_weights(model)
        model.set_weights(weights)
        model.compile(optimizer=kr.optimizers.SGD(0.1), loss="mse")
        before = model.predict(x, verbose=0)
        loss = model.train_on_batch(x, y)
        results[name] = ([tuple(w.shape) for w in model.get_weights()], before, float(np.ravel(loss)[0]),
                         model.get_weights(), model.count_params())
    keras_result, mine = results["keras"], results["minidl"]
    assert mine[0] == keras_result[0] == [(5, 8), (8,), (8, 4), (4,), (4, 1), (1,)]
    np.testing.assert_allclose(mine[1], keras_result[1], rtol=1e-5, atol=1e-6)
    assert mine[2] == pytest.approx(keras_result[2], rel=1e-5)
    for a, b in zip(mine[3], keras_result[3], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert mine[4] == keras_result[4]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_add_loss_holds_the_latest_forward_passes_penalty_only(name):
    kr = framework(name)
    _, _, ActivityRegularizationLayer = custom_layer_classes(kr)
    layer = ActivityRegularizationLayer(0.5)
    layer(np.ones((2, 3), dtype=np.float32))
    layer(np.full((2, 3), 2.0, dtype=np.float32))
    assert len(layer.losses) == 1
    assert float(as_numpy(layer.losses[0])) == pytest.approx(0.5 * 12.0)


@needs_keras
def test_model_losses_and_a_training_step_count_add_loss_regularizers_and_activity_regularizers_as_keras():
    x = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    y = np.random.default_rng(3).normal(size=(4, 2)).astype(np.float32)
    results, weights = {}, None
    for name in ("keras", "minidl"):
        kr = framework(name)
        _, _, ActivityRegularizationLayer = custom_layer_classes(kr)
        inputs = kr.Input((3,))
        hidden = kr.layers.Dense(4, activation="tanh", kernel_regularizer=kr.regularizers.L2(0.1),
                                 activity_regularizer=kr.regularizers.L1(0.01))(inputs)
        outputs = kr.layers.Dense(2)(ActivityRegularizationLayer(0.05)(hidden))
        model = kr.Model(inputs, outputs)
        weights = weights or same_weights(model)
        model.set_weights(weights)
        model(x)
        penalties = sorted(float(as_numpy(loss)) for loss in model.losses)
        model.compile(optimizer=kr.optimizers.SGD(0.05), loss="mse")
        loss = float(np.ravel(model.train_on_batch(x, y))[0])
        results[name] = penalties, loss, model.get_weights()
    assert len(results["minidl"][0]) == 3
    np.testing.assert_allclose(results["minidl"][0], results["keras"][0], rtol=1e-5)
    assert results["minidl"][1] == pytest.approx(results["keras"][1], rel=1e-5)
    for a, b in zip(results["minidl"][2], results["keras"][2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fit_lowers_a_loss_added_by_a_layer_alone():
    """A model whose only objective besides a zero-weighted target is add_loss: fit must minimise it."""
    _, _, ActivityRegularizationLayer = custom_layer_classes(minidl)
    minidl.core.random.seed(0)
    inputs = minidl.Input((3,))
    model = minidl.Model(inputs, ActivityRegularizationLayer(1.0)(minidl.layers.Dense(2)(inputs)))
    model.compile(optimizer=minidl.optimizers.SGD(0.01), loss="mse", loss_weights=[0.0])
    x = np.ones((8, 3), dtype=np.float32)
    history = model.fit(x, np.zeros((8, 2), np.float32), epochs=3, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0] - 1.0  # d(sum of outputs)/d(bias) = 8 per unit: the sum falls fast


def test_a_block_passes_training_on_to_the_dropout_inside_it():
    class Block(minidl.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dropout = minidl.layers.Dropout(0.5, seed=1)

        def call(self, inputs):
            return self.dropout(inputs)

    block, x = Block(), np.ones((4, 50), dtype=np.float32)
    np.testing.assert_array_equal(block(x).numpy(), x)  # inference: the identity
    trained = block(x, training=True).numpy()
    assert set(np.unique(trained)) == {0.0, 2.0}  # inverted dropout: kept values scaled by 1 / (1 - rate)


# ---------------------------------------------------------------------------- add_weight and configs
@pytest.mark.parametrize("name", FRAMEWORKS)
def test_add_weight_takes_keras_3_keywords_and_positions_and_add_variable(name):
    kr = framework(name)

    class Weights(kr.layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight((2, 3), "ones")
            self.b = self.add_weight(shape=(3,), initializer=kr.initializers.Constant(2.0), name="b", trainable=False)
            self.c = self.add_variable((1,), "zeros", name="c")
            self.d = self.add_weight(shape=(4, 5))  # glorot_uniform by default

        def call(self, inputs):
            return inputs

    layer = Weights()
    layer(np.zeros((1, 2), np.float32))
    a, b, c, d = (as_numpy(w) for w in (layer.a, layer.b, layer.c, layer.d))
    np.testing.assert_array_equal(a, np.ones((2, 3)))
    np.testing.assert_array_equal(b, [2.0, 2.0, 2.0])
    assert c.shape == (1,) and d.shape == (4, 5) and np.abs(d).max() <= np.sqrt(6 / 9) and d.std() > 0
    assert len(layer.trainable_weights) == 3 and len(layer.non_trainable_weights) == 1


def test_add_weight_also_takes_minidls_name_first_order_which_keras_3_refuses():
    class Scale(minidl.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", (input_shape[-1],), "ones", None, True)

        def call(self, inputs):
            return inputs * self.scale

    layer = Scale()
    layer(np.ones((1, 3), np.float32))
    assert layer.scale.name.endswith("/scale") and layer.get_weights()[0].shape == (3,)
    with pytest.raises(TypeError, match="both by position and by keyword"):
        layer.add_weight("x", (2,), shape=(3,))


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_model_from_config_with_custom_objects_rebuilds_the_same_model(name):
    kr = framework(name)
    Linear, _, _ = custom_layer_classes(kr)
    inputs = kr.Input((3,))
    model = kr.Model(inputs, kr.layers.Dense(2)(Linear(4)(inputs)))
    x = np.random.default_rng(4).normal(size=(5, 3)).astype(np.float32)
    again = kr.Model.from_config(model.get_config(), custom_objects={"Linear": Linear})
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [type(layer).__name__ for layer in again.layers] == ["InputLayer", "Linear", "Dense"]
    sequential = kr.Sequential([kr.Input((3,)), Linear(2)])
    copy = kr.Sequential.from_config(sequential.get_config(), custom_objects={"Linear": Linear})
    assert copy.layers[0].units == 2 and type(copy.layers[0]) is Linear


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_layer_without_get_config_is_configured_by_its_constructor_arguments(name):
    kr = framework(name)

    class Scaled(kr.layers.Layer):
        def __init__(self, factor, offset=0.0, **kwargs):
            super().__init__(**kwargs)
            self.factor, self.offset = factor, offset

        def call(self, inputs):
            return inputs * self.factor + self.offset

    config = Scaled(3.0, offset=1.5, name="scaled").get_config()
    assert config["factor"] == 3.0 and config["offset"] == 1.5 and config["name"] == "scaled"
    again = Scaled.from_config(config)
    np.testing.assert_allclose(as_numpy(again(np.ones((1, 2), np.float32))), [[4.5, 4.5]])


# ---------------------------------------------------------------------------- Sequential, names, shapes
@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_sequential_without_input_shape_is_built_by_its_first_batch_and_pops_layers(name):
    kr = framework(name)
    model = kr.Sequential([kr.layers.Dense(4, activation="relu"), kr.layers.Dense(3)])
    assert not model.built
    x = np.ones((2, 5), np.float32)
    assert model.predict(x, verbose=0).shape == (2, 3)
    assert [tuple(w.shape) for w in model.get_weights()] == [(5, 4), (4,), (4, 3), (3,)]
    model.pop()
    assert len(model.layers) == 1 and tuple(model.output_shape)[1:] == (4,)  # Keras keeps the first batch size
    model.add(kr.layers.Dense(1))
    assert tuple(as_numpy(model(x)).shape) == (2, 1)  # (Keras's predict would reuse its traced function)
    called = kr.Sequential([kr.layers.Dense(2)])
    assert tuple(as_numpy(called(x)).shape) == (2, 2)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_unnamed_models_get_unique_names_in_keras_pattern(name):
    kr = framework(name)
    first, second = kr.Sequential(), kr.Sequential()
    inputs = kr.Input((2,))
    graph, other = kr.Model(inputs, kr.layers.Dense(1)(inputs)), kr.Model(inputs, kr.layers.Dense(1)(inputs))
    assert re.fullmatch(r"sequential(_\d+)?", first.name) and re.fullmatch(r"sequential(_\d+)?", second.name)
    assert re.fullmatch(r"functional(_\d+)?", graph.name) and re.fullmatch(r"functional(_\d+)?", other.name)
    assert first.name != second.name and graph.name != other.name
    nested = kr.Sequential([kr.Input((2,)), first.__class__([kr.layers.Dense(2)]), kr.Sequential([kr.layers.Dense(1)])])
    assert len({layer.name for layer in nested.layers}) == 2


@needs_keras
@pytest.mark.parametrize("pooling", ["GlobalMaxPooling1D", "GlobalAveragePooling1D"])
def test_variable_length_inputs_run_through_conv1d_pooling_and_dense_as_in_keras(pooling):
    results, weights = {}, None
    rng = np.random.default_rng(5)
    batches = [rng.normal(size=(2, length, 6)).astype(np.float32) for length in (11, 20)]
    for name in ("keras", "minidl"):
        kr = framework(name)
        inputs = kr.Input(shape=(None, 6))
        x = kr.layers.Conv1D(4, 3, activation="relu")(inputs)
        x = kr.layers.MaxPooling1D(2)(x)
        x = kr.layers.Conv1D(5, 2, padding="same")(x)
        shape = tuple(x.shape)
        outputs = kr.layers.Dense(3, activation="softmax")(getattr(kr.layers, pooling)()(x))
        model = kr.Model(inputs, outputs)
        weights = weights or same_weights(model)
        model.set_weights(weights)
        results[name] = shape, tuple(model.output_shape), [model.predict(b, verbose=0) for b in batches]
    assert results["minidl"][0] == results["keras"][0] == (None, None, 5)
    assert results["minidl"][1] == results["keras"][1] == (None, 3)
    for a, b in zip(results["minidl"][2], results["keras"][2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_custom_layer_without_compute_output_shape_is_traced_with_unknown_lengths_kept():
    class Halve(minidl.layers.Layer):
        def call(self, inputs):
            return F.reshape(inputs, (inputs.shape[0], -1, 2 * inputs.shape[2]))

    traced = Halve()(minidl.Input((None, 3)))
    assert traced.shape == (None, None, 6)
    assert Halve()(minidl.Input((8, 3))).shape == (None, 4, 6)


@needs_keras
def test_layers_given_input_dim_or_input_shape_start_a_sequential_as_keras():
    for kr in (keras, minidl):
        model = kr.Sequential([kr.layers.Dense(3, input_dim=4), kr.layers.Dense(2)])
        assert tuple(model.output_shape) == (None, 2) and model.count_params() == 4 * 3 + 3 + 3 * 2 + 2


# ---------------------------------------------------------------------------- activation layers
@needs_keras
@settings(max_examples=15, deadline=None)
@given(max_value=st.one_of(st.none(), st.floats(0.5, 3.0)), negative_slope=st.sampled_from([0.0, 0.1, 0.3]),
       threshold=st.sampled_from([0.0, 0.2, 1.0]), seed=st.integers(0, 99))
def test_relu_layer_options_give_keras_values(max_value, negative_slope, threshold, seed):
    x = np.random.default_rng(seed).normal(scale=2.0, size=(3, 7)).astype(np.float32)
    options = {"max_value": max_value, "negative_slope": negative_slope, "threshold": threshold}
    expected = keras.layers.ReLU(**options)(x).numpy()
    np.testing.assert_allclose(minidl.layers.ReLU(**options)(x).numpy(), expected, rtol=1e-6, atol=1e-7)


@needs_keras
def test_activation_layers_defaults_and_values_are_keras():
    x = np.random.default_rng(6).normal(scale=2.0, size=(2, 3, 4)).astype(np.float32)
    for name, options in [("LeakyReLU", {}), ("ELU", {}), ("ELU", {"alpha": 0.5}), ("Softmax", {}),
                          ("Softmax", {"axis": 1}), ("Softmax", {"axis": [1, 2]}), ("PReLU", {"shared_axes": [1]})]:
        theirs, mine = getattr(keras.layers, name)(**options), getattr(minidl.layers, name)(**options)
        if name == "PReLU":
            theirs.build((None, 3, 4))
            alpha = np.random.default_rng(7).uniform(0.1, 0.5, size=(1, 4)).astype(np.float32)
            theirs.set_weights([alpha])
            mine(x)
            mine.set_weights([alpha])
        np.testing.assert_allclose(mine(x).numpy(), theirs(x).numpy(), rtol=1e-5, atol=1e-7, err_msg=name)
    assert minidl.layers.LeakyReLU().negative_slope == keras.layers.LeakyReLU().negative_slope == 0.3


def test_prelu_passes_a_float64_gradient_check_in_its_input_and_its_alpha():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, 2, 4))
    x[np.abs(x) < 0.05] = 0.3  # away from the kink at 0
    layer = minidl.layers.PReLU(shared_axes=[1], dtype="float64")
    layer(Tensor(x))

    def prelu(inputs, alpha):
        layer.alpha = alpha
        return layer(inputs)

    gradcheck(prelu, leaf(x), leaf(rng.uniform(0.1, 0.5, size=(1, 4))))


def test_relu_with_options_and_softmax_over_two_axes_pass_float64_gradient_checks():
    rng = np.random.default_rng(9)
    x = rng.uniform(-3, 3, size=(2, 3, 4))
    x[np.abs(x - 0.5) < 0.05] += 0.2  # away from the knee at the threshold
    x[np.abs(x - 2.0) < 0.05] += 0.2  # and from the cap
    relu = minidl.layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5, dtype="float64")
    gradcheck(lambda inputs: relu(inputs), leaf(x))
    softmax, weights = minidl.layers.Softmax(axis=[1, 2], dtype="float64"), Tensor(rng.normal(size=x.shape))
    gradcheck(lambda inputs: softmax(inputs) * weights, leaf(x))  # weighted: the plain sum is constant
    np.testing.assert_allclose(softmax(Tensor(x)).numpy().sum(axis=(1, 2)), 1.0)


def test_activation_layers_refuse_bad_options_in_one_sentence():
    with pytest.raises(ValueError, match="ReLU: max_value must be a number >= 0, got -1"):
        minidl.layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="PReLU: shared_axes must be axes >= 1"):
        minidl.layers.PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="Softmax: axis must be an int or a list of ints"):
        minidl.layers.Softmax(axis="last")


# ---------------------------------------------------------------------------- initializers
INITIALIZER_ALIASES = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
                       "zeros", "ones", "random_normal", "random_uniform", "truncated_normal", "orthogonal",
                       "constant", "variance_scaling", "identity"]


@pytest.mark.parametrize("alias", INITIALIZER_ALIASES)
def test_lower_case_initializers_are_the_classes_as_in_keras(alias):
    mine = getattr(minidl.initializers, alias)
    assert isinstance(mine, type) and mine.__name__.lower() == alias.replace("_", "")
    if keras is not None:
        assert getattr(keras.initializers, alias).__name__ == mine.__name__
    if "seed" in inspect.signature(mine).parameters:
        np.testing.assert_array_equal(mine(seed=3)((4, 4)), mine(seed=3)((4, 4)))


def test_orthogonal_truncated_normal_and_identity_follow_their_definitions():
    for shape in [(6, 3), (3, 6), (2, 2, 5)]:
        q = minidl.initializers.orthogonal(gain=2.0, seed=1)(shape).astype(np.float64)
        flat = q.reshape(-1, shape[-1])
        gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)
    draws = minidl.initializers.truncated_normal(mean=1.0, stddev=0.5, seed=2)((200_000,))
    assert np.abs(draws - 1.0).max() <= 1.0 and draws.std() == pytest.approx(0.5 * 0.87962566, rel=0.01)
    np.testing.assert_array_equal(minidl.initializers.identity(gain=3.0)((2, 3)), 3.0 * np.eye(2, 3))
    layer = minidl.layers.Dense(3, kernel_initializer=minidl.initializers.he_normal(seed=5))
    layer(np.ones((1, 4), np.float32))
    np.testing.assert_array_equal(layer.get_weights()[0], minidl.initializers.HeNormal(seed=5)((4, 3)))


# ---------------------------------------------------------------------------- saving keywords
def test_save_save_weights_and_load_weights_take_keras_filepath_keyword(tmp_path):
    inputs = minidl.Input((3,))
    model = minidl.Model(inputs, minidl.layers.Dense(2)(inputs))
    model.save(filepath=tmp_path / "model.keras")
    model.save(filepath=tmp_path / "model.npz", overwrite=True)
    model.save_weights(filepath=tmp_path / "weights.npz")
    loaded = minidl.load_model(tmp_path / "model.keras")
    loaded.set_weights([np.zeros_like(w) for w in loaded.get_weights()])
    loaded.load_weights(filepath=tmp_path / "weights.npz")
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileExistsError, match="exists and overwrite=False was given"):
        model.save(filepath=tmp_path / "model.npz", overwrite=False)


# ---------------------------------------------------------------------------- subclassed models
def subclassed_model_class(kr):
    """A model written as keras.io's subclassing guide writes one: layers as attributes, its own call, add_loss."""

    class TwoLayerModel(kr.Model):
        def __init__(self, units=6, **kwargs):
            super().__init__(**kwargs)
            self.hidden = kr.layers.Dense(units, activation="tanh")
            self.dropout = kr.layers.Dropout(0.5)
            self.classifier = kr.layers.Dense(3, activation="softmax")

        def call(self, inputs, training=False):
            hidden = self.hidden(inputs)
            self.add_loss(0.01 * kr.ops.mean(kr.ops.square(hidden)))
            return self.classifier(self.dropout(hidden, training=training))

    return TwoLayerModel


@needs_keras
def test_a_subclassed_model_predicts_and_trains_as_in_keras():
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(8, 4)).astype(np.float32), rng.integers(0, 3, 8)
    results, weights = {}, None
    for name in ("keras", "minidl"):
        kr = framework(name)
        model = subclassed_model_class(kr)()
        model(x[:1])  # built by its first call (Keras's build((None, 4)) would make no weights here)
        weights = weights or same_weights(model)
        model.set_weights(weights)
        before = model.predict(x, verbose=0)
        model.compile(optimizer=kr.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        model.dropout.rate = 0.0  # the same step in both: no random mask
        loss = float(np.ravel(model.train_on_batch(x, y))[0])
        results[name] = before, loss, model.get_weights(), [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(results["minidl"][0], results["keras"][0], rtol=1e-5, atol=1e-6)
    assert results["minidl"][1] == pytest.approx(results["keras"][1], rel=1e-5)
    for a, b in zip(results["minidl"][2], results["keras"][2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert results["minidl"][3] == results["keras"][3] == ["Dense", "Dropout", "Dense"]


def test_a_subclassed_model_is_built_by_fit_summarised_configured_and_used_as_a_layer():
    minidl.core.random.seed(1)
    model = subclassed_model_class(minidl)(units=5)
    x, y = np.random.default_rng(11).normal(size=(16, 4)).astype(np.float32), np.arange(16) % 3
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    assert set(history) == {"loss", "accuracy"} and model.built and model.name.startswith("two_layer_model")
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1"] and model.count_params() == 43
    assert "dense_1 (Dense)" in model.summary(print_fn=lambda _: None)
    again = type(model).from_config(model.get_config())
    assert again.get_config()["units"] == 5
    inputs = minidl.Input((4,))
    outer = minidl.Model(inputs, minidl.layers.Dense(2)(model(inputs)))
    assert outer.predict(x, verbose=0).shape == (16, 2)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_sequential_build_takes_keras_batch_shapes_including_variable_lengths(name):
    kr = framework(name)
    model = kr.Sequential([kr.layers.Dense(3), kr.layers.Dense(2)])
    model.build((None, 5))
    assert tuple(model.output_shape) == (None, 2) and model.count_params() == 5 * 3 + 3 + 3 * 2 + 2
    sequence = kr.Sequential([kr.layers.Conv1D(3, 2), kr.layers.GlobalMaxPooling1D()])
    sequence.build((None, None, 5))
    assert tuple(sequence.output_shape) == (None, 3)
    assert sequence.predict(np.zeros((2, 7, 5), np.float32), verbose=0).shape == (2, 3)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_input_takes_keras_shape_batch_shape_and_batch_size(name):
    kr = framework(name)
    assert tuple(kr.Input(batch_shape=(None, 3, 2)).shape) == (None, 3, 2)
    assert tuple(kr.Input(shape=(4,), batch_size=None, name="features").shape) == (None, 4)


@needs_keras
def test_lambda_layers_compute_as_keras_with_traced_given_and_functional_output_shapes():
    x = np.random.default_rng(12).normal(size=(3, 6, 4)).astype(np.float32)
    results, weights = {}, None
    for name in ("keras", "minidl"):
        kr = framework(name)
        inputs = kr.Input((None, 4))
        scaled = kr.layers.Lambda(lambda t, factor: t * factor, arguments={"factor": 0.5})(inputs)
        pooled = kr.layers.Lambda(lambda t: kr.ops.mean(t, axis=1), output_shape=lambda s: (s[0], s[2]))(scaled)
        squared = kr.layers.Lambda(lambda t: kr.ops.square(t), output_shape=(4,))(pooled)
        model = kr.Model(inputs, kr.layers.Dense(2)(squared))
        weights = weights or same_weights(model)
        model.set_weights(weights)
        results[name] = tuple(scaled.shape), tuple(pooled.shape), model.predict(x, verbose=0)
    assert results["minidl"][:2] == results["keras"][:2] == ((None, None, 4), (None, 4))
    np.testing.assert_allclose(results["minidl"][2], results["keras"][2], rtol=1e-5, atol=1e-6)


def test_a_model_with_a_lambda_is_refused_by_save_in_one_sentence(tmp_path):
    inputs = minidl.Input((2,))
    model = minidl.Model(inputs, minidl.layers.Lambda(lambda t: t * 2.0)(inputs))
    with pytest.raises(ValueError, match="a Lambda holds Python code, which minidl's model files never do"):
        model.save(tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


def test_a_subclassed_model_saves_its_weights_and_refuses_a_model_file_in_one_sentence(tmp_path):
    model = subclassed_model_class(minidl)()
    model(np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match="runs its own call\\(\\), which is code, and model files hold none"):
        model.save(tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()
    model.save_weights(tmp_path / "weights.npz")
    again = subclassed_model_class(minidl)()
    again(np.ones((1, 4), np.float32))
    again.load_weights(tmp_path / "weights.npz")
    for a, b in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_an_input_spec_refuses_inputs_of_another_rank_or_size(name):
    kr = framework(name)

    class Sequences(kr.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = kr.layers.InputSpec(ndim=3, axes={-1: 4})

        def call(self, inputs):
            return inputs

    layer = Sequences()
    assert tuple(as_numpy(layer(np.ones((2, 5, 4), np.float32))).shape) == (2, 5, 4)
    with pytest.raises(ValueError):
        layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError):
        layer(np.ones((2, 5, 3), np.float32))
    if name == "minidl":
        with pytest.raises(ValueError, match=r"takes inputs with ndim=3 \(its input_spec\), got a tensor of shape"):
            layer(np.ones((2, 4), np.float32))
