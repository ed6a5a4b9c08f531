"""The GPU backend gives the CPU's results: kernels, functions, layers, training, saving.

Every test here compares a computation on cupy arrays with the same one on
numpy arrays. Without cupy or a CUDA device the whole module is skipped, with
the reason.
"""

import numpy as np
import pytest
from hypothesis import given

import minidl
from minidl import Tensor, kernels
from minidl.core import backend
from minidl import functional as F
from tests.kernel_cases import (
    reference,
    OPTIMIZER_UPDATES,
    check_im2col_and_col2im,
    check_optimizer_update,
    check_pooling,
    window_case,
)
from minidl.layers import BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Flatten, MaxPooling2D

if not backend.gpu_available():
    pytest.skip(f"no GPU backend here: {backend.gpu_unavailable_reason()}", allow_module_level=True)

import cupy  # noqa: E402

gpu = kernels.cuda_kernels()
RNG = np.random.default_rng(0)


def on_gpu(array):
    return cupy.asarray(array)


def close(gpu_result, cpu_result, rtol=1e-5, atol=1e-6):
    assert isinstance(gpu_result, cupy.ndarray), type(gpu_result)
    np.testing.assert_allclose(cupy.asnumpy(gpu_result), cpu_result, rtol=rtol, atol=atol)


@given(case=window_case())
def test_window_kernels_match_the_reference(case):
    check_im2col_and_col2im(gpu, case, to=on_gpu, back=cupy.asnumpy)


