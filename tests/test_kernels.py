"""The numba kernels agree with their plain numpy references on drawn shapes, strides, dilations and paddings."""

import contextlib
import importlib
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl import kernels
from tests.kernel_cases import (
    reference,
    OPTIMIZER_UPDATES,
    check_im2col_and_col2im,
    check_optimizer_update,
    check_pooling,
    window_case,
)

# numba is a dependency: a broken install fails here, loudly, instead of skipping these tests.
from minidl.kernels import conv, pooling  # noqa: E402

#: Every numba kernel, by name, whichever family module holds it.
cpu = types.SimpleNamespace(**{name: kernels.numba_kernel(name) for name in kernels.REFERENCES
                               if kernels.numba_kernel(name) is not None})


def test_numba_kernels_load_and_are_in_use():
    assert kernels.numba_problem == ""
    assert kernels.in_use() == "numba"


@given(case=window_case())
def test_im2col_and_col2im_match_the_reference(case):
    check_im2col_and_col2im(cpu, case)


@given(case=window_case(pooling=True))
def test_pooling_kernels_match_the_reference(case):
    check_pooling(cpu, case)


def test_max_pool_ties_go_to_the_first_maximum_in_both():
    x = np.zeros((1, 2, 2, 1), np.float32)
    assert cpu.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))[1].item() == 0
    assert reference.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))[1].item() == 0


@pytest.mark.parametrize("name", OPTIMIZER_UPDATES)
@given(size=st.integers(1, 50), seed=st.integers(0, 1000))
def test_fused_optimizer_updates_match_the_reference(name, size, seed):
    check_optimizer_update(cpu, name, size, seed)


def test_the_switch_selects_the_reference_kernels_and_strided_arrays_fall_back():
    x = np.ones((1, 4, 4, 2), np.float32)
    assert kernels.implementation("relu_forward", x) is cpu.relu_forward
    assert kernels.implementation("relu_forward", x[:, ::2]) is reference.relu_forward  # not contiguous
    assert kernels.implementation("relu_forward", x.astype(np.float16)) is reference.relu_forward
    try:
        kernels.use("reference")
        assert kernels.in_use() == "reference" and kernels.implementation("relu_forward", x) is reference.relu_forward
    finally:
        kernels.use("numba")
    with pytest.raises(ValueError, match="numba"):
        kernels.use("fortran")


def test_every_compiled_kernel_has_a_reference_beside_its_operation():
    families = [importlib.import_module(f"minidl.kernels.{family}") for family in kernels.FAMILIES]
    compiled = {name for module in families for name, value in vars(module).items() if callable(value)
                and not name.startswith("_") and getattr(value, "__module__", "") == module.__name__
                and name != "cuda_kernels"}
    assert compiled <= set(kernels.REFERENCES), compiled - set(kernels.REFERENCES)
    for name, function in kernels.REFERENCES.items():
        assert function.__module__.startswith(("minidl.functional.", "minidl.optimizers")), (name, function.__module__)


def test_the_operations_call_the_compiled_kernels(monkeypatch):
    calls = []
    original = conv.im2col
    monkeypatch.setattr(conv, "im2col", lambda *a: calls.append(a) or original(*a))
    minidl.functional.conv2d(np.ones((1, 3, 3, 1), np.float32), np.ones((2, 2, 1, 1), np.float32))
    assert len(calls) == 1


@st.composite
def channels_last_arrays(draw, dtype=None):
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))) + (draw(st.integers(1, 5)),)
    dtype = dtype or draw(st.sampled_from([np.float32, np.float64]))
    return np.random.default_rng(draw(st.integers(0, 1000))).normal(size=shape).astype(dtype)


