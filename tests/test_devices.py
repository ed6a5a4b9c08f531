"""Devices: names, moves, defaults, and what a machine without a GPU says (these run everywhere)."""

import numpy as np
import pytest

import minidl
from minidl import Tensor
from minidl.core import backend
from minidl.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

needs_no_gpu = pytest.mark.skipif(backend.gpu_available(), reason="checks the messages of a machine without a GPU")


def test_device_names_are_checked_and_an_unknown_one_lists_the_valid_ones():
    assert backend.check_device("CPU") == "cpu" and backend.check_device("cuda") == "gpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'; valid devices are: cpu, gpu, cuda"):
        backend.check_device("tpu")
    with pytest.raises(ValueError, match="unknown device"):
        Tensor([1.0]).to("tpu")


def test_moving_to_the_cpu_keeps_numpy_data_as_it_is():
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert t.device == "cpu" and t.to("cpu") is t
    data = np.arange(3.0)
    assert backend.to_device(data, "cpu") is data and backend.device_of(data) == "cpu"


@needs_no_gpu
def test_without_a_gpu_moving_there_says_why_and_changes_nothing():
    reason = backend.gpu_unavailable_reason()
    assert reason and not backend.gpu_available()
    t = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="cannot move data to the gpu: " + reason.split(" (")[0]):
        t.to("gpu")
    model = minidl.Sequential([Dense(2, input_shape=(3,))])
    before = model.get_weights()
    with pytest.raises(RuntimeError, match="gpu"):
        model.to("gpu")
    assert model.device == "cpu"
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="cannot make the gpu the default device"):
        minidl.device("gpu")
    assert backend.default_device() == "cpu"


def test_the_default_device_holds_for_a_block_and_comes_back():
    assert backend.default_device() == "cpu"
    with minidl.device("cpu") as chosen:
        assert chosen.name == "cpu" and backend.default_device() == "cpu"
        layer = Dense(2)
        layer.ensure_built((3,))
        assert layer.device == "cpu" and layer.kernel.device == "cpu"
    assert backend.default_device() == "cpu"


def test_a_model_moved_to_the_cpu_trains_and_moves_its_optimizer_state():
    minidl.core.random.seed(0)
    model = minidl.Sequential([Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)), MaxPooling2D(2),
                               Flatten(), Dropout(0.2), Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    x = np.random.default_rng(0).random((8, 6, 6, 1)).astype(np.float32)
    y = np.arange(8) % 2
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert model.to("cpu") is model and model.device == "cpu"
    assert all(backend.device_of(a) == "cpu" for state in model.optimizer.state.values() for a in state.values())
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert isinstance(model.predict(x), np.ndarray)
