"""The numpy-like keras.ops added for published code (trigonometry, matrices, axes), against Keras 3 itself.

Each op runs on Keras, on minidl with arrays and on minidl with Tensors; the
three agree. Each differentiable one passes a float64 gradient check.
"""

import numpy as np
import pytest

from minidl import Tensor, gradcheck, ops
from tests.strategies import leaf

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4)).astype(np.float32)
UNIT = np.tanh(A).astype(np.float32) * 0.9  # inside (-1, 1)
ABOVE_ONE = (np.abs(A) + 1.5).astype(np.float32)
T3 = RNG.normal(size=(2, 3, 4)).astype(np.float32)
W = np.array([1.0, 2.0, 0.5, 3.0], np.float32)

# name -> (function of the library's ops module and an input, the input)
CASES = {
    "sin": (lambda o, x: o.sin(x), A), "cos": (lambda o, x: o.cos(x), A), "tan": (lambda o, x: o.tan(x), UNIT),
    "arcsin": (lambda o, x: o.arcsin(x), UNIT), "arccos": (lambda o, x: o.arccos(x), UNIT),
    "arctan": (lambda o, x: o.arctan(x), A), "sinh": (lambda o, x: o.sinh(x), A), "cosh": (lambda o, x: o.cosh(x), A),
    "arcsinh": (lambda o, x: o.arcsinh(x), A), "arccosh": (lambda o, x: o.arccosh(x), ABOVE_ONE),
    "arctanh": (lambda o, x: o.arctanh(x), UNIT), "log2": (lambda o, x: o.log2(x), ABOVE_ONE),
    "log10": (lambda o, x: o.log10(x), ABOVE_ONE),
    "arctan2": (lambda o, x: o.arctan2(x, x[:1] * 0.5 + 0.1), A),
    "diagonal": (lambda o, x: o.diagonal(x), A), "diagonal offset": (lambda o, x: o.diagonal(x, 1), A),
    "diagonal below": (lambda o, x: o.diagonal(x, -1), A),
    "diagonal axes": (lambda o, x: o.diagonal(x, 0, 1, 2), T3), "trace": (lambda o, x: o.trace(x), A),
    "trace offset": (lambda o, x: o.trace(x, 1), A),
    "diag of matrix": (lambda o, x: o.diag(x, -1), A), "diag of vector": (lambda o, x: o.diag(x[0], 1), A),
    "tril": (lambda o, x: o.tril(x), A), "triu": (lambda o, x: o.triu(x, 1), T3),
    "moveaxis": (lambda o, x: o.moveaxis(x, 0, -1), T3), "moveaxis two": (lambda o, x: o.moveaxis(x, (0, 1), (2, 0)), T3),
    "swapaxes": (lambda o, x: o.swapaxes(x, 0, 2), T3),
    "vstack": (lambda o, x: o.vstack([x, x[:1]]), A), "hstack": (lambda o, x: o.hstack([x, x[:, :1]]), A),
    "hstack vectors": (lambda o, x: o.hstack([x[0], x[1]]), A), "unstack": (lambda o, x: o.unstack(x, axis=1)[2], T3),
    "average": (lambda o, x: o.average(x, axis=1, weights=W), A), "average plain": (lambda o, x: o.average(x), A),
    "pad": (lambda o, x: o.pad(x, ((1, 0), (2, 1))), A), "pad value": (lambda o, x: o.pad(x, ((1, 1), (0, 2)), constant_values=2.0), A),
}


def as_numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value)) if not isinstance(value, Tensor) else value.numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_keras_on_arrays_and_tensors(name):
    function, x = CASES[name]
    expected = as_numpy(function(keras.ops, x))
    on_arrays = np.asarray(function(ops, x))
    on_tensors = function(ops, Tensor(x))
    assert isinstance(on_tensors, Tensor)
    np.testing.assert_allclose(on_arrays, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(on_tensors.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_passes_gradcheck_in_float64(name):
    function, x = CASES[name]
    gradcheck(lambda t: function(ops, t), leaf(x.astype(np.float64)))


def test_non_constant_padding_of_a_tensor_is_refused_in_one_sentence():
    assert np.array_equal(ops.pad(A, 1, mode="reflect"), np.pad(A, 1, mode="reflect"))
    with pytest.raises(ValueError, match="only mode='constant' is differentiable in minidl, got mode='reflect'"):
        ops.pad(Tensor(A), 1, mode="reflect")


def test_identity_and_array_are_kerass():
    np.testing.assert_array_equal(ops.identity(3), as_numpy(keras.ops.identity(3)))
    assert ops.array([1, 2], dtype="float32").dtype == as_numpy(keras.ops.array([1, 2], dtype="float32")).dtype