@given(x=channels_last_arrays())
def test_activation_kernels_match_the_reference(x):
    gy = np.random.default_rng(1).normal(size=x.shape).astype(x.dtype)
    y = cpu.relu_forward(x)
    np.testing.assert_array_equal(y, reference.relu_forward(x))
    np.testing.assert_array_equal(cpu.relu_backward(gy, y), reference.relu_backward(gy, y))
    for name, output in (("sigmoid_backward", 1 / (1 + np.exp(-x))), ("tanh_backward", np.tanh(x))):
        np.testing.assert_allclose(getattr(cpu, name)(gy, output), getattr(reference, name)(gy, output), rtol=1e-6)


def test_relu_kernel_keeps_nan_and_zero_as_numpy_maximum():
    x = np.array([np.nan, 0.0, -0.0, -1.0, 2.0], np.float32)
    np.testing.assert_array_equal(cpu.relu_forward(x), np.maximum(x, 0))
    np.testing.assert_array_equal(cpu.relu_backward(np.ones(5, np.float32), np.maximum(x, 0)), [0, 0, 0, 0, 1])


@given(x=channels_last_arrays())
def test_channel_sums_and_batch_norm_kernels_match_the_reference(x):
    rtol = 1e-5 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(cpu.channel_sums(x), reference.channel_sums(x), rtol=rtol, atol=rtol)
    mean, variance = cpu.batch_norm_statistics(x)
    mean_ref, variance_ref = reference.batch_norm_statistics(x)
    np.testing.assert_allclose(mean, mean_ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(variance, variance_ref, rtol=rtol, atol=rtol)
    channels = x.shape[-1]
    rng = np.random.default_rng(2)
    gamma, beta = rng.normal(size=channels).astype(x.dtype), rng.normal(size=channels).astype(x.dtype)
    inverse_std = (1 / np.sqrt(variance_ref + 1e-3)).astype(x.dtype)
    for got, expected in zip(cpu.batch_norm_forward(x, mean_ref, inverse_std, gamma, beta),
                             reference.batch_norm_forward(x, mean_ref, inverse_std, gamma, beta)):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
    x_hat = reference.batch_norm_forward(x, mean_ref, inverse_std, gamma, beta)[0]
    gy = rng.normal(size=x.shape).astype(x.dtype)
    for input_gradient in (True, False):
        got = cpu.batch_norm_backward(gy, x_hat, gamma, inverse_std, input_gradient)
        expected = reference.batch_norm_backward(gy, x_hat, gamma, inverse_std, input_gradient)
        for g, e in zip(got, expected):
            if e is None:
                assert g is None
            else:
                assert g.dtype == x.dtype
                np.testing.assert_allclose(g, e, rtol=10 * rtol, atol=10 * rtol)


def test_the_batch_statistics_do_not_lose_the_variance_of_large_values():
    x = (1e4 + np.random.default_rng(0).normal(size=(10000, 2))).astype(np.float32)
    variance = cpu.batch_norm_statistics(x)[1]
    np.testing.assert_allclose(variance, x.astype(np.float64).var(axis=0), rtol=1e-4)


def test_max_pool_indices_are_one_byte_for_small_windows():
    x = np.random.default_rng(0).normal(size=(1, 4, 4, 2)).astype(np.float32)
    assert cpu.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (2, 2))[1].dtype == np.uint8


