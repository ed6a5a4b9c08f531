"""Convolution, pooling and the dense affine map: direct definitions and gradient checks."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minidl import Tensor, gradcheck
from minidl import functional as F
from tests.strategies import distinct, float64_arrays, leaf


def keras_same_padding(n, k, s, d):
    """TensorFlow's documented rule: out = ceil(n / s); pad the shortfall, the extra one at the end."""
    out = math.ceil(n / s)
    span = (k - 1) * d + 1
    total = max((out - 1) * s + span - n, 0)
    return out, total // 2


def direct_conv2d(x, kernel, bias, strides, padding, dilation):
    """y[n, oh, ow, o] = b[o] + sum_{i, j, c} x[n, oh*sh + i*dh - top, ow*sw + j*dw - left, c] K[i, j, c, o]."""
    n, h, w, c_in = x.shape
    kh, kw, _, c_out = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    if padding == "same":
        out_h, top = keras_same_padding(h, kh, sh, dh)
        out_w, left = keras_same_padding(w, kw, sw, dw)
    else:
        out_h, top = (h - (kh - 1) * dh - 1) // sh + 1, 0
        out_w, left = (w - (kw - 1) * dw - 1) // sw + 1, 0
    y = np.zeros((n, out_h, out_w, c_out))
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                for o in range(c_out):
                    total = 0.0 if bias is None else bias[o]
                    for i in range(kh):
                        for j in range(kw):
                            row, col = oh * sh + i * dh - top, ow * sw + j * dw - left
                            if 0 <= row < h and 0 <= col < w:
                                total += x[b, row, col, :] @ kernel[i, j, :, o]
                    y[b, oh, ow, o] = total
    return y


@st.composite
def conv2d_case(draw, max_side=6):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w = draw(st.integers(1, 2)), draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if padding == "valid":
        assume(h >= (kh - 1) * dilation[0] + 1 and w >= (kw - 1) * dilation[1] + 1)
    x = draw(float64_arrays((n, h, w, c_in)))
    kernel = draw(float64_arrays((kh, kw, c_in, c_out)))
    bias = draw(st.none() | float64_arrays((c_out,)))
    return x, kernel, bias, strides, padding, dilation


@given(case=conv2d_case())
def test_conv2d_matches_the_direct_definition(case):
    x, kernel, bias, strides, padding, dilation = case
    y = F.conv2d(Tensor(x), Tensor(kernel), None if bias is None else Tensor(bias), strides, padding, dilation)
    np.testing.assert_allclose(y.data, direct_conv2d(x, kernel, bias, strides, padding, dilation), rtol=1e-10, atol=1e-10)


@given(case=conv2d_case(max_side=5))
def test_conv2d_passes_gradcheck_in_input_kernel_and_bias(case):
    x, kernel, bias, strides, padding, dilation = case
    if bias is None:
        gradcheck(lambda a, k: F.conv2d(a, k, None, strides, padding, dilation), leaf(x), leaf(kernel))
    else:
        gradcheck(lambda a, k, b: F.conv2d(a, k, b, strides, padding, dilation), leaf(x), leaf(kernel), leaf(bias))


@given(n=st.integers(1, 40), k=st.integers(1, 5), s=st.integers(1, 4), d=st.integers(1, 3))
def test_same_padding_gives_ceil_of_length_over_stride(n, k, s, d):
    y = F.conv2d(Tensor(np.ones((1, n, 3, 1))), Tensor(np.ones((k, 1, 1, 1))), strides=(s, 1), padding="same", dilation_rate=(d, 1))
    assert y.shape[1] == math.ceil(n / s)
    pooled = F.max_pool2d(Tensor(np.ones((1, n, 3, 1))), (k, 1), (s, 1), padding="same")
    assert pooled.shape[1] == math.ceil(n / s)


def test_conv2d_of_a_known_image():
    image = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)  # x[i, j] - x[i+1, j+1]
    y = F.conv2d(Tensor(image), Tensor(kernel)).data[0, :, :, 0]
    np.testing.assert_array_equal(y, np.full((3, 3), -5.0))


