"""Attention layers side by side with Keras: the same weights give the same outputs and scores; .keras files
written by either library load in the other."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

if os.environ.get("CI"):
    import keras  # noqa: E402
else:
    keras = pytest.importorskip("keras")

import minidl  # noqa: E402
from minidl import layers as L  # noqa: E402


def close(ours, theirs):
    np.testing.assert_allclose(ours.data if hasattr(ours, "data") else ours, np.asarray(theirs), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("options, call", [
    ({"num_heads": 2, "key_dim": 3}, {}),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 5, "output_shape": 4}, {"masked": True}),
    ({"num_heads": 2, "key_dim": 4, "use_bias": False}, {"masked": True, "key": True}),
    ({"num_heads": 1, "key_dim": 3}, {"self": True, "use_causal_mask": True}),
    ({"num_heads": 2, "key_dim": 3}, {"self": True, "use_causal_mask": True, "masked": True}),
])
def test_multi_head_attention_matches_keras_with_its_weights(options, call, rng):
    q = rng.normal(size=(3, 5, 8)).astype(np.float32)
    v = q if call.get("self") else rng.normal(size=(3, 7, 6)).astype(np.float32)
    k = rng.normal(size=(3, v.shape[1], 4)).astype(np.float32) if call.get("key") else None
    arguments = {"use_causal_mask": call.get("use_causal_mask", False), "return_attention_scores": True}
    if call.get("masked"):
        mask = rng.random((3, 5, v.shape[1])) > 0.3
        arguments["attention_mask"] = mask
    theirs = keras.layers.MultiHeadAttention(**options)
    ours = L.MultiHeadAttention(**options)
    ours(q, v, k)
    theirs(q, v, k)
    ours.set_weights([w + 0.1 for w in theirs.get_weights()])
    theirs.set_weights([w + 0.1 for w in theirs.get_weights()])
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    their_output, their_scores = theirs(q, v, k, **arguments)
    our_output, our_scores = ours(q, v, k, **arguments)
    close(our_output, their_output)
    close(our_scores, their_scores)


def test_multi_head_attention_over_an_image_attends_over_both_axes_as_keras(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    theirs, ours = keras.layers.MultiHeadAttention(2, 3), L.MultiHeadAttention(2, 3)
    theirs(x, x), ours(x, x)
    ours.set_weights(theirs.get_weights())
    their_output, their_scores = theirs(x, x, return_attention_scores=True)
    our_output, our_scores = ours(x, x, return_attention_scores=True)
    close(our_output, their_output)
    close(our_scores, their_scores)


@pytest.mark.parametrize("name, options, inputs", [
    ("Attention", {}, 2), ("Attention", {"use_scale": True}, 3),
    ("Attention", {"score_mode": "concat", "use_scale": True}, 2), ("AdditiveAttention", {}, 3),
    ("AdditiveAttention", {"use_scale": False}, 2),
])
def test_attention_layers_match_keras_with_masks(name, options, inputs, rng):
    q, v, k = (rng.normal(size=(3, 4, 5)).astype(np.float32), rng.normal(size=(3, 6, 2)).astype(np.float32),
               rng.normal(size=(3, 6, 5)).astype(np.float32))
    tensors = [q, v, k][:inputs] if inputs == 3 else [q, rng.normal(size=(3, 6, 5)).astype(np.float32)]
    mask = [rng.random((3, 4)) > 0.3, rng.random((3, 6)) > 0.3]
    theirs, ours = getattr(keras.layers, name)(**options), getattr(L, name)(**options)
    theirs(tensors), ours(tensors)
    if theirs.get_weights():
        weights = [w + 0.3 for w in theirs.get_weights()]
        theirs.set_weights(weights)
        ours.set_weights(weights)
    for causal in (False, True):
        expected = theirs(tensors, mask=mask, use_causal_mask=causal, return_attention_scores=True)
        got = ours(tensors, mask=mask, use_causal_mask=causal, return_attention_scores=True)
        close(got[0], expected[0])
        close(got[1], expected[1])


@pytest.mark.parametrize("axes, shapes", [(1, [(4,), (4,)]), (2, [(3, 4), (5, 4)]), ((1, 1), [(3, 4), (3, 2)]),
                                          ((2, 1), [(3, 4), (4, 2)]), ((1, 2), [(3, 4), (2, 3)])])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_keras(axes, shapes, normalize, rng):
    a, b = (rng.normal(size=(3, *shape)).astype(np.float32) for shape in shapes)
    close(L.Dot(axes, normalize=normalize)([a, b]), keras.layers.Dot(axes, normalize=normalize)([a, b]))


def test_a_keras_transformer_block_file_loads_in_minidl_with_masks_and_causality(tmp_path, rng):
    inputs = keras.Input((6, 8))
    mask = keras.Input((6, 6), dtype="bool")
    x = keras.layers.MultiHeadAttention(2, 4, dropout=0.1)(inputs, inputs, attention_mask=mask, use_causal_mask=True)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(x + inputs)
    model = keras.Model([inputs, mask], keras.layers.GlobalAveragePooling1D()(x))
    model.save(tmp_path / "keras.keras")
    loaded = minidl.load_model(tmp_path / "keras.keras")
    x = rng.normal(size=(4, 6, 8)).astype(np.float32)
    m = rng.random((4, 6, 6)) > 0.3
    np.testing.assert_allclose(loaded.predict([x, m]), model.predict([x, m], verbose=0), rtol=1e-5, atol=1e-5)


def test_a_minidl_attention_model_file_loads_in_keras_with_the_same_outputs(tmp_path, rng):
    inputs = L.Input((5, 6))
    values = L.Input((4, 3))
    mask = L.Input((5, 4))
    attended, scores = L.MultiHeadAttention(2, 3, value_dim=2, name="mha")(
        inputs, values, attention_mask=mask, return_attention_scores=True)
    luong = L.Attention(use_scale=True)([inputs, L.Dense(6)(values)])
    cosine = L.Dot(axes=2, normalize=True)([attended, luong])
    model = minidl.Model([inputs, values, mask], [cosine, scores])
    model.save(tmp_path / "minidl.keras")
    theirs = keras.models.load_model(tmp_path / "minidl.keras")
    data = [rng.normal(size=(2, 5, 6)).astype(np.float32), rng.normal(size=(2, 4, 3)).astype(np.float32),
            (rng.random((2, 5, 4)) > 0.3).astype(np.float32)]
    for ours, expected in zip(model.predict(data), theirs.predict(data, verbose=0), strict=True):
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    again = minidl.load_model(tmp_path / "minidl.keras")  # and back, through minidl's reader
    for ours, expected in zip(model.predict(data), again.predict(data), strict=True):
        np.testing.assert_array_equal(ours, expected)
