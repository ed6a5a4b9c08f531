"""RNN with cells (built-in, stacked, the user's own) and stateful layers, checked against Keras 3 and differences.

Keras and minidl get the same weights; outputs, states and gradients must
agree, masks included. The step-by-step loop of ``RNN`` (any cell) is
checked against central differences in float64.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl import gradcheck, ops  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.autodiff.tensor import Tensor  # noqa: E402
from tests.strategies import leaf  # noqa: E402


def minimal_cell_class(base, ops_module):
    """Keras's documented MinimalRNNCell, on ``base`` (keras.Layer or minidl's Layer)."""
    class MinimalRNNCell(base):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops_module.matmul(inputs, self.kernel)
            output = ops_module.tanh(h + ops_module.matmul(prev_output, self.recurrent_kernel))
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    return MinimalRNNCell


def two_state_cell_class(base, ops_module):
    """A cell of two states, an output size of its own and its own initial states (ones)."""
    class TwoStateCell(base):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]
            self.output_size = 2 * units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")

        def call(self, inputs, states):
            h, total = states
            h = ops_module.tanh(ops_module.matmul(inputs, self.kernel) + 0.5 * h)
            total = total + h
            return ops_module.concatenate([h, total], axis=-1), [h, total]

        def get_initial_state(self, batch_size=None):
            return [ops_module.ones((batch_size, self.units)), ops_module.zeros((batch_size, self.units))]
    return TwoStateCell


MinimalCell = minimal_cell_class(L.Layer, ops)
TwoStateCell = two_state_cell_class(L.Layer, ops)


# ---------------------------------------------------------------------------- without Keras
def test_an_rnn_of_a_cell_gives_the_numbers_and_gradients_of_its_layer(rng):
    """RNN(LSTMCell) and LSTM are the same equations: the same weights give the same outputs and gradients."""
    x = rng.normal(size=(3, 5, 2))
    layer, rnn = L.LSTM(4, return_sequences=True, dtype="float64"), L.RNN(L.LSTMCell(4, dtype="float64"),
                                                                          return_sequences=True, dtype="float64")
    layer(x)
    rnn(x)
    rnn.set_weights(layer.get_weights())
    outputs = []
    for model in (layer, rnn):
        y = model(x)
        (y * y).sum().backward()
        outputs.append((y.numpy(), [w.grad for w in model.weights]))
    np.testing.assert_allclose(outputs[0][0], outputs[1][0], rtol=1e-12)
    for a, b in zip(outputs[0][1], outputs[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_cell_step_is_one_step_of_its_layer(rng):
    x = rng.normal(size=(2, 1, 3))
    layer = L.GRU(4, return_state=True, dtype="float64")
    output, state = layer(x)
    cell = L.GRUCell(4, dtype="float64")
    cell(x[:, 0], [np.zeros((2, 4))])
    cell.set_weights(layer.get_weights())
    step_output, new_states = cell(Tensor(x[:, 0]), [Tensor(np.zeros((2, 4)))])
    np.testing.assert_allclose(step_output.numpy(), output.numpy(), rtol=1e-12)
    np.testing.assert_allclose(new_states[0].numpy(), state.numpy(), rtol=1e-12)


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_the_step_by_step_loop_gradcheck_with_a_mask(rng, zero_output_for_mask):
    """A user's cell runs step by step: gradients through autodiff, masked steps carried, float64 differences."""
    class WeightedCell(L.Layer):
        state_size = 3

        def call(self, inputs, states):
            h = ops.tanh(ops.matmul(inputs, self.given_kernel) + ops.matmul(states[0], self.given_recurrent))
            return h * 2.0, [h]

    cell = WeightedCell(dtype="float64")
    layer = L.RNN(cell, return_sequences=True, zero_output_for_mask=zero_output_for_mask, dtype="float64")
    mask = np.array([[True, False, True, True], [False, True, True, False]])

    def run(x, h0, kernel, recurrent):
        cell.given_kernel, cell.given_recurrent = kernel, recurrent
        x = x if isinstance(x, Tensor) else Tensor(x)
        return layer(x, initial_state=[h0], mask=mask)

    gradcheck(run, leaf(rng.normal(size=(2, 4, 2))), leaf(rng.normal(size=(2, 3))),
              leaf(rng.normal(size=(2, 3))), leaf(rng.normal(size=(3, 3)) * 0.5))


def test_a_cell_without_state_size_is_refused_with_one_sentence():
    class NoState(L.Layer):
        def call(self, inputs, states):
            return inputs, states
    with pytest.raises(ValueError, match=r"^RNN cell must have a state_size .*got None"):
        L.RNN(NoState())


def test_stateful_layer_continues_each_sequence_and_resets(rng):
    x = rng.normal(size=(2, 6, 3)).astype(np.float32)
    whole = L.GRU(4, return_sequences=True)
    expected = whole(x).numpy()
    stateful = L.GRU(4, return_sequences=True, stateful=True)
    stateful(x[:, :3])
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    halves = np.concatenate([stateful(x[:, :3]).numpy(), stateful(x[:, 3:]).numpy()], axis=1)
    np.testing.assert_allclose(halves, expected, rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, :3]).numpy(), expected[:, :3], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"is stateful: every batch must hold 2 sequences .* got 1$"):
        stateful(x[:1, :3])