@st.composite
def conv1d_case(draw):
    k, stride, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, length, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 8)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if padding == "valid":
        assume(length >= (k - 1) * dilation + 1)
    x = draw(float64_arrays((n, length, c_in)))
    kernel = draw(float64_arrays((k, c_in, c_out)))
    bias = draw(float64_arrays((c_out,)))
    return x, kernel, bias, stride, padding, dilation


@given(case=conv1d_case())
def test_conv1d_matches_the_direct_definition_and_passes_gradcheck(case):
    x, kernel, bias, stride, padding, dilation = case
    y = F.conv1d(Tensor(x), Tensor(kernel), Tensor(bias), stride, padding, dilation)
    expected = direct_conv2d(x[:, None], kernel[None], bias, (1, stride), padding, (1, dilation))[:, 0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-10)
    gradcheck(lambda a, k, b: F.conv1d(a, k, b, stride, padding, dilation), leaf(x), leaf(kernel), leaf(bias))


def test_conv_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(1, 5, 5, 3\).*\(3, 3, 2, 4\)"):
        F.conv2d(Tensor(np.ones((1, 5, 5, 3))), Tensor(np.ones((3, 3, 2, 4))))
    with pytest.raises(ValueError, match=r"\(1, 2, 2, 1\)"):
        F.conv2d(Tensor(np.ones((1, 2, 2, 1))), Tensor(np.ones((3, 3, 1, 1))))
    with pytest.raises(ValueError, match=r"\(4, 5\)"):
        F.conv1d(Tensor(np.ones((4, 5))), Tensor(np.ones((3, 5, 2))))
    with pytest.raises(ValueError, match="padding must be one of"):
        F.conv2d(Tensor(np.ones((1, 5, 5, 1))), Tensor(np.ones((3, 3, 1, 1))), padding="full")


def direct_pool2d(x, pool, strides, padding, reduce):
    """Each output is ``reduce`` of the real input elements in its window; 'same' windows are clipped."""
    n, h, w, c = x.shape
    if padding == "same":
        out_h, top = keras_same_padding(h, pool[0], strides[0], 1)
        out_w, left = keras_same_padding(w, pool[1], strides[1], 1)
    else:
        out_h, top = (h - pool[0]) // strides[0] + 1, 0
        out_w, left = (w - pool[1]) // strides[1] + 1, 0
    y = np.zeros((n, out_h, out_w, c))
    for oh in range(out_h):
        for ow in range(out_w):
            r0, c0 = oh * strides[0] - top, ow * strides[1] - left
            window = x[:, max(r0, 0) : r0 + pool[0], max(c0, 0) : c0 + pool[1], :]
            y[:, oh, ow, :] = reduce(window.reshape(n, -1, c), axis=1)
    return y


@st.composite
def pool2d_case(draw):
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w, c = draw(st.integers(1, 2)), draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 2))
    if padding == "valid":
        assume(h >= pool[0] and w >= pool[1])
    x = distinct(draw(float64_arrays((n, h, w, c))))
    return x, pool, strides, padding


@given(case=pool2d_case())
def test_pooling_2d_matches_direct_definitions_and_passes_gradcheck(case):
    x, pool, strides, padding = case
    effective_strides = strides or pool
    np.testing.assert_allclose(F.max_pool2d(Tensor(x), pool, strides, padding).data,
                               direct_pool2d(x, pool, effective_strides, padding, np.max))
    np.testing.assert_allclose(F.avg_pool2d(Tensor(x), pool, strides, padding).data,
                               direct_pool2d(x, pool, effective_strides, padding, np.mean), rtol=1e-12)
    gradcheck(lambda t: F.max_pool2d(t, pool, strides, padding), leaf(x))
    gradcheck(lambda t: F.avg_pool2d(t, pool, strides, padding), leaf(x))


