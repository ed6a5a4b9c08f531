"""The CUDA kernels of minidl/kernels/gpu.py agree with the reference kernels, run on the CPU (see cuda_on_cpu.py).

These run wherever a C++ compiler is, GPU or not: they check each kernel's
body, index arithmetic and wrapper. tests/test_gpu.py runs the same kernels
on a real GPU where there is one.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minidl.functional.padding import output_length, padding_amounts
from minidl.kernels import reference
from tests.cuda_on_cpu import COMPILER, load_gpu_kernels

pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler to build the CUDA bodies for the CPU")


@pytest.fixture(scope="module")
def gpu():
    return load_gpu_kernels()


@st.composite
def window_case(draw, pooling=False):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if pooling else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w, c = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 4))
    if padding == "valid":
        assume(h >= (kh - 1) * dilation[0] + 1 and w >= (kw - 1) * dilation[1] + 1)
    sizes = zip((h, w), (kh, kw), strides, dilation)
    out, pads = zip(*[(output_length(n_, k, s, d, padding), padding_amounts(n_, k, s, d, padding))
                      for n_, k, s, d in sizes])
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = np.random.default_rng(draw(st.integers(0, 1000))).normal(size=(n, h, w, c)).astype(dtype)
    return x, (kh, kw), strides, dilation, tuple(pads), tuple(out)


@given(case=window_case())
def test_cuda_im2col_and_col2im_match_the_reference(gpu, case):
    x, kernel, strides, dilation, pads, out = case
    cols = gpu.im2col(x, kernel, strides, dilation, pads, out)
    np.testing.assert_array_equal(cols, reference.im2col(x, kernel, strides, dilation, pads, out))
    np.testing.assert_allclose(gpu.col2im(cols, x.shape, strides, dilation, pads),
                               reference.col2im(cols, x.shape, strides, dilation, pads), rtol=1e-6, atol=1e-6)


@given(case=window_case(pooling=True))
def test_cuda_pooling_matches_the_reference(gpu, case):
    x, pool, strides, _, pads, out = case
    y, argmax = gpu.max_pool2d_forward(x, pool, strides, pads, out)
    y_ref, argmax_ref = reference.max_pool2d_forward(x, pool, strides, pads, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    gy = np.random.default_rng(0).normal(size=y.shape).astype(x.dtype)
    np.testing.assert_allclose(gpu.max_pool2d_backward(gy, argmax, x.shape, pool, strides, pads),
                               reference.max_pool2d_backward(gy, argmax_ref, x.shape, pool, strides, pads), rtol=1e-6)
    np.testing.assert_allclose(gpu.avg_pool2d_forward(x, pool, strides, pads, out),
                               reference.avg_pool2d_forward(x, pool, strides, pads, out), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gpu.avg_pool2d_backward(gy, x.shape, pool, strides, pads),
                               reference.avg_pool2d_backward(gy, x.shape, pool, strides, pads), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_activation_kernels_match_the_reference(gpu, dtype):
    x = np.random.default_rng(1).normal(size=(4, 5, 3)).astype(dtype)
    x[0, 0, 0] = 0.0
    gy = np.random.default_rng(2).normal(size=x.shape).astype(dtype)
    y = gpu.relu_forward(x)
    np.testing.assert_array_equal(y, reference.relu_forward(x))
    np.testing.assert_array_equal(gpu.relu_backward(gy, y), reference.relu_backward(gy, y))
    s = (1 / (1 + np.exp(-x))).astype(dtype)
    np.testing.assert_allclose(gpu.sigmoid_backward(gy, s), reference.sigmoid_backward(gy, s), rtol=1e-6)
    np.testing.assert_allclose(gpu.tanh_backward(gy, np.tanh(x)), reference.tanh_backward(gy, np.tanh(x)), rtol=1e-6)


@pytest.mark.parametrize("name", ["adam", "adam_amsgrad", "momentum", "nesterov", "rmsprop", "rmsprop_centered_momentum"])
def test_cuda_optimizer_updates_match_the_reference(gpu, name):
    rng = np.random.default_rng(3)
    first = [rng.random(29).astype(np.float32) for _ in range(5)]
    first[2] += first[3] ** 2
    second = [a.copy() for a in first]
    for module, (w, g, a, b, c) in ((gpu, first), (reference, second)):
        if name.startswith("adam"):
            module.adam_update(w, g, a, b, c if name == "adam_amsgrad" else None, 0.01, 0.9, 0.999, 1e-7)
        elif name in ("momentum", "nesterov"):
            module.momentum_update(w, g, a, 0.1, 0.9, name == "nesterov")
        else:
            centered = name != "rmsprop"
            module.rmsprop_update(w, g, a, b if centered else None, c if centered else None, 0.01, 0.9,
                                  0.5 if centered else 0.0, 1e-7)
    for got, expected in zip(first, second):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_cuda_max_pool_ties_go_to_the_first_maximum(gpu):
    x = np.zeros((1, 2, 2, 1), np.float32)
    assert gpu.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))[1].item() == 0


@pytest.mark.parametrize("with_bias", [True, False])
def test_cuda_fused_bias_relu_matches_the_reference(gpu, with_bias):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32) if with_bias else None
    np.testing.assert_allclose(gpu.bias_relu(x.copy(), bias), reference.bias_relu(x.copy(), bias), rtol=1e-6)
