"""StringLookup and IntegerLookup over arrays: Keras 3's vocabularies from adapt, indices, vectors and inverses."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl import layers as L  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

DATA = np.array([["a", "b", "c"], ["b", "b", "d"], ["e", "a", "b"]])
QUERY = np.array([["a", "z", "d"], ["b", "c", "e"]])


@needs_keras
@pytest.mark.parametrize("options", [dict(), dict(mask_token=""), dict(max_tokens=4), dict(output_mode="multi_hot"),
                                     dict(output_mode="count"), dict(output_mode="one_hot", max_tokens=8,
                                                                     pad_to_max_tokens=True)], ids=str)
def test_adapted_string_lookup_is_kerass(options):
    theirs, mine = keras.layers.StringLookup(**options), L.StringLookup(**options)
    theirs.adapt(DATA)
    mine.adapt(DATA)
    assert mine.get_vocabulary() == theirs.get_vocabulary() and mine.vocabulary_size() == theirs.vocabulary_size()
    query = QUERY[:, :1] if options.get("output_mode") == "one_hot" else QUERY
    np.testing.assert_array_equal(mine(query).data, keras.ops.convert_to_numpy(theirs(query)))


@needs_keras
def test_integer_lookup_and_its_inverse_are_kerass():
    vocabulary = [12, 36, 1138, 42]
    ids = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(L.IntegerLookup(vocabulary=vocabulary)(ids).data,
                                  keras.ops.convert_to_numpy(keras.layers.IntegerLookup(vocabulary=vocabulary)(ids)))
    indices = np.array([[1, 3, 4], [4, 0, 2]])
    inverse = keras.layers.IntegerLookup(vocabulary=vocabulary, invert=True)(indices)
    np.testing.assert_array_equal(L.IntegerLookup(vocabulary=vocabulary, invert=True)(indices).data,
                                  keras.ops.convert_to_numpy(inverse))


def test_string_inverse_gives_tokens_and_the_oov_token():
    tokens = L.StringLookup(vocabulary=["a", "b"], invert=True)(np.array([0, 1, 2, 5]))
    assert tokens.tolist() == ["[UNK]", "a", "b", "[UNK]"]


def test_an_unknown_token_without_an_oov_index_is_refused():
    with pytest.raises(ValueError, match="the token 'z' is not in the vocabulary and num_oov_indices=0"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "z"]))


def test_a_lookup_in_a_model_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="runs on arrays before a model"):
        L.StringLookup(vocabulary=["a"])(L.Input((3,)))


def test_looked_up_ids_feed_an_embedding_model():
    lookup = L.StringLookup()
    lookup.adapt(DATA)
    model = minidl.Sequential([L.Input((3,)), L.Embedding(lookup.vocabulary_size(), 2), L.Flatten(), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(lookup(DATA).data, np.ones(3), epochs=1, verbose=0)


TEXTS = np.array(["The cat sat on the mat.", "The dog sat, down!", "A cat? A DOG; the end", ""])
QUERIES = np.array(["the cat and the dog", "mat mat mat", "unknown words here only", ""])


@needs_keras
@pytest.mark.parametrize("options", [dict(), dict(output_sequence_length=3),
                                     dict(max_tokens=5, output_sequence_length=6), dict(output_mode="multi_hot"),
                                     dict(output_mode="count", max_tokens=6), dict(standardize="lower")], ids=str)
def test_text_vectorization_is_kerass(options):
    theirs, mine = keras.layers.TextVectorization(**options), L.TextVectorization(**options)
    theirs.adapt(TEXTS)
    mine.adapt(TEXTS)
    assert mine.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_array_equal(mine(QUERIES).data, keras.ops.convert_to_numpy(theirs(QUERIES)))


def test_text_vectorization_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="output_mode 'tf_idf' are not supported"):
        L.TextVectorization(output_mode="tf_idf")
    with pytest.raises(ValueError, match="texts must be a 1-D array"):
        L.TextVectorization(vocabulary=["a"])(np.array([["a b", "c"]]))