@given(length=st.integers(2, 9), pool=st.integers(1, 3), stride=st.none() | st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), data=st.data())
def test_pooling_1d_matches_2d_on_height_one_and_passes_gradcheck(length, pool, stride, padding, data):
    assume(padding == "same" or length >= pool)
    x = distinct(data.draw(float64_arrays((2, length, 2))))
    strides2d = None if stride is None else (1, stride)
    np.testing.assert_allclose(F.max_pool1d(Tensor(x), pool, stride, padding).data,
                               direct_pool2d(x[:, None], (1, pool), strides2d or (1, pool), padding, np.max)[:, 0])
    np.testing.assert_allclose(F.avg_pool1d(Tensor(x), pool, stride, padding).data,
                               direct_pool2d(x[:, None], (1, pool), strides2d or (1, pool), padding, np.mean)[:, 0])
    gradcheck(lambda t: F.max_pool1d(t, pool, stride, padding), leaf(x))
    gradcheck(lambda t: F.avg_pool1d(t, pool, stride, padding), leaf(x))


def test_max_pool_routes_the_gradient_to_the_maximum_only():
    x = Tensor(np.array([[1.0, 4.0], [3.0, 2.0]]).reshape(1, 2, 2, 1), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.reshape(2, 2), [[0.0, 1.0], [0.0, 0.0]])


@given(x=float64_arrays((2, 3, 4, 2)))
def test_global_avg_pool_is_the_spatial_mean_and_passes_gradcheck(x):
    np.testing.assert_allclose(F.global_avg_pool(Tensor(x)).data, x.mean(axis=(1, 2)))
    gradcheck(F.global_avg_pool, leaf(x))
    gradcheck(F.global_avg_pool, leaf(x[:, 0]))  # 1-D: (N, L, C)


def test_global_avg_pool_gradient_is_written_out_contiguous_for_the_compiled_kernels_before_it():
    x = Tensor(np.arange(2 * 2 * 4 * 3, dtype=np.float32).reshape(2, 2, 4, 3), requires_grad=True)
    y = F.global_avg_pool(F.max_pool2d(x, (1, 2)))
    gy = np.arange(6, dtype=np.float32).reshape(2, 3)
    g_pooled = y.creator.backward(gy)
    assert g_pooled.flags.c_contiguous
    np.testing.assert_array_equal(g_pooled, np.broadcast_to(gy[:, None, None, :] / 4, (2, 2, 2, 3)))
    (y * Tensor(gy)).sum().backward()
    expected = np.zeros((2, 2, 4, 3), np.float32)
    expected[:, :, 1::2, :] = gy[:, None, None, :] / 4  # x grows along the width: the maxima are the odd columns
    np.testing.assert_array_equal(x.grad, expected)


@given(batch=st.sampled_from([(1,), (3,), (2, 2)]), n_in=st.integers(1, 4), n_out=st.integers(1, 4), data=st.data())
def test_linear_passes_gradcheck_and_equals_x_at_w_plus_b(batch, n_in, n_out, data):
    x = data.draw(float64_arrays(batch + (n_in,)))
    w = data.draw(float64_arrays((n_in, n_out)))
    b = data.draw(float64_arrays((n_out,)))
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w), Tensor(b)).data, x @ w + b)
    gradcheck(F.linear, leaf(x), leaf(w), leaf(b))
    gradcheck(F.linear, leaf(x), leaf(w))


def test_linear_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5))))


@given(case=conv2d_case())
def test_conv2d_with_a_fused_relu_equals_relu_of_conv2d_in_values_and_gradients(case):
    x, kernel, bias, strides, padding, dilation = case
    pre_activation = direct_conv2d(x, kernel, bias, strides, padding, dilation)
    assume(np.abs(pre_activation).min() > 1e-3)  # away from the kink, where the gradient is defined
    def conv(*t, activation=None):  # t: x, kernel and, when there is one, bias
        return F.conv2d(t[0], t[1], t[2] if len(t) > 2 else None, strides, padding, dilation, activation)

    inputs = [x, kernel] + ([] if bias is None else [bias])
    fused = [leaf(a) for a in inputs]
    y = conv(*fused, activation="relu")
    np.testing.assert_allclose(y.data, np.maximum(pre_activation, 0), rtol=1e-10, atol=1e-10)
    gy = np.random.default_rng(0).normal(size=y.shape)
    y.backward(gy)
    separate = [leaf(a) for a in inputs]
    F.relu(conv(*separate)).backward(gy)
    for a, b in zip(fused, separate):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-12)
    gradcheck(lambda *t: conv(*t, activation="relu"), *fused)


