"""The numba kernels agree with their plain numpy references on drawn shapes, strides, dilations and paddings."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minidl import kernels
from minidl.functional.padding import output_length, padding_amounts
from minidl.kernels import reference

cpu = pytest.importorskip("minidl.kernels.cpu")


@st.composite
def window_case(draw, pooling=False):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if pooling else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w, c = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 4))
    spans = [(k - 1) * d + 1 for k, d in zip((kh, kw), dilation)]
    if padding == "valid":
        assume(h >= spans[0] and w >= spans[1])
    out = tuple(output_length(size, k, s, d, padding) for size, k, s, d in zip((h, w), (kh, kw), strides, dilation))
    pads = tuple(padding_amounts(size, k, s, d, padding) for size, k, s, d in zip((h, w), (kh, kw), strides, dilation))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = np.random.default_rng(draw(st.integers(0, 1000))).normal(size=(n, h, w, c)).astype(dtype)
    return x, (kh, kw), strides, dilation, pads, out


@given(case=window_case())
def test_im2col_and_col2im_match_the_reference(case):
    x, kernel, strides, dilation, pads, out = case
    cols = cpu.im2col(x, kernel, strides, dilation, pads, out)
    np.testing.assert_array_equal(cols, reference.im2col(x, kernel, strides, dilation, pads, out))
    assert cols.dtype == x.dtype
    np.testing.assert_allclose(cpu.col2im(cols, x.shape, strides, dilation, pads),
                               reference.col2im(cols, x.shape, strides, dilation, pads), rtol=1e-6, atol=1e-6)


@given(case=window_case(pooling=True))
def test_pooling_kernels_match_the_reference(case):
    x, pool, strides, _, pads, out = case
    y, argmax = cpu.max_pool2d_forward(x, pool, strides, pads, out)
    y_ref, argmax_ref = reference.max_pool2d_forward(x, pool, strides, pads, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    gy = np.random.default_rng(0).normal(size=y.shape).astype(x.dtype)
    np.testing.assert_allclose(cpu.max_pool2d_backward(gy, argmax, x.shape, pool, strides, pads),
                               reference.max_pool2d_backward(gy, argmax_ref, x.shape, pool, strides, pads), rtol=1e-6)
    np.testing.assert_allclose(cpu.avg_pool2d_forward(x, pool, strides, pads, out),
                               reference.avg_pool2d_forward(x, pool, strides, pads, out), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cpu.avg_pool2d_backward(gy, x.shape, pool, strides, pads),
                               reference.avg_pool2d_backward(gy, x.shape, pool, strides, pads), rtol=1e-5, atol=1e-6)


def test_max_pool_ties_go_to_the_first_maximum_in_both():
    x = np.zeros((1, 2, 2, 1), np.float32)
    assert cpu.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))[1].item() == 0
    assert reference.max_pool2d_forward(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))[1].item() == 0


@pytest.mark.parametrize("name", ["adam", "adam_amsgrad", "momentum", "nesterov", "rmsprop", "rmsprop_centered_momentum"])
@given(size=st.integers(1, 50), seed=st.integers(0, 1000))
def test_fused_optimizer_updates_match_the_reference(name, size, seed):
    rng = np.random.default_rng(seed)

    def state():
        return [rng.random(size).astype(np.float32) for _ in range(5)]

    first = state()
    first[2] += first[3] ** 2  # a valid RMSprop state: mean square >= squared mean, so a - mg^2 > 0
    second = [a.copy() for a in first]
    for module, (w, g, a, b, c) in ((cpu, first), (reference, second)):
        if name.startswith("adam"):
            module.adam_update(w, g, a, b, c if name == "adam_amsgrad" else None, 0.01, 0.9, 0.999, 1e-7)
        elif name in ("momentum", "nesterov"):
            module.momentum_update(w, g, a, 0.1, 0.9, name == "nesterov")
        else:
            centered = name != "rmsprop"
            module.rmsprop_update(w, g, a, b if centered else None, c if centered else None, 0.01, 0.9,
                                  0.5 if centered else 0.0, 1e-7)
    for got, expected in zip(first, second):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)  # float32, other evaluation order


def test_the_switch_selects_the_reference_kernels_and_strided_arrays_fall_back():
    assert kernels.in_use() == "numba"
    x = np.ones((1, 4, 4, 2), np.float32)
    assert kernels._implementation(x) is cpu
    assert kernels._implementation(x[:, ::2]) is reference  # not contiguous
    try:
        kernels.use("reference")
        assert kernels.in_use() == "reference" and kernels._implementation(x) is reference
    finally:
        kernels.use("numba")
    with pytest.raises(ValueError, match="numba"):
        kernels.use("fortran")


def test_a_workspace_lends_free_buffers_only_and_keeps_a_bounded_number():
    workspace = kernels.Workspace(capacity=2)
    like = np.zeros(1, np.float32)
    first = workspace.take((3, 4), np.float32, like)
    second = workspace.take((3, 4), np.float32, like)
    assert first is not second  # both in use: two buffers
    workspace.give_back(first)
    assert workspace.take((3, 4), np.float32, like) is first
    assert workspace.take((3, 4), np.float64, like) is not second  # another dtype is another buffer
    for n in range(10):
        workspace.give_back(np.empty((n + 1,), np.float32))
    assert len(workspace.free) == 2 and workspace.free[-1].shape == (10,)
