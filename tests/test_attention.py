"""Softmax attention: gradients by finite differences, values against the textbook loops, masks and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import Tensor, gradcheck
from minidl import functional as F
from minidl import layers as L
from minidl.functional.attention import attention_weights, dot_product_attention
from tests.strategies import float64_arrays, leaf

shapes = st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
                   st.integers(1, 3))


def masks(data, shape):
    """A boolean mask of ``shape`` (a row may be all False: that query attends to nothing)."""
    size = int(np.prod(shape))
    return np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size))).reshape(shape)


@settings(deadline=None, max_examples=30)
@given(shape=shapes, masked=st.booleans(), data=st.data())
def test_attention_weights_pass_gradcheck(shape, masked, data):
    batch, heads, queries, keys, depth, _ = shape
    q = data.draw(float64_arrays((batch, heads, queries, depth)))
    k = data.draw(float64_arrays((batch, heads, keys, depth)))
    mask = masks(data, (batch, 1, queries, keys)) if masked else None
    weights = data.draw(float64_arrays((batch, heads, queries, keys)))  # a loss that weighs every output
    gradcheck(lambda a, b: F.sum(attention_weights(a, b, 0.7, mask) * weights), leaf(q), leaf(k),
              atol=1e-6, rtol=1e-4)


@settings(deadline=None, max_examples=30)
@given(shape=shapes, data=st.data())
def test_dot_product_attention_passes_gradcheck(shape, data):
    batch, heads, queries, keys, depth, value_depth = shape
    q = data.draw(float64_arrays((batch, heads, queries, depth)))
    k = data.draw(float64_arrays((batch, heads, keys, depth)))
    v = data.draw(float64_arrays((batch, heads, keys, value_depth)))
    mask = masks(data, (batch, 1, queries, keys))
    gradcheck(lambda a, b, c: dot_product_attention(a, b, c, 0.5, mask)[0], leaf(q), leaf(k), leaf(v),
              atol=1e-6, rtol=1e-4)


def test_attention_matches_the_textbook_loops(rng):
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 2))
    mask = rng.random((2, 3, 5)) > 0.4
    mask[:, :, 0] = True
    output, weights = dot_product_attention(q, k, v, 0.5, mask)
    for b in range(2):
        for i in range(3):
            scores = np.array([0.5 * q[b, i] @ k[b, j] if mask[b, i, j] else -np.inf for j in range(5)])
            p = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
            np.testing.assert_allclose(weights.data[b, i], p, rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(output.data[b, i], p @ v[b], rtol=1e-12)


def test_a_fully_masked_query_attends_to_nothing_as_in_keras(rng):
    mask = np.ones((1, 2, 4), dtype=bool)
    mask[0, 0] = False
    weights = attention_weights(rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 4, 3)), 1.0, mask)
    np.testing.assert_array_equal(weights.data[0, 0], 0.0)
    np.testing.assert_allclose(weights.data[0, 1].sum(), 1.0)


def test_attention_refuses_a_mask_of_the_wrong_shape(rng):
    with pytest.raises(ValueError, match=r"mask of shape \(3, 3\) does not broadcast .* \(1, 2, 4\)"):
        attention_weights(rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 4, 3)), 1.0, np.ones((3, 3), bool))


def attend_with(layer, weights, query, value, **options):
    """The layer's output with ``weights`` (Tensors, in get_weights order) in place of its own."""
    pairs = [tuple(weights[i:i + 2]) for i in range(0, 8, 2)]
    layer._query_weights, layer._key_weights, layer._value_weights, layer._attention_output_weights = pairs
    return layer.attend(query, value, **options)


@settings(deadline=None, max_examples=15)
@given(heads=st.integers(1, 3), key_dim=st.integers(1, 3), causal=st.booleans(), data=st.data())
def test_multi_head_attention_layer_passes_gradcheck_for_inputs_and_weights(heads, key_dim, causal, data):
    x = data.draw(float64_arrays((2, 4, 3)))
    value = data.draw(float64_arrays((2, 4, 2)))
    layer = L.MultiHeadAttention(heads, key_dim, value_dim=2, dtype="float64")
    layer(x, value)
    weights = [leaf(w + 0.1) for w in layer.get_weights()]
    gradcheck(lambda q, v, *ws: attend_with(layer, ws, q, v, use_causal_mask=causal), leaf(x), leaf(value),
              *weights, atol=1e-6, rtol=1e-4)


