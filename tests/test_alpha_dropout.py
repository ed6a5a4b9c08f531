"""AlphaDropout: identity in inference, SELU's fixed point kept in training, its gradient, Keras's formula."""

import numpy as np
import pytest

import minidl
from minidl import layers as L

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def test_inference_is_the_identity(rng):
    x = rng.normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(L.AlphaDropout(0.4)(x, training=False).data, x)


def test_training_keeps_zero_mean_and_unit_variance(rng):
    x = rng.normal(size=(400, 500))
    y = L.AlphaDropout(0.3, seed=1)(x, training=True).data
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01


def test_each_element_is_kept_affinely_or_set_to_the_saturation_value(rng):
    rate = 0.25
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    x = minidl.Tensor(rng.normal(size=(50, 40)), requires_grad=True)
    y = L.AlphaDropout(rate, seed=3)(x, training=True)
    kept = np.isclose(y.data, a * x.data + b)
    assert np.all(kept | np.isclose(y.data, a * ALPHA_P + b))
    assert abs(1 - kept.mean() - rate) < 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad, a * kept)  # dL/dx = gy a m


def test_noise_shape_drops_whole_columns(rng):
    a = (0.5 * (1 + 0.5 * ALPHA_P ** 2)) ** -0.5
    y = L.AlphaDropout(0.5, noise_shape=(None, 1, 6), seed=0)(rng.normal(size=(3, 4, 6)), training=True).data
    dropped = np.isclose(y, a * ALPHA_P - a * ALPHA_P * 0.5)
    assert np.all(dropped == dropped[:, :1, :]) and 0 < dropped.mean() < 1


@pytest.mark.parametrize("rate", [1.0, -0.1, "0.5"])
def test_a_rate_outside_zero_to_one_is_refused(rate):
    with pytest.raises(ValueError, match="rate must be in \\[0, 1\\)"):
        L.AlphaDropout(rate)
