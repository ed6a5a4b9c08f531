"""The buffer cache reuses a buffer only when nothing refers to it any more, and stays within its limit."""

import numpy as np

import minidl
from minidl.core import backend
from minidl.layers import BatchNormalization, Conv2D, Dense, Flatten, MaxPooling2D
from minidl.core.memory import BufferCache


def test_a_buffer_is_reused_only_after_every_view_of_it_is_gone():
    cache = BufferCache(limit_bytes=2**20, min_bytes=0)
    first = cache.empty((10, 10), np.float32)
    second = cache.empty((10, 10), np.float32)
    assert first.base is not second.base
    first_buffer = id(first.base)
    view = first[::2].T  # a view keeps the buffer busy
    del first
    third = cache.empty((10, 10), np.float32)
    assert id(third.base) != first_buffer
    del view
    assert id(cache.empty((10, 10), np.float32).base) == first_buffer
    assert id(cache.empty((5, 20), np.float32).base) == first_buffer  # the same byte count, another shape


def test_a_free_buffer_of_another_size_is_not_handed_out():
    cache = BufferCache(limit_bytes=2**20, min_bytes=0)
    buffer = id(cache.empty((100,), np.float32).base)
    assert id(cache.empty((100,), np.float64).base) != buffer
    assert cache.empty((100,), np.int8).shape == (100,)


def test_the_cache_forgets_the_oldest_buffers_to_stay_within_its_limit():
    cache = BufferCache(limit_bytes=3000, min_bytes=0)
    kept = [cache.empty((1000,), np.uint8) for _ in range(5)]  # in use: the cache forgets, the users keep them
    assert cache.cached_bytes <= 3000
    kept[0][:] = 7
    assert (kept[0] == 7).all() and len(cache.buffers) == 3


def test_small_and_huge_arrays_bypass_the_cache():
    cache = BufferCache(limit_bytes=1000, min_bytes=100)
    assert cache.empty((10,), np.uint8).base is None
    assert cache.empty((2000,), np.uint8).base is None
    assert cache.cached_bytes == 0


def test_backend_zeros_are_zero_even_in_a_reused_buffer(cache_every_array):
    like = np.zeros(1, np.float32)
    dirty = backend.empty((50, 3), np.float32, like)
    dirty[:] = 5
    del dirty
    zeros = backend.zeros((50, 3), np.float32, like)
    assert cache_every_array.hits >= 1 and not zeros.any()


def _cnn_history(epochs=2):
    minidl.core.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((40, 10, 12, 1)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = minidl.Sequential([Conv2D(4, 3, activation="relu", input_shape=(10, 12, 1)), MaxPooling2D(2),
                               BatchNormalization(), Flatten(), Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, shuffle=True)
    return history.history, model.get_weights()


def test_training_through_the_cache_gives_the_same_numbers_as_without_it(cache_every_array):
    with_cache, weights_with_cache = _cnn_history()
    assert cache_every_array.hits > 0
    cache_every_array.limit_bytes = 0  # off: every array is fresh
    without_cache, weights_without_cache = _cnn_history()
    assert with_cache == without_cache
    for a, b in zip(weights_with_cache, weights_without_cache):
        np.testing.assert_array_equal(a, b)