def test_conv_activation_must_be_one_that_can_be_fused():
    x, kernel = Tensor(np.ones((1, 4, 4, 1))), Tensor(np.ones((2, 2, 1, 1)))
    with pytest.raises(ValueError, match=r"conv2d: activation must be one of \(None, 'linear', 'relu'\), got 'tanh'"):
        F.conv2d(x, kernel, activation="tanh")
    with pytest.raises(ValueError, match="conv1d: activation must be one of"):
        F.conv1d(Tensor(np.ones((1, 4, 1))), Tensor(np.ones((2, 1, 1))), activation="elu")
    assert F.conv1d(Tensor(-np.ones((1, 4, 1))), Tensor(np.ones((2, 1, 1))), activation="relu").data.max() == 0


@pytest.mark.parametrize("slice_bytes", [1, 3 * 4 * 4 * 9 * 2 * 8 + 1])  # the smallest slices; 2-3, the last short
def test_conv2d_in_inference_gives_the_same_output_when_the_batch_goes_in_slices(slice_bytes, monkeypatch):
    from minidl.core import backend
    from minidl import no_grad

    rng = np.random.default_rng(7)
    x, kernel, bias = rng.normal(size=(7, 6, 6, 2)), rng.normal(size=(3, 3, 2, 5)), rng.normal(size=5)
    with no_grad():
        whole = F.conv2d(Tensor(x), Tensor(kernel), Tensor(bias), activation="relu").data
        monkeypatch.setattr(backend, "CACHE_SLICE_BYTES", slice_bytes)
        sliced = F.conv2d(Tensor(x), Tensor(kernel), Tensor(bias), activation="relu").data
    np.testing.assert_allclose(sliced, whole, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sliced, np.maximum(_direct_conv2d(x, kernel, bias), 0), rtol=1e-12, atol=1e-12)


def _direct_conv2d(x, kernel, bias):
    """The convolution's definition, summed window by window in float64 (no im2col, no product)."""
    kh, kw = kernel.shape[:2]
    out_h, out_w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3])) + bias
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nhwc,co->nhwo", x[:, i : i + out_h, j : j + out_w], kernel[i, j])
    return y


@pytest.mark.parametrize("samples_per_slice", [1, 3, 7])  # the smallest slices; 2-3, the last short; one
@pytest.mark.parametrize("channels, filters", [(2, 5), (2, 20), (6, 5)])  # patches of 18 kept, in slices or in one
def test_conv2d_training_gives_the_same_output_and_gradients_in_cache_slices(  # product; patches of 54 built again
        samples_per_slice, channels, filters, monkeypatch):
    from minidl.functional import conv as conv_module
    from minidl.functional.conv import Conv2D

    rng = np.random.default_rng(11)
    x, kernel = rng.normal(size=(7, 6, 6, channels)), rng.normal(size=(3, 3, channels, filters))
    bias = rng.normal(size=filters)
    cache_slice_bytes = samples_per_slice * 4 * 4 * 9 * channels * 8 + 1
    gy = rng.normal(size=(7, 4, 4, filters))

    def run():
        leaves = [leaf(a) for a in (x, kernel, bias)]
        y = F.conv2d(*leaves, activation="relu")
        y.backward(gy)
        return [y.data] + [t.grad for t in leaves]

    whole = run()
    monkeypatch.setattr(conv_module, "TRAINING_SLICE_BYTES", cache_slice_bytes)  # training's slices
    rebuilt = []
    monkeypatch.setattr(Conv2D, "kernel_gradient_by_slices",
                        lambda self, gy, original=Conv2D.kernel_gradient_by_slices: rebuilt.append(1) or original(self, gy))
    sliced = run()
    assert bool(rebuilt) == (channels == 6 and samples_per_slice < 7)  # patches of 54 in several slices: built again
    for a, b in zip(sliced, whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    reference = np.maximum(_direct_conv2d(x, kernel, bias), 0)
    np.testing.assert_allclose(sliced[0], reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sliced[3], (gy * (reference > 0)).sum(axis=(0, 1, 2)), rtol=1e-12, atol=1e-12)