def test_reset_states_refuses_states_of_the_wrong_shape():
    L.LSTM(3).reset_states()  # a layer without states: nothing to reset (Keras 3's reset_state)
    with pytest.raises(ValueError, match=r"is not stateful: reset_states\(states\) needs stateful=True"):
        L.LSTM(3).reset_states([np.zeros((2, 3)), np.zeros((2, 3))])
    layer = L.LSTM(3, stateful=True)
    with pytest.raises(ValueError, match=r"reset_states needs 2 array\(s\) of shape \(batch, size\) with sizes "
                                         r"\[3, 3\], got shapes \[\(2, 4\), \(2, 3\)\]"):
        layer.reset_states([np.zeros((2, 4)), np.zeros((2, 3))])


# ---------------------------------------------------------------------------- Keras side by side
keras = pytest.importorskip("keras")

IDS = np.array([[3, 5, 7, 2, 0, 0], [0, 0, 4, 1, 8, 6], [0, 3, 0, 4, 5, 0], [1, 2, 3, 4, 5, 6]])
FEATURES = np.random.default_rng(3).normal(size=(4, 6, 3)).astype(np.float32)


def embedded(layers, i):
    return layers.Embedding(10, 3, mask_zero=True)(i)


def user_cell(layers, kind, units):
    if layers is L:
        return {"minimal": MinimalCell, "two_state": TwoStateCell}[kind](units)
    maker = {"minimal": minimal_cell_class, "two_state": two_state_cell_class}[kind]
    return maker(keras.Layer, keras.ops)(units)


CONFIGURATIONS = {
    "simple_rnn_cell": (lambda l, i: l.RNN(l.SimpleRNNCell(4))(i), FEATURES),
    "lstm_cell_states_backwards": (lambda l, i: l.RNN(l.LSTMCell(3), return_sequences=True, return_state=True,
                                                      go_backwards=True)(i), FEATURES),
    "gru_cell_reset_before_masked": (lambda l, i: l.RNN(l.GRUCell(3, reset_after=False), return_sequences=True)(
        embedded(l, i)), IDS),
    "stacked_cells_masked": (lambda l, i: l.RNN([l.LSTMCell(3), l.GRUCell(2)], return_sequences=True)(
        embedded(l, i)), IDS),
    "stacked_cells_zero_output": (lambda l, i: l.RNN(l.StackedRNNCells([l.SimpleRNNCell(3), l.SimpleRNNCell(2)]),
                                                     return_sequences=True, zero_output_for_mask=True)(
        embedded(l, i)), IDS),
    "minimal_user_cell_masked": (lambda l, i: l.RNN(user_cell(l, "minimal", 4), return_sequences=True)(
        embedded(l, i)), IDS),
    "user_cell_output_size_initial_state": (lambda l, i: l.RNN(user_cell(l, "two_state", 2), return_state=True)(i),
                                            FEATURES),
    "bidirectional_rnn_of_a_cell": (lambda l, i: l.Bidirectional(l.RNN(l.GRUCell(3), return_sequences=True))(
        embedded(l, i)), IDS),
}


def keras_and_minidl(build, data, batch_size=None, shape=None):
    dtype = "int32" if data.dtype.kind == "i" else "float32"
    shape = shape or data.shape[1:]
    keras_input = keras.Input(shape, dtype=dtype, batch_size=batch_size)
    keras_model = keras.Model(keras_input, build(keras.layers, keras_input))
    tensor = L.Input(shape, batch_size=batch_size)
    model = minidl.Model(tensor, build(L, tensor))
    rng = np.random.default_rng(0)
    weights = [w + rng.normal(size=w.shape).astype(np.float32) * 0.3 for w in keras_model.get_weights()]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    return keras_model, model


def as_list(outputs):
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else [np.asarray(outputs)]


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_outputs_match_keras_with_copied_weights(name):
    build, data = CONFIGURATIONS[name]
    keras_model, model = keras_and_minidl(build, data)
    expected, got = as_list(keras_model.predict(data, verbose=0)), as_list(model.predict(data))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_cell_called_on_one_step_matches_keras(rng):
    x, h, c = (rng.normal(size=(2, size)).astype(np.float32) for size in (3, 4, 4))
    keras_cell, cell = keras.layers.LSTMCell(4), L.LSTMCell(4)
    keras_cell(x, [h, c])
    cell(x, [h, c])
    cell.set_weights(keras_cell.get_weights())
    expected_output, expected_states = keras_cell(x, [h, c])
    output, states = cell(Tensor(x), [Tensor(h), Tensor(c)])
    np.testing.assert_allclose(output.numpy(), np.asarray(expected_output), rtol=1e-5, atol=1e-6)
    for a, b in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(a.numpy(), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_gradients_of_stacked_and_user_cells_match_keras():
    """Every weight's gradient of a loss through masked stacked cells and a user's cell equals Keras's."""
    import tensorflow as tf

    def build(layers, i):
        x = layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(3)], return_sequences=True)(embedded(layers, i))
        return layers.Dense(1)(layers.RNN(user_cell(layers, "minimal", 2))(x))

    keras_model, model = keras_and_minidl(build, IDS)
    with tf.GradientTape() as tape:
        keras_loss = tf.reduce_sum(keras_model(IDS) ** 2)
    expected = [tf.convert_to_tensor(g).numpy() for g in tape.gradient(keras_loss, keras_model.trainable_weights)]
    y = model(IDS)
    loss = (y * y).sum()
    loss.backward()
    np.testing.assert_allclose(float(loss.data), float(keras_loss), rtol=1e-5)
    for weight, gradient in zip(model.trainable_weights, expected, strict=True):
        np.testing.assert_allclose(weight.grad, gradient, rtol=1e-4, atol=1e-6)


