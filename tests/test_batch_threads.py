"""Inference splits a batch over the cores: one contiguous part of the samples per thread, BLAS on one thread."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import functional as F
from minidl import layers as L
from minidl.autodiff.function import no_grad
from minidl.core import batch_threads, cores
from tests.test_conv_pool import direct_conv2d

needs_a_split = pytest.mark.skipif(batch_threads.parts_for(1000) < 2,
                                   reason="one core, or no OpenBLAS with several threads: batches are not split")


def direct_max_pool(z, pool):
    n, h, w, c = z.shape
    ph, pw = h // pool[0], w // pool[1]
    return z[:, : ph * pool[0], : pw * pool[1]].reshape(n, ph, pool[0], pw, pool[1], c).max(axis=(2, 4))


@settings(max_examples=15, deadline=None)
@given(samples=st.integers(1, 9), size=st.integers(3, 8), channels=st.integers(1, 4), filters=st.integers(1, 5),
       padding=st.sampled_from(["valid", "same"]), pooled=st.booleans(), seed=st.integers(0, 1000))
def test_a_split_batch_gives_the_direct_convolution(samples, size, channels, filters, padding, pooled, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, size, size + 1, channels)).astype(np.float32)
    kernel = rng.normal(size=(2, 3, channels, filters)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    expected = np.maximum(direct_conv2d(x.astype(np.float64), kernel.astype(np.float64), bias, (1, 1), padding,
                                        (1, 1)), 0)
    with no_grad():
        if pooled and min(expected.shape[1:3]) >= 2:
            y = F.conv2d_relu_max_pool2d(x, kernel, bias, padding=padding, pool_size=2).numpy()
            expected = direct_max_pool(expected, (2, 2))
        else:
            y = F.conv2d(x, kernel, bias, padding=padding, activation="relu").numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


@needs_a_split
def test_predict_splits_the_batch_and_gives_the_outputs_of_one_piece(monkeypatch):
    parts = []
    original = batch_threads.run_in_parts

    def counted(work, samples, *rest):
        def recorded(start, stop):
            parts.append((start, stop, threading.current_thread().name))
            work(start, stop)
        original(recorded, samples, *rest)

    monkeypatch.setattr(batch_threads, "run_in_parts", counted)
    minidl.random.seed(0)
    model = minidl.Sequential([L.Input((12, 10, 2)), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(2),
                               L.Conv2D(8, 3, padding="same", activation="relu"), L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(0).normal(size=(40, 12, 10, 2)).astype(np.float32)
    split, expected_parts = model.predict(x, batch_size=20, verbose=0), batch_threads.parts_for(20)
    monkeypatch.setenv("MINIDL_BATCH_THREADS", "0")
    whole = model.predict(x, batch_size=20, verbose=0)
    np.testing.assert_allclose(split, whole, rtol=1e-6, atol=1e-6)
    first_layer = sorted((start, stop) for start, stop, _ in parts[:expected_parts])
    assert first_layer[0][0] == 0 and first_layer[-1][1] == 20
    assert all(a[1] == b[0] for a, b in zip(first_layer, first_layer[1:]))  # contiguous, covering the batch once
    assert len({name for _, _, name in parts}) >= 2  # the parts ran in more than one thread


@needs_a_split
def test_blas_threads_are_restored_after_a_split_and_after_a_failing_part():
    get, _ = batch_threads._openblas_functions()
    before, seen = get(), []

    def work(start, stop):
        seen.append(get())
        if start > 0:
            raise ZeroDivisionError("a part failed")

    with pytest.raises(ZeroDivisionError):
        batch_threads.run_in_parts(work, 10)
    assert set(seen) == {1} and get() == before
    batch_threads.run_in_parts(lambda start, stop: seen.append((start, stop)), 10)
    assert get() == before


def test_no_split_in_a_part_when_switched_off_or_for_one_sample(monkeypatch):
    assert batch_threads.parts_for(1) == 1
    assert batch_threads.parts_for(8, min_samples_per_part=8) == 1
    assert batch_threads.parts_for(1000) <= cores.COUNT
    calls = []
    batch_threads.run_in_parts(lambda start, stop: calls.append((start, stop, batch_threads.parts_for(10))), 10)
    assert all(inner == 1 for _, _, inner in calls)  # a part never splits again
    monkeypatch.setenv("MINIDL_BATCH_THREADS", "0")
    calls.clear()
    batch_threads.run_in_parts(lambda start, stop: calls.append((start, stop)), 10)
    assert calls == [(0, 10)]


def test_training_convolutions_are_not_split(monkeypatch):
    monkeypatch.setattr(batch_threads, "run_in_parts", lambda *a: pytest.fail("split while gradients are recorded"))
    model = minidl.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3, activation="relu"), L.MaxPooling2D(2),
                               L.Conv2D(3, 2, padding="same"), L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 6, 6, 2)).astype(np.float32)
    model.fit(x, np.zeros((8, 2), np.float32), epochs=1, verbose=0)
