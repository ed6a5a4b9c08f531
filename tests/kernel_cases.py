"""Cases and checks shared by the tests of every kernel implementation against its reference array code.

``module`` is the implementation under test (numba, CUDA compiled for the
CPU, CUDA on a GPU); ``to`` moves a numpy array to where it computes and
``back`` brings a result home, so that one check serves every device.
"""

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from types import SimpleNamespace

import minidl  # noqa: F401 - importing the operations registers every kernel's reference
from minidl import kernels
from minidl.functional.padding import output_length, padding_amounts

#: The reference array code of every kernel, by name (it lives in the file of its operation).
reference = SimpleNamespace(**kernels.REFERENCES)


def same(array):
    return array


@st.composite
def window_case(draw, pooling=False):
    """(x, kernel or pool size, strides, dilation, pads, output size) of a drawn convolution or pooling."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if pooling else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    n, h, w, c = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 4))
    if padding == "valid":
        assume(h >= (kh - 1) * dilation[0] + 1 and w >= (kw - 1) * dilation[1] + 1)
    sizes = list(zip((h, w), (kh, kw), strides, dilation))
    out = tuple(output_length(size, k, s, d, padding) for size, k, s, d in sizes)
    pads = tuple(padding_amounts(size, k, s, d, padding) for size, k, s, d in sizes)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = np.random.default_rng(draw(st.integers(0, 1000))).normal(size=(n, h, w, c)).astype(dtype)
    return x, (kh, kw), strides, dilation, pads, out


def check_im2col_and_col2im(module, case, to=same, back=same):
    x, kernel, strides, dilation, pads, out = case
    cols = module.im2col(to(x), kernel, strides, dilation, pads, out)
    expected = reference.im2col(x, kernel, strides, dilation, pads, out)
    np.testing.assert_array_equal(back(cols), expected)
    assert cols.dtype == x.dtype
    np.testing.assert_allclose(back(module.col2im(cols, x.shape, strides, dilation, pads)),
                               reference.col2im(expected, x.shape, strides, dilation, pads), rtol=1e-6, atol=1e-6)


def check_pooling(module, case, to=same, back=same):
    x, pool, strides, _, pads, out = case
    y, argmax = module.max_pool2d_forward(to(x), pool, strides, pads, out)
    y_ref, argmax_ref = reference.max_pool2d_forward(x, pool, strides, pads, out)
    np.testing.assert_array_equal(back(y), y_ref)
    np.testing.assert_array_equal(back(argmax), argmax_ref)
    gy = np.random.default_rng(0).normal(size=y_ref.shape).astype(x.dtype)
    np.testing.assert_allclose(back(module.max_pool2d_backward(to(gy), argmax, x.shape, pool, strides, pads)),
                               reference.max_pool2d_backward(gy, argmax_ref, x.shape, pool, strides, pads),
                               rtol=1e-6, atol=1e-6)  # overlapping windows add in another order
    np.testing.assert_allclose(back(module.avg_pool2d_forward(to(x), pool, strides, pads, out)),
                               reference.avg_pool2d_forward(x, pool, strides, pads, out), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back(module.avg_pool2d_backward(to(gy), x.shape, pool, strides, pads)),
                               reference.avg_pool2d_backward(gy, x.shape, pool, strides, pads), rtol=1e-5, atol=1e-6)


OPTIMIZER_UPDATES = ["adam", "adam_amsgrad", "momentum", "nesterov", "rmsprop", "rmsprop_centered_momentum"]


def check_optimizer_update(module, name, size, seed, to=same, back=same):
    """The update ``name`` on a drawn state, in place, gives the reference's weights and state."""
    rng = np.random.default_rng(seed)
    expected = [rng.random(size).astype(np.float32) for _ in range(5)]
    # A valid RMSprop state: mean square >= squared mean. The margin keeps a - mg^2 away from 0, where float32
    # cancellation would test rounding rather than the kernel.
    expected[2] += expected[3] ** 2 + 0.1
    got = [to(a.copy()) for a in expected]
    for implementation, (w, g, a, b, c) in ((module, got), (reference, expected)):
        if name.startswith("adam"):
            implementation.adam_update(w, g, a, b, c if name == "adam_amsgrad" else None, 0.01, 0.9, 0.999, 1e-7)
        elif name in ("momentum", "nesterov"):
            implementation.momentum_update(w, g, a, 0.1, 0.9, name == "nesterov")
        else:
            centered = name != "rmsprop"
            implementation.rmsprop_update(w, g, a, b if centered else None, c if centered else None, 0.01, 0.9,
                                          0.5 if centered else 0.0, 1e-7)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(back(a), b, rtol=1e-5, atol=1e-7)  # float32, other evaluation order