def test_stateful_layers_match_keras_batch_after_batch():
    def build(layers, i):
        x = layers.LSTM(4, return_sequences=True, stateful=True)(i)
        x = layers.Bidirectional(layers.GRU(2, return_sequences=True, stateful=True))(x)
        return layers.RNN(layers.SimpleRNNCell(3), stateful=True)(x)

    keras_model, model = keras_and_minidl(build, FEATURES, batch_size=4, shape=(None, 3))
    for chunk in (FEATURES[:, :2], FEATURES[:, 2:5], FEATURES[:, 5:]):
        np.testing.assert_allclose(model.predict(chunk), keras_model.predict(chunk, verbose=0), rtol=1e-5, atol=1e-6)
    for layer in keras_model.layers[1:]:
        layer.reset_state()
    for layer in model.layers[1:]:
        layer.reset_states()
    np.testing.assert_allclose(model.predict(FEATURES), keras_model.predict(FEATURES, verbose=0), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("build", [
    lambda l, i: l.RNN([l.LSTMCell(3), l.GRUCell(2)], return_sequences=True)(embedded(l, i)),
    lambda l, i: l.GlobalAveragePooling1D()(l.RNN(l.GRUCell(3), return_sequences=True, go_backwards=True)(
        embedded(l, i))),
], ids=["stacked_cells", "gru_cell_backwards"])
def test_keras_files_of_cells_round_trip_both_ways(build, tmp_path):
    keras_model, _ = keras_and_minidl(build, IDS)
    keras_model.save(tmp_path / "keras.keras")
    model = minidl.load_model(tmp_path / "keras.keras")
    expected = as_list(keras_model.predict(IDS, verbose=0))
    for a, b in zip(as_list(model.predict(IDS)), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "minidl.keras")
    again = keras.models.load_model(tmp_path / "minidl.keras")
    for a, b in zip(as_list(again.predict(IDS, verbose=0)), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_keras_file_of_a_users_cell_loads_both_ways(tmp_path):
    """A registered cell of the user's own: Keras's file read by minidl, minidl's read by Keras."""
    keras_cell = keras.saving.register_keras_serializable(package="cells")(minimal_cell_class(keras.Layer, keras.ops))
    ours = minidl.saving.register_keras_serializable(package="cells")(minimal_cell_class(L.Layer, ops))

    def build(layers, i):
        cell = keras_cell(3) if layers is keras.layers else ours(3)
        return layers.RNN(cell, return_sequences=True)(embedded(layers, i))

    keras_model, _ = keras_and_minidl(build, IDS)
    keras_model.save(tmp_path / "keras.keras")
    model = minidl.load_model(tmp_path / "keras.keras")
    expected = keras_model.predict(IDS, verbose=0)
    np.testing.assert_allclose(model.predict(IDS), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "minidl.keras")
    again = keras.models.load_model(tmp_path / "minidl.keras")
    np.testing.assert_allclose(again.predict(IDS, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_a_stacks_states_come_nested_by_cell_as_keras_and_through_files(tmp_path):
    def build(layers, i):
        output, first, second = layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)], return_state=True)(
            embedded(layers, i))
        return layers.Concatenate()([output, first[0], first[1], second])

    keras_model, model = keras_and_minidl(build, IDS)
    expected = keras_model.predict(IDS, verbose=0)
    np.testing.assert_allclose(model.predict(IDS), expected, rtol=1e-5, atol=1e-6)
    layer = next(layer for layer in model.layers if isinstance(layer, L.RNN))
    output, (h, c), last = layer(np.random.default_rng(0).normal(size=(2, 4, 3)).astype(np.float32))
    assert (output.shape, h.shape, c.shape, last.shape) == ((2, 2), (2, 3), (2, 3), (2, 2))
    model.save(tmp_path / "minidl.keras")
    again = keras.models.load_model(tmp_path / "minidl.keras")
    np.testing.assert_allclose(again.predict(IDS, verbose=0), expected, rtol=1e-5, atol=1e-6)
    keras_model.save(tmp_path / "keras.keras")
    np.testing.assert_allclose(minidl.load_model(tmp_path / "keras.keras").predict(IDS), expected, rtol=1e-5,
                               atol=1e-6)
