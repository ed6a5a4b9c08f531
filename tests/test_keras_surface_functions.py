"""The functions behind the Keras-surface layers: float64 gradient checks and values from direct definitions.

minimum, broadcast_to, repeat, layer_norm, dropout with a noise shape, and
every new layer (merges, reshaping, padding, cropping, upsampling, global
max pooling, layer normalization) through a model's weights and inputs.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import Tensor, gradcheck
from minidl import functional as F
from minidl import layers as L
from tests.strategies import distinct, float64_arrays, leaf


@given(pair=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 99))
def test_minimum_passes_gradcheck_and_is_numpy_minimum(pair, seed):
    rng = np.random.default_rng(seed)
    a = distinct(rng.normal(size=pair.input_shapes[0]), seed)
    b = distinct(rng.normal(size=pair.input_shapes[1]), seed + 1) + 0.1  # grids offset: never a tie
    np.testing.assert_array_equal(F.minimum(Tensor(a), Tensor(b)).data, np.minimum(a, b))
    gradcheck(F.minimum, leaf(a), leaf(b))


def test_minimum_and_maximum_split_the_gradient_at_ties():
    a, b = leaf(np.array([1.0, 2.0])), leaf(np.array([1.0, 3.0]))
    F.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 0.0])


@given(x=float64_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)), data=st.data())
def test_broadcast_to_passes_gradcheck(x, data):
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    target = tuple(lead) + tuple(data.draw(st.integers(1, 3)) if n == 1 else n for n in x.shape)
    np.testing.assert_array_equal(F.broadcast_to(Tensor(x), target).data, np.broadcast_to(x, target))
    gradcheck(lambda t: F.broadcast_to(t, target), leaf(x))


@given(x=float64_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)), data=st.data())
def test_repeat_passes_gradcheck_and_is_numpy_repeat(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    repeats = data.draw(st.integers(1, 3))
    np.testing.assert_array_equal(F.repeat(Tensor(x), repeats, axis).data, np.repeat(x, repeats, axis))
    gradcheck(lambda t: F.repeat(t, repeats, axis), leaf(x))


@settings(deadline=None)
@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, min_side=2, max_side=4), data=st.data(),
       seed=st.integers(0, 99))
def test_layer_norm_passes_gradcheck_for_any_feature_axes(shape, data, seed):
    axes = tuple(sorted(data.draw(st.sets(st.integers(1, len(shape) - 1), min_size=1))))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    gamma = rng.normal(size=tuple(shape[a] for a in axes))
    beta = rng.normal(size=gamma.shape)
    gradcheck(lambda t, g, b: F.layer_norm(t, g, b, axes=axes, epsilon=1e-3), leaf(x), leaf(gamma), leaf(beta))


def test_layer_norm_matches_its_definition():
    x = np.random.default_rng(0).normal(size=(4, 3, 5))
    gamma, beta = np.linspace(0.5, 2, 5), np.linspace(-1, 1, 5)
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    expected = (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta
    np.testing.assert_allclose(F.layer_norm(Tensor(x), Tensor(gamma), Tensor(beta)).data, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="not the batch axis"):
        F.layer_norm(Tensor(x), axes=0)
    with pytest.raises(ValueError, match=r"gamma must have shape \(5,\)"):
        F.layer_norm(Tensor(x), Tensor(np.ones(3)))


def test_dropout_with_a_noise_shape_drops_whole_channels():
    x = np.ones((8, 10, 6))
    y = F.dropout(Tensor(x), 0.5, generator=np.random.default_rng(0), noise_shape=(None, 1, None)).data
    assert np.all((y == 0) | (y == 2))
    assert np.all(y.min(axis=1) == y.max(axis=1))  # a channel of a sample is all dropped or all kept
    assert 0 < (y == 0).mean() < 1
    with pytest.raises(ValueError, match="noise_shape"):
        F.dropout(Tensor(x), 0.5, noise_shape=(8, 3, 6))


@given(seed=st.integers(0, 99))
def test_dropout_with_a_noise_shape_passes_gradcheck_with_a_fixed_mask(seed):
    x = np.random.default_rng(seed).normal(size=(3, 4, 2))
    gradcheck(lambda t: F.dropout(t, 0.4, generator=np.random.default_rng(seed), noise_shape=(3, 1, 2)), leaf(x))


# Each new layer in a float64 model: the gradient of its output with respect to inputs and weights.
LAYERS = {
    "Add": (lambda: L.Add(), [(3, 2), (3, 2)]),
    "Subtract": (lambda: L.Subtract(), [(3, 2), (3, 2)]),
    "Multiply": (lambda: L.Multiply(), [(4,), (4,), (4,)]),
    "Average": (lambda: L.Average(), [(2, 2), (2, 2)]),
    "Maximum": (lambda: L.Maximum(), [(5,), (5,)]),
    "Minimum": (lambda: L.Minimum(), [(5,), (5,)]),
    "Concatenate": (lambda: L.Concatenate(axis=-1), [(2, 3), (2, 1)]),
    "Reshape": (lambda: L.Reshape((2, -1)), [(3, 4)]),
    "Permute": (lambda: L.Permute((2, 1)), [(3, 4)]),
    "RepeatVector": (lambda: L.RepeatVector(3), [(4,)]),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D((1, 2)), [(3, 2)]),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(1), [(2, 3, 2)]),
    "Cropping1D": (lambda: L.Cropping1D((1, 1)), [(4, 2)]),
    "Cropping2D": (lambda: L.Cropping2D(((1, 0), (0, 1))), [(3, 3, 2)]),
    "UpSampling1D": (lambda: L.UpSampling1D(2), [(3, 2)]),
    "UpSampling2D": (lambda: L.UpSampling2D((2, 1)), [(2, 3, 2)]),
    "GlobalMaxPooling1D": (lambda: L.GlobalMaxPooling1D(), [(4, 3)]),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(keepdims=True), [(3, 3, 2)]),
    "LayerNormalization": (lambda: L.LayerNormalization(gamma_initializer="random_normal",
                                                        beta_initializer="random_normal"), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_new_layer_passes_gradcheck_in_float64(name):
    """The gradient with respect to the inputs (LayerNormalization's weights: test_layer_norm_passes_gradcheck...)."""
    make, shapes = LAYERS[name]
    minidl.core.random.seed(1)
    layer = make()
    layer.dtype = np.dtype("float64")
    rng = np.random.default_rng(2)
    inputs = [leaf(distinct(rng.normal(size=(2,) + shape), seed)) for seed, shape in enumerate(shapes)]
    gradcheck(lambda *xs: layer(list(xs) if len(xs) > 1 else xs[0]), *inputs)


def test_merge_layers_say_what_they_need():
    with pytest.raises(ValueError, match=r"Add merges a list of tensors"):
        L.Add()(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"Subtract takes exactly 2 tensors, got 3"):
        L.Subtract()([Tensor(np.ones((2, 3)))] * 3)
    with pytest.raises(ValueError, match=r"same shape .* \(None, 3\), \(None, 4\)"):
        L.Add()([L.Input((3,)), L.Input((4,))])
    with pytest.raises(ValueError, match=r"match except along that axis"):
        L.concatenate([L.Input((2, 3)), L.Input((3, 4))], axis=-1)