@pytest.mark.parametrize("height, width", [(4, 6), (5, 7)])  # tiled exactly, and with a row and column left over
def test_max_pool_backward_over_tiling_windows_matches_the_reference(height, width):
    x = np.random.default_rng(3).normal(size=(2, height, width, 3)).astype(np.float32)
    pads, out = ((0, 0), (0, 0)), (height // 2, width // 2)
    y, argmax = cpu.max_pool2d_forward(x, (2, 2), (2, 2), pads, out)
    gy = np.random.default_rng(4).normal(size=y.shape).astype(np.float32)
    np.testing.assert_array_equal(cpu.max_pool2d_backward(gy, argmax, x.shape, (2, 2), (2, 2), pads),
                                  reference.max_pool2d_backward(gy, argmax, x.shape, (2, 2), (2, 2), pads))


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("pool", [(2, 2), (1, 2), (2, 1), (1, 1)])
def test_pooling_over_small_tiles_matches_the_reference(pool, threads):
    # The unrolled kernels for windows of at most 2 x 2 that tile the input (Keras's default pooling).
    # Small integers make ties, so the first maximum must win; -inf must still give index 0; a row and a
    # column are left over (5 x 7).
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 3, size=(3, 5, 7, 4)).astype(np.float32)
    x[0, :2, :2, 0] = -np.inf
    pads, out = ((0, 0), (0, 0)), (5 // pool[0], 7 // pool[1])
    gy = rng.normal(size=(3,) + out + (4,)).astype(np.float32)
    with every_kernel_on_every_core() if threads else contextlib.nullcontext():
        y, argmax = cpu.max_pool2d_forward(x, pool, pool, pads, out)
        mean = cpu.avg_pool2d_forward(x, pool, pool, pads, out)
        g_mean = cpu.avg_pool2d_backward(gy, x.shape, pool, pool, pads)
    y_ref, argmax_ref = reference.max_pool2d_forward(x, pool, pool, pads, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    # the same sums in the same order as the general kernel: equal to the bit
    general = pooling._avg_pool2d_forward.serial(x, np.zeros_like(mean), *pool, *pool, 0, 0)
    np.testing.assert_array_equal(mean, general)
    np.testing.assert_allclose(mean, reference.avg_pool2d_forward(x, pool, pool, pads, out), rtol=1e-6)
    np.testing.assert_array_equal(g_mean, reference.avg_pool2d_backward(gy, x.shape, pool, pool, pads))


@given(rows=st.integers(1, 300), patch=st.integers(1, 60), filters=st.integers(1, 40), seed=st.integers(0, 1000),
       threads=st.booleans())
def test_the_kernel_gradient_matches_the_product_in_float64(rows, patch, filters, seed, threads):
    # The compiled loop (small patches and few filters) and numpy's product (the rest) alike.
    rng = np.random.default_rng(seed)
    cols = rng.normal(size=(rows, patch)).astype(np.float32)
    gy = rng.normal(size=(rows, filters)).astype(np.float32)
    with every_kernel_on_every_core() if threads else contextlib.nullcontext():
        got = cpu.kernel_gradient(cols, gy)
    assert got.shape == (patch, filters) and got.dtype == np.float32
    np.testing.assert_allclose(got, cols.astype(np.float64).T @ gy.astype(np.float64), rtol=1e-4, atol=1e-4)


@given(x=channels_last_arrays(), rate=st.floats(0.0, 0.95), seed=st.integers(0, 1000))
def test_the_dropout_kernels_match_the_reference_to_the_bit(x, rate, seed):
    import sys

    dropout = sys.modules["minidl.functional.dropout"]  # the module (minidl.functional.dropout is the function)
    x = x.copy()
    x.reshape(-1)[:3] = [np.nan, np.inf, -np.inf][: x.size]  # x * 0 stays nan where dropped, as in numpy
    rng = np.random.default_rng(seed)
    u, gy = rng.random(x.shape), rng.normal(size=x.shape).astype(x.dtype)
    y, keep = cpu.dropout_forward(x, u, rate)
    with np.errstate(invalid="ignore"):
        y_ref, keep_ref = dropout.dropout_forward.reference(x, u, rate)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(keep, keep_ref)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(cpu.dropout_backward(gy, keep, rate), dropout.dropout_backward.reference(gy, keep, rate))


@given(x=channels_last_arrays(), with_bias=st.booleans())
def test_fused_bias_relu_kernels_match_the_reference(x, with_bias):
    rng = np.random.default_rng(5)
    bias = rng.normal(size=x.shape[-1]).astype(x.dtype) if with_bias else None
    y = cpu.bias_relu(x.copy(), bias)
    np.testing.assert_allclose(y, reference.bias_relu(x.copy(), bias), rtol=1e-6)
    gy = rng.normal(size=x.shape).astype(x.dtype)
    got, expected = cpu.relu_backward_and_channel_sums(gy, y), reference.relu_backward_and_channel_sums(gy, y)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-5, atol=1e-5)


@contextlib.contextmanager
def every_kernel_on_every_core():
    """The multi-thread path of the kernels even for small arrays."""
    from minidl.core import cores

    saved = cores.PARALLEL_MIN_ELEMENTS, cores.parallel_kernels
    cores.PARALLEL_MIN_ELEMENTS, cores.parallel_kernels = 0, True
    try:
        yield
    finally:
        cores.PARALLEL_MIN_ELEMENTS, cores.parallel_kernels = saved


@given(case=window_case(), pool_case=window_case(pooling=True), size=st.integers(1, 50))
def test_the_kernels_on_several_threads_give_the_reference_results(case, pool_case, size):
    with every_kernel_on_every_core():
        check_kernels_against_the_reference(case, pool_case, size)


def check_kernels_against_the_reference(case, pool_case, size):
    check_im2col_and_col2im(cpu, case)
    check_pooling(cpu, pool_case)
    check_optimizer_update(cpu, "adam", size, seed=size)
    x = case[0]
    gy = np.random.default_rng(1).normal(size=x.shape).astype(x.dtype)
    bias = np.random.default_rng(2).normal(size=x.shape[-1]).astype(x.dtype)
    y = cpu.bias_relu(x.copy(), bias)
    np.testing.assert_allclose(y, reference.bias_relu(x.copy(), bias), rtol=1e-6)
    got, expected = cpu.relu_backward_and_channel_sums(gy, y), reference.relu_backward_and_channel_sums(gy, y)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-5, atol=1e-5)
    for name in ("relu_backward", "sigmoid_backward", "tanh_backward"):
        np.testing.assert_allclose(getattr(cpu, name)(gy, y), getattr(reference, name)(gy, y), rtol=1e-6)
    u = np.random.default_rng(3).random(x.shape)
    for got, expected in zip(cpu.dropout_forward(x, u, 0.3), reference.dropout_forward(x, u, 0.3)):
        np.testing.assert_array_equal(got, expected)


