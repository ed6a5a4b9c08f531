"""Depthwise convolution: gradients by finite differences and values against the nested-loop definition
(Keras's DepthwiseConv2D and SeparableConv2D outputs are compared in tests/test_every_layer.py)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import gradcheck
from minidl.functional.depthwise_conv import depthwise_conv2d
from tests.strategies import float64_arrays, leaf


@settings(deadline=None, max_examples=20)
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), strides=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       dilation=st.sampled_from([(1, 1), (2, 1)]), padding=st.sampled_from(["valid", "same"]),
       multiplier=st.integers(1, 2), data=st.data())
def test_depthwise_conv2d_passes_gradcheck(kernel, strides, dilation, padding, multiplier, data):
    if dilation != (1, 1):
        strides = (1, 1)  # Keras refuses strides and dilation together
    x = data.draw(float64_arrays((2, 5, 4, 2)))
    k = data.draw(float64_arrays(kernel + (2, multiplier)))
    gradcheck(lambda a, b: depthwise_conv2d(a, b, None, strides, padding, dilation), leaf(x), leaf(k),
              atol=1e-6, rtol=1e-4)


def test_depthwise_conv2d_matches_the_nested_loop_definition(rng):
    x, k = rng.normal(size=(1, 5, 6, 2)), rng.normal(size=(2, 3, 2, 2))
    y = depthwise_conv2d(x, k, strides=(2, 1)).data
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            for c in range(2):
                for m in range(2):
                    expected = (x[0, 2 * i:2 * i + 2, j:j + 3, c] * k[:, :, c, m]).sum()
                    np.testing.assert_allclose(y[0, i, j, c * 2 + m], expected, rtol=1e-12)
