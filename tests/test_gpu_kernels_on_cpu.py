"""The CUDA kernels of minidl/kernels/ agree with the reference kernels, run on the CPU (see cuda_on_cpu.py).

These run wherever a C++ compiler is, GPU or not: they check each kernel's
body, index arithmetic and wrapper. tests/test_gpu.py runs the same kernels
on a real GPU where there is one.
"""

import numpy as np
import pytest
from hypothesis import given

from tests.cuda_on_cpu import COMPILER, load_gpu_kernels
from tests.kernel_cases import (
    reference,
    OPTIMIZER_UPDATES,
    check_im2col_and_col2im,
    check_optimizer_update,
    check_pooling,
    window_case,
)

pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler to build the CUDA bodies for the CPU")


@pytest.fixture(scope="module")
def gpu():
    return load_gpu_kernels()


@given(case=window_case())
def test_cuda_im2col_and_col2im_match_the_reference(gpu, case):
    check_im2col_and_col2im(gpu, case)


@given(case=window_case(pooling=True))
def test_cuda_pooling_matches_the_reference(gpu, case):
    check_pooling(gpu, case)


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


@pytest.mark.parametrize("name", OPTIMIZER_UPDATES)
def test_cuda_optimizer_updates_match_the_reference(gpu, name):
    check_optimizer_update(gpu, name, size=29, seed=3)


def test_cuda_max_pool_ties_go_to_the_first_maximum(gpu):
    x = np.zeros((1, 2, 2, 1), np.float32)
    assert gpu.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))[1].item() == 0


@pytest.mark.parametrize("with_bias", [True, False])
def test_cuda_fused_bias_relu_matches_the_reference(gpu, with_bias):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32) if with_bias else None
    np.testing.assert_allclose(gpu.bias_relu(x.copy(), bias), reference.bias_relu(x.copy(), bias), rtol=1e-6)