def test_causal_attention_ignores_later_positions(rng):
    layer = L.MultiHeadAttention(2, 3)
    x = rng.normal(size=(1, 5, 4)).astype(np.float32)
    first = layer(x, x, use_causal_mask=True).data
    changed = x.copy()
    changed[:, 3:] += 1.0
    second = layer(changed, changed, use_causal_mask=True).data
    np.testing.assert_array_equal(first[:, :3], second[:, :3])
    assert not np.allclose(first[:, 3:], second[:, 3:])


def test_attention_scores_sum_to_one_and_dropout_acts_only_in_training(rng):
    layer = L.MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    y, scores = layer(x, x, return_attention_scores=True)
    assert scores.shape == (2, 2, 4, 4)
    np.testing.assert_allclose(scores.data.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(layer(x, x).data, y.data)  # inference: no dropout
    assert not np.allclose(layer(x, x, training=True).data, y.data)


def test_multi_head_attention_errors_name_the_argument():
    with pytest.raises(ValueError, match="num_heads must be a positive int, got 0"):
        L.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="attention_axes=\\(2,\\) is not supported"):
        L.MultiHeadAttention(2, 3, attention_axes=2)(np.zeros((1, 3, 4, 5)), np.zeros((1, 3, 4, 5)))
    with pytest.raises(ValueError, match="needs a query and a value"):
        L.MultiHeadAttention(2, 3)(np.zeros((1, 3, 4)))
    with pytest.raises(ValueError, match=r"attention_mask must have shape \(batch, queries, keys\) = \(1, 3, 3\)"):
        L.MultiHeadAttention(2, 3)(np.zeros((1, 3, 4)), np.zeros((1, 3, 4)), attention_mask=np.ones((1, 2, 3)))


@settings(deadline=None, max_examples=15)
@given(mode=st.sampled_from(["dot", "concat", "additive"]), data=st.data())
def test_attention_and_additive_attention_pass_gradcheck(mode, data):
    q, v = data.draw(float64_arrays((2, 3, 4))), data.draw(float64_arrays((2, 5, 4)))
    layer = L.AdditiveAttention(dtype="float64") if mode == "additive" else \
        L.Attention(use_scale=True, score_mode=mode, dtype="float64")
    layer([q, v])
    mask = [np.ones((2, 3), bool), np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 1]], bool)]
    gradcheck(lambda a, b: layer([a, b], mask=mask, use_causal_mask=True), leaf(q), leaf(v), atol=1e-6, rtol=1e-4)


@settings(deadline=None, max_examples=15)
@given(axes=st.sampled_from([1, 2, (1, 1), (2, 1)]), normalize=st.booleans(), data=st.data())
def test_dot_passes_gradcheck(axes, normalize, data):
    a = data.draw(float64_arrays((2, 3, 3), 0.5, 2.0))
    b = data.draw(float64_arrays((2, 3, 2) if axes in (1, (1, 1)) else (2, 3, 3), 0.5, 2.0))
    layer = L.Dot(axes, normalize=normalize, dtype="float64")
    gradcheck(lambda x, y: layer([x, y]), leaf(a), leaf(b), atol=1e-6, rtol=1e-4)


def test_dot_of_vectors_is_the_cosine_when_normalized():
    a, b = np.array([[3.0, 4.0]]), np.array([[4.0, 3.0]])
    np.testing.assert_allclose(L.Dot(1, normalize=True)([a, b]).data, [[24 / 25]], rtol=1e-6)
    assert L.Dot(1)([Tensor(a), Tensor(b)]).shape == (1, 1)


def test_symbolic_tensors_add_subtract_and_multiply_as_keras_tensors_do(rng):
    import minidl

    a, b = L.Input((3,)), L.Input((3,))
    model = minidl.Model([a, b], [a + b, a - b, a * b])
    x, y = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    total, difference, product = model.predict([x, y], verbose=0)
    np.testing.assert_allclose(total, x + y)
    np.testing.assert_allclose(difference, x - y)
    np.testing.assert_allclose(product, x * y)
    assert [type(layer).__name__ for layer in model.layers[2:]] == ["Add", "Subtract", "Multiply"]