@given(case=window_case(pooling=True))
def test_pooling_kernels_match_the_reference(case):
    check_pooling(gpu, case, to=on_gpu, back=cupy.asnumpy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_and_channel_kernels_match_the_reference(dtype):
    x = RNG.normal(size=(4, 5, 3)).astype(dtype)
    gy = RNG.normal(size=x.shape).astype(dtype)
    close(gpu.relu_forward(on_gpu(x)), reference.relu_forward(x), rtol=0, atol=0)
    y = reference.relu_forward(x)
    close(gpu.relu_backward(on_gpu(gy), on_gpu(y)), reference.relu_backward(gy, y), rtol=0, atol=0)
    s = 1 / (1 + np.exp(-x))
    close(gpu.sigmoid_backward(on_gpu(gy), on_gpu(s)), reference.sigmoid_backward(gy, s))
    close(gpu.tanh_backward(on_gpu(gy), on_gpu(np.tanh(x))), reference.tanh_backward(gy, np.tanh(x)))
    close(gpu.channel_sums(on_gpu(x)), reference.channel_sums(x))


@pytest.mark.parametrize("name", OPTIMIZER_UPDATES)
def test_fused_optimizer_updates_match_the_reference(name):
    check_optimizer_update(gpu, name, size=37, seed=4, to=on_gpu, back=cupy.asnumpy)


def moving(x, value):
    """A moving statistic of x's channels on x's device."""
    return backend.get_array_module(x.data).full(x.shape[-1], value, dtype=x.dtype)


FUNCTIONS = {  # name: (function of Tensors, input shapes)
    "conv2d_same_strided": (lambda x, k, b: F.conv2d(x, k, b, strides=2, padding="same"), [(2, 7, 8, 3), (3, 3, 3, 4), (4,)]),
    "conv1d_dilated": (lambda x, k: F.conv1d(x, k, dilation_rate=2), [(2, 11, 3), (3, 3, 2)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, padding="same"), [(2, 5, 7, 3)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, strides=2, padding="same"), [(2, 5, 7, 3)]),
    "relu_sigmoid_tanh": (lambda x: F.relu(x) + F.sigmoid(x) * F.tanh(x), [(3, 4)]),
    "softmax_cross_entropy": (lambda x: F.categorical_crossentropy(np.eye(4)[[0, 1, 2]], F.softmax(x)), [(3, 4)]),
    "sparse_cross_entropy_logits": (lambda x: F.sparse_categorical_crossentropy([0, 3, 1], x, from_logits=True), [(3, 4)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(5, 3), (3, 2), (2,)]),
    "batch_norm": (lambda x, g, b: F.batch_norm(x, moving(x, 0.0), moving(x, 1.0), g, b, training=True),
                   [(4, 5, 3), (3,), (3,)]),
    "reductions_and_shapes": (lambda x: F.mean(x, axis=(1, 2)) * F.sum(F.reshape(x, (3, 8)), axis=1), [(3, 2, 4)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_give_the_cpu_values_and_gradients_on_the_gpu(name):
    function, shapes = FUNCTIONS[name]
    arrays = [RNG.normal(size=shape) for shape in shapes]
    results = {}
    for device in ("cpu", "gpu"):
        inputs = [Tensor(backend.to_device(a, device), requires_grad=True) for a in arrays]
        output = function(*inputs)
        assert output.device == device
        output.sum().backward()
        results[device] = (output.numpy(), [t.grad for t in inputs])
    np.testing.assert_allclose(results["gpu"][0], results["cpu"][0], rtol=1e-9, atol=1e-12)
    for got, expected in zip(results["gpu"][1], results["cpu"][1]):
        close(got, expected, rtol=1e-9, atol=1e-12)


def test_gradcheck_passes_on_the_gpu():
    x = Tensor(on_gpu(RNG.normal(size=(2, 5, 5, 2))), requires_grad=True)
    k = Tensor(on_gpu(RNG.normal(size=(3, 3, 2, 2))), requires_grad=True)
    minidl.gradcheck(lambda a, b: F.conv2d(a, b, padding="same"), x, k)  # raises GradcheckError on a mismatch


def cnn(seed):
    minidl.core.random.seed(seed)
    return minidl.Sequential([Conv2D(4, 3, activation="relu", input_shape=(10, 12, 1)), MaxPooling2D(2),
                              BatchNormalization(), Flatten(), Dense(8, activation="relu"), Dense(3, activation="softmax")])


def test_training_on_the_gpu_follows_the_cpu_from_the_same_weights():
    x = RNG.random((48, 10, 12, 1)).astype(np.float32)
    y = RNG.integers(0, 3, 48)
    histories, predictions = {}, {}
    for device in ("cpu", "gpu"):
        model = cnn(1).to(device)
        model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        histories[device] = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
        predictions[device] = model.predict(x)
        assert model.device == device and isinstance(predictions[device], np.ndarray)
    np.testing.assert_allclose(histories["gpu"]["loss"], histories["cpu"]["loss"], rtol=1e-4)
    np.testing.assert_allclose(predictions["gpu"], predictions["cpu"], rtol=1e-3, atol=1e-5)


def test_moving_a_model_mid_training_moves_its_optimizer_state(tmp_path):
    x = RNG.random((32, 10, 12, 1)).astype(np.float32)
    y = RNG.integers(0, 3, 32)
    model = cnn(2)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.to("gpu")
    assert all(isinstance(a, cupy.ndarray) for state in model.optimizer.state.values() for a in state.values())
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.save(tmp_path / "gpu.npz")
    on_cpu = minidl.load_model(tmp_path / "gpu.npz")  # loads on the default device, the CPU
    assert on_cpu.device == "cpu"
    np.testing.assert_allclose(on_cpu.predict(x), model.predict(x), rtol=1e-4, atol=1e-6)
    model.to("cpu").save(tmp_path / "cpu.npz")
    for a, b in zip(minidl.load_model(tmp_path / "cpu.npz").get_weights(), on_cpu.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_default_device_builds_weights_on_the_gpu_and_dropout_draws_there():
    with minidl.device("gpu"):
        layer = Conv1D(2, 3)
        layer.ensure_built((6, 1))
        assert isinstance(layer.kernel.data, cupy.ndarray)
        minidl.core.random.seed(5)
        first = Dropout(0.5)(Tensor(cupy.ones((4, 6))), training=True)
        minidl.core.random.seed(5)
        second = Dropout(0.5)(Tensor(cupy.ones((4, 6))), training=True)
        assert isinstance(first.data, cupy.ndarray)
        np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert backend.default_device() == "cpu"


def test_the_kernels_dispatch_cupy_arrays_to_the_gpu_module():
    assert kernels.implementation("relu_forward", cupy.ones((2, 3, 3, 1), cupy.float32)) is gpu.relu_forward
