"""keras.ops's quantile, median, moments, amax/amin/ptp and activation ops: Keras 3's values, quantile's gradient."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from minidl import gradcheck, ops  # noqa: E402
from tests.strategies import distinct, float64_arrays, leaf  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="Keras is not installed (pip install -e '.[test]')")

X = np.random.default_rng(0).normal(size=(4, 5, 6)).astype(np.float32)
QUANTILE_CASES = [dict(q=0.3), dict(q=[0.1, 0.5, 0.9], axis=1), dict(q=0.5, axis=(0, 2), keepdims=True),
                  dict(q=[0.25, 0.75], axis=-1, keepdims=True), dict(q=1.0, axis=0)]


@needs_keras
@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("case", QUANTILE_CASES, ids=str)
def test_quantile_gives_kerass_values(case, method):
    expected = keras.ops.convert_to_numpy(keras.ops.quantile(X, method=method, **case))
    mine = ops.quantile(X, method=method, **case)
    assert mine.shape == expected.shape
    np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-6)


@needs_keras
@pytest.mark.parametrize("case", [dict(), dict(axis=1), dict(axis=(0, 2), keepdims=True)], ids=str)
def test_median_gives_kerass_values(case):
    np.testing.assert_allclose(ops.median(X, **case), keras.ops.convert_to_numpy(keras.ops.median(X, **case)),
                               rtol=1e-6)


@settings(deadline=None, max_examples=15)
@given(q=st.sampled_from([0.0, 0.3, 0.5, [0.2, 0.9]]), axis=st.sampled_from([None, 0, 1]),
       method=st.sampled_from(["linear", "midpoint", "nearest"]), data=st.data())
def test_quantile_passes_gradcheck(q, axis, method, data):
    x = distinct(data.draw(float64_arrays((3, 4))))  # no ties: the sort is locally fixed
    gradcheck(lambda t: ops.quantile(t, q, axis=axis, method=method), leaf(x), atol=1e-6, rtol=1e-4)


def test_median_of_a_tensor_sends_the_gradient_to_the_middle_elements():
    x = leaf([[3.0, 1.0, 2.0, 10.0]])
    ops.median(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.0, 0.5, 0.0]])


@pytest.mark.parametrize("q, message", [(1.5, "q must be a number or a 1-D sequence of numbers in \\[0, 1\\]"),
                                        ([[0.5]], "1-D sequence")])
def test_bad_quantiles_are_refused(q, message):
    with pytest.raises(ValueError, match=message):
        ops.quantile(X, q)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        ops.quantile(X, 0.5, method="hazen")


@needs_keras
@pytest.mark.parametrize("name, args", [("moments", ((0, 1),)), ("amax", (1,)), ("amin", (2,)), ("ptp", (0,))])
def test_reductions_give_kerass_values(name, args):
    expected = getattr(keras.ops, name)(X, *args)
    mine = getattr(ops, name)(X, *args)
    for a, b in zip(mine if name == "moments" else [mine], expected if name == "moments" else [expected],
                    strict=True):
        np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6)


@needs_keras
@pytest.mark.parametrize("name", ["gelu", "silu", "swish", "elu", "selu", "leaky_relu", "relu6", "softsign",
                                  "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid", "rsqrt"])
def test_activation_ops_give_kerass_values_with_kerass_defaults(name):
    x = np.abs(X) + 0.1 if name == "rsqrt" else X * 4
    np.testing.assert_allclose(getattr(ops, name)(x), keras.ops.convert_to_numpy(getattr(keras.ops, name)(x)),
                               rtol=1e-5, atol=1e-6)
    y = getattr(ops, name)(leaf(x.astype(np.float64)))
    assert y.requires_grad  # on a Tensor: in the graph


@needs_keras
@pytest.mark.parametrize("name, args", [
    ("ravel", ()), ("roll", (2,)), ("roll", (-1, 1)), ("roll", ((1, 2), (0, 2))),
    ("tensordot", (np.ones((6, 5, 3), np.float32) * np.arange(3, dtype=np.float32), ([2, 1], [0, 1]))),
    ("tensordot", (np.arange(30, dtype=np.float32).reshape(5, 6), 2)),
    ("tensordot", (np.arange(12, dtype=np.float32).reshape(2, 6), ([2], [1]))),
])
def test_shape_ops_give_kerass_values(name, args):
    expected = keras.ops.convert_to_numpy(getattr(keras.ops, name)(X, *args))
    np.testing.assert_allclose(getattr(ops, name)(X, *args), expected, rtol=1e-5, atol=1e-5)
    assert ops.ndim(X) == 3 and ops.size(X) == 120 and ops.is_tensor(leaf(X)) and not ops.is_tensor(X)


@settings(deadline=None, max_examples=10)
@given(data=st.data())
def test_tensordot_and_roll_pass_gradcheck(data):
    a, b = data.draw(float64_arrays((2, 3, 4))), data.draw(float64_arrays((4, 3, 2)))
    gradcheck(lambda s, t: ops.tensordot(s, t, axes=([1, 2], [1, 0])), leaf(a), leaf(b), atol=1e-6, rtol=1e-4)
    gradcheck(lambda s: ops.roll(s, (1, -2), axis=(0, 2)), leaf(a), atol=1e-6, rtol=1e-4)


@needs_keras
def test_ops_nn_has_kerass_activation_names():
    for name in ("relu", "sigmoid", "softmax", "gelu", "silu", "leaky_relu", "one_hot", "moments", "log_sigmoid"):
        assert hasattr(keras.ops.nn, name) and hasattr(ops.nn, name)
    np.testing.assert_allclose(ops.nn.gelu(X), keras.ops.convert_to_numpy(keras.ops.nn.gelu(X)), rtol=1e-5, atol=1e-6)