@given(case=window_case(), filters=st.integers(1, 4), pool=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       pool_strides=st.tuples(st.integers(1, 3), st.integers(1, 3)), seed=st.integers(0, 1000))
def test_the_gathered_conv_relu_max_pool_backward_matches_the_dense_reference(case, filters, pool, pool_strides,
                                                                                seed):
    x, kernel_size, strides, dilation, pads, out = case
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=kernel_size + (x.shape[3], filters)).astype(x.dtype)
    pooled = tuple((size - p) // s + 1 for size, p, s in zip(out, pool, pool_strides))
    if min(pooled) < 1:
        return
    cols = reference.im2col(x, kernel_size, strides, dilation, pads, out).reshape(-1, kernel[..., 0].size)
    z = np.maximum(cols @ kernel.reshape(-1, filters), 0).reshape((x.shape[0],) + out + (filters,))
    y, argmax = cpu.max_pool2d_forward(z, pool, pool_strides, ((0, 0), (0, 0)), pooled)
    gy = rng.normal(size=y.shape).astype(x.dtype)
    geometry = ((out, strides, dilation, pads), (pool, pool_strides, ((0, 0), (0, 0))))
    got = cpu.conv_relu_max_pool_gradients(x, kernel, gy, y, argmax, *geometry, True)
    expected = reference.conv_relu_max_pool_gradients(x, kernel, gy, y, argmax, *geometry, True)
    tolerance = 1e-5 if x.dtype == np.float32 else 1e-12
    for a, b in zip(got, expected):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)
    assert cpu.conv_relu_max_pool_gradients(x, kernel, gy, y, argmax, *geometry, False)[0] is None
