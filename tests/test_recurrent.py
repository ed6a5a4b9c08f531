"""Recurrent layers, Embedding, Masking and the wrappers: gradient checks, masks, Keras side by side, Keras files.

The cells' backward through time is checked against central differences
(float64, shapes drawn by hypothesis, masks and recurrent dropout included);
outputs against Keras 3 given the same weights; .keras files both ways.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minidl  # noqa: E402
from minidl import gradcheck  # noqa: E402
from minidl import layers as L  # noqa: E402
from minidl.functional.embedding import embedding  # noqa: E402
from minidl.functional.gru import gru  # noqa: E402
from minidl.functional.lstm import lstm  # noqa: E402
from minidl.functional.simple_rnn import simple_rnn  # noqa: E402
from tests.strategies import leaf  # noqa: E402


@st.composite
def sequences(draw, gates):
    """(projected inputs, recurrent kernel, initial state, mask, recurrent dropout mask) in float64."""
    batch, steps, units = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    mask = rng.random((batch, steps)) > 0.3 if draw(st.booleans()) else None
    dropout = (rng.random((batch, units)) > 0.3) / 0.7 if draw(st.booleans()) else None
    return (rng.normal(size=(batch, steps, gates * units)), rng.normal(size=(units, gates * units)) * 0.6,
            rng.normal(size=(batch, units)), mask, dropout)


ACTIVATIONS = st.sampled_from(["tanh", "sigmoid", "relu", "softsign", "linear"])


@settings(max_examples=20, deadline=None)
@given(sequences(1), ACTIVATIONS)
def test_simple_rnn_gradcheck_through_time(case, activation):
    p, u, h0, mask, dropout = case
    gradcheck(lambda a, b, c: simple_rnn(a, b, c, activation, mask, dropout), leaf(p), leaf(u), leaf(h0))


@settings(max_examples=20, deadline=None)
@given(sequences(4), ACTIVATIONS, st.sampled_from(["sigmoid", "hard_sigmoid"]))
def test_lstm_gradcheck_through_time(case, activation, recurrent_activation):
    p, u, h0, mask, dropout = case
    c0 = h0[:, ::-1].copy()
    gradcheck(lambda a, b, c, d: lstm(a, b, c, d, activation, recurrent_activation, mask, dropout),
              leaf(p), leaf(u), leaf(h0), leaf(c0))


@settings(max_examples=20, deadline=None)
@given(sequences(3), ACTIVATIONS, st.booleans())
def test_gru_gradcheck_through_time(case, activation, reset_after):
    p, u, h0, mask, dropout = case
    recurrent_bias = np.linspace(-1, 1, u.shape[1])
    gradcheck(lambda a, b, c, d: gru(a, b, c, d, activation, "sigmoid", reset_after, mask, dropout),
              leaf(p), leaf(u), leaf(h0), leaf(recurrent_bias) if reset_after else recurrent_bias * 0)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 2 ** 16))
def test_embedding_gradcheck_and_scatter_add(rows, width, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, rows, size=(3, 4))  # repeated ids: their gradients add up
    table = rng.normal(size=(rows, width))
    gradcheck(lambda t: embedding(ids, t), leaf(table))
    weights = rng.normal(size=(3, 4, width))
    t = leaf(table)
    (embedding(ids, t) * weights).sum().backward()
    one_hot = np.eye(rows)[ids]  # (3, 4, rows): the lookup as a matmul, an independent reference
    np.testing.assert_allclose(t.grad, np.einsum("bsr,bsw->rw", one_hot, weights), rtol=1e-12)


def test_embedding_refuses_an_id_outside_the_table():
    with pytest.raises(ValueError, match=r"index 7 is outside the table's 5 rows"):
        L.Embedding(5, 2)(np.array([[1, 7]]))


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_a_masked_tail_gives_the_state_of_the_trimmed_sequence(cls, rng):
    """Post-padding masked out: the final output and states are those of the sequence without the padding."""
    layer = cls(3, return_state=True)
    x = rng.normal(size=(1, 6, 2)).astype(np.float32)
    padded = np.concatenate([x[:, :4], np.zeros((1, 2, 2), np.float32)], axis=1)
    trimmed = [t.numpy() for t in layer(x[:, :4])]
    masked = [t.numpy() for t in layer(L.Masking()(padded))]
    for a, b in zip(masked, trimmed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_an_activation_without_a_known_derivative_is_refused():
    with pytest.raises(ValueError, match=r"GRU activation must be one of .* got 'selu'"):
        L.GRU(4, activation="selu")


def test_embedding_mask_reaches_the_rnn_and_the_pooling():
    ids = np.array([[3, 1, 0, 0]])
    embedded = L.Embedding(5, 2, mask_zero=True)(ids)
    np.testing.assert_array_equal(embedded._keras_mask, [[True, True, False, False]])
    sequence = L.LSTM(3, return_sequences=True)(embedded)
    np.testing.assert_array_equal(sequence._keras_mask, embedded._keras_mask)
    pooled = L.GlobalAveragePooling1D()(sequence)
    np.testing.assert_allclose(pooled.numpy(), sequence.numpy()[:, :2].mean(axis=1), rtol=1e-6)
    assert getattr(pooled, "_keras_mask", None) is None


# ---------------------------------------------------------------------------- Keras side by side
keras = pytest.importorskip("keras")

IDS = np.array([[3, 5, 7, 2, 0, 0], [0, 0, 4, 1, 8, 6], [0, 3, 0, 4, 5, 0], [1, 2, 3, 4, 5, 6]])
FEATURES = np.random.default_rng(3).normal(size=(4, 6, 3)).astype(np.float32) * (np.arange(6)[None, :, None] < 4)


def embedded(layers, i):
    return layers.Embedding(10, 3, mask_zero=True)(i)


def masked(layers, i):
    return layers.Masking()(i)


CONFIGURATIONS = {
    "simple_rnn": (lambda l, i: l.SimpleRNN(5)(i), FEATURES),
    "lstm_sequences_states_backwards": (
        lambda l, i: l.LSTM(5, return_sequences=True, return_state=True, go_backwards=True)(i), FEATURES),
    "gru_masked_sequences": (lambda l, i: l.GRU(5, return_sequences=True)(embedded(l, i)), IDS),
    "gru_reset_before": (lambda l, i: l.GRU(4, reset_after=False, return_sequences=True)(embedded(l, i)), IDS),
    "lstm_masked_states_backwards": (
        lambda l, i: l.LSTM(4, return_state=True, go_backwards=True)(embedded(l, i)), IDS),
    "simple_rnn_masked_relu": (lambda l, i: l.SimpleRNN(4, activation="relu", return_sequences=True)(masked(l, i)),
                               FEATURES),
    "bidirectional_concat": (lambda l, i: l.Bidirectional(l.LSTM(4, return_sequences=True))(embedded(l, i)), IDS),
    "bidirectional_sum": (lambda l, i: l.Bidirectional(l.GRU(4, return_sequences=True), merge_mode="sum")(
        embedded(l, i)), IDS),
    "bidirectional_mul_last": (lambda l, i: l.Bidirectional(l.SimpleRNN(3), merge_mode="mul")(masked(l, i)),
                               FEATURES),
    "bidirectional_ave": (lambda l, i: l.Bidirectional(l.LSTM(3), merge_mode="ave")(embedded(l, i)), IDS),
    "bidirectional_none_states": (lambda l, i: l.Bidirectional(l.LSTM(4, return_state=True), merge_mode=None)(
        masked(l, i)), FEATURES),
    "bidirectional_own_backward_layer": (lambda l, i: l.Bidirectional(
        l.GRU(3, return_sequences=True), backward_layer=l.LSTM(3, return_sequences=True, go_backwards=True))(
        embedded(l, i)), IDS),
    "time_distributed_masked_average": (lambda l, i: l.GlobalAveragePooling1D()(
        l.TimeDistributed(l.Dense(2))(embedded(l, i))), IDS),
}


def keras_and_minidl(build, data):
    dtype = "int32" if data.dtype.kind == "i" else "float32"
    keras_input = keras.Input(data.shape[1:], dtype=dtype)
    keras_model = keras.Model(keras_input, build(keras.layers, keras_input))
    tensor = L.Input(data.shape[1:])
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


def encoder_decoder(layers, i):
    """Keras's guide pattern: one LSTM's states start another (initial_state=) after a Masking."""
    sequence = layers.Masking()(i)
    _, h, c = layers.LSTM(4, return_state=True)(sequence)
    decoded = layers.LSTM(4, return_sequences=True)(sequence, initial_state=[h, c])
    return layers.GlobalAveragePooling1D()(decoded)


@pytest.mark.parametrize("build, data", [
    (lambda l, i: l.SimpleRNN(2)(l.GRU(3, return_sequences=True)(l.TimeDistributed(l.Dense(2))(
        l.Bidirectional(l.LSTM(4, return_sequences=True))(embedded(l, i))))), IDS),
    (encoder_decoder, FEATURES),
], ids=["embedding_bidirectional_time_distributed_gru", "encoder_decoder_initial_state"])
def test_keras_files_round_trip_both_ways(build, data, tmp_path):
    keras_model, _ = keras_and_minidl(build, data)
    keras_model.save(tmp_path / "keras.keras")
    model = minidl.load_model(tmp_path / "keras.keras")
    expected = as_list(keras_model.predict(data, verbose=0))
    for a, b in zip(as_list(model.predict(data)), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "minidl.keras")
    again = keras.models.load_model(tmp_path / "minidl.keras")
    for a, b in zip(as_list(again.predict(data, verbose=0)), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"maxlen": 3}, {"maxlen": 4, "padding": "post", "truncating": "post"},
                                     {"maxlen": 2, "value": -1, "dtype": "float32"}])
def test_pad_sequences_matches_keras(options):
    sequences = [[1, 2, 3], [4], [5, 6, 7, 8, 9], []]
    np.testing.assert_array_equal(minidl.utils.pad_sequences(sequences, **options),
                                  keras.utils.pad_sequences(sequences, **options))


def test_gradients_of_a_stacked_bidirectional_model_match_keras():
    """The IMDB example's architecture, small: every weight's gradient of the loss equals Keras's."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    ids, labels = rng.integers(0, 50, size=(4, 7)), rng.integers(0, 2, size=(4, 1)).astype(np.float32)

    def build(layers, tensor):
        x = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(layers.Embedding(50, 8)(tensor))
        return layers.Dense(1, activation="sigmoid")(layers.Bidirectional(layers.GRU(5))(x))

    keras_model, model = keras_and_minidl(build, ids)
    with tf.GradientTape() as tape:
        keras_loss = tf.reduce_mean(keras.losses.binary_crossentropy(labels, keras_model(ids)))
    expected = [tf.convert_to_tensor(g).numpy() for g in tape.gradient(keras_loss, keras_model.trainable_weights)]
    loss = minidl.losses.binary_crossentropy(labels, model(ids)).mean()
    loss.backward()
    np.testing.assert_allclose(float(loss.data), float(keras_loss), rtol=1e-6)
    for weight, gradient in zip(model.trainable_weights, expected, strict=True):
        np.testing.assert_allclose(weight.grad, gradient, rtol=1e-4, atol=1e-6)
