"""keras.utils.split_dataset over arrays: Keras 3's halves (sizes, order, seeded shuffles), batches for fit."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minidl  # noqa: E402
from minidl.utils import split_dataset  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

X = np.arange(22, dtype=np.float32).reshape(11, 2)
Y = np.arange(11) % 3


@needs_keras
@pytest.mark.parametrize("sizes", [dict(left_size=0.8), dict(right_size=3), dict(left_size=4, right_size=5),
                                   dict(left_size=0.25, right_size=0.5)])
@pytest.mark.parametrize("shuffle", [dict(), dict(shuffle=True, seed=7)])
def test_the_halves_are_kerass(sizes, shuffle):
    for mine, theirs in zip(split_dataset((X, Y), **sizes, **shuffle),
                            keras.utils.split_dataset((X, Y), **sizes, **shuffle), strict=True):
        theirs = [(np.asarray(x), np.asarray(y)) for x, y in theirs]
        assert len(mine) == len(theirs)
        for (x, y), (x_keras, y_keras) in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(x, x_keras)
            assert y == y_keras


@needs_keras
def test_one_array_splits_into_its_rows():
    left, right = split_dataset(X, left_size=0.5)
    keras_left, _ = keras.utils.split_dataset(X, left_size=0.5)
    np.testing.assert_array_equal(np.stack(list(left)), np.stack([np.asarray(row) for row in keras_left]))
    assert left.cardinality() == 6 and len(right) == 5


def test_a_dict_of_arrays_splits_by_key():
    left, right = split_dataset({"a": X, "b": Y}, right_size=0.2)
    assert len(left) == 9 and set(next(iter(right))) == {"a", "b"}
    np.testing.assert_array_equal(right.arrays["a"], X[9:])


def test_batches_train_a_model():
    left, right = split_dataset((X, Y), left_size=8)
    assert [len(b[0]) for b in left.batch(3)] == [3, 3, 2] and len(left.batch(3, drop_remainder=True)) == 2
    model = minidl.Sequential([minidl.layers.Input((2,)), minidl.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(left.batch(4), validation_data=right.batch(4), epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2


@pytest.mark.parametrize("sizes, message", [
    (dict(), "give left_size or right_size"),
    (dict(left_size=1.5), "left_size must be a fraction in \\(0, 1\\) or a count of samples in \\(0, 11\\)"),
    (dict(right_size=11), "right_size must be"),
    (dict(left_size=8, right_size=5), "ask for 8 \\+ 5 samples; the dataset has 11"),
])
def test_bad_sizes_are_refused_in_one_sentence(sizes, message):
    with pytest.raises(ValueError, match=message):
        split_dataset((X, Y), **sizes)


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="must have one length, got \\[10, 11\\]"):
        split_dataset((X[:10], Y), left_size=0.5)
