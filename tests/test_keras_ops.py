"""minidl.ops against keras.ops (Keras 3 itself) on the same inputs, and the gradients of the differentiable ones.

Every op is run three ways: by Keras, by minidl on numpy arrays, and by
minidl on a Tensor; the three must agree in values (and Keras's shape).
Each op that Keras differentiates passes a float64 gradient check through
minidl's graph; hypothesis varies the shapes for a representative set,
against numpy.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl import Tensor, gradcheck, ops
from tests.strategies import distinct, float64_arrays, leaf

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4)).astype(np.float32)
B = RNG.normal(size=(3, 4)).astype(np.float32)
M = RNG.normal(size=(4, 5)).astype(np.float32)
V = RNG.normal(size=(4,)).astype(np.float32)
POS = (np.abs(A) + 0.5).astype(np.float32)
T3 = RNG.normal(size=(2, 3, 4)).astype(np.float32)
LABELS = np.array([2, 0, 1, 2], dtype=np.int32)
FLOAT_LABELS = np.array([2.0, 0.7, 1.0, 3.9, -0.5, 5.0], dtype=np.float32)  # Keras casts them: towards zero
INDEX = np.array([[0, 3], [2, 2], [1, 0]], dtype=np.int32)

# name -> (arguments, keyword arguments); arrays among the arguments are also given to minidl as Tensors
CASES = {
    "tanh": ((A,), {}), "sigmoid": ((A,), {}), "softplus": ((A,), {}), "relu": ((A,), {}), "exp": ((A,), {}),
    "log": ((POS,), {}), "sqrt": ((POS,), {}), "square": ((A,), {}), "abs": ((A,), {}), "erf": ((A,), {}),
    "negative": ((A,), {}), "log1p": ((POS,), {}), "expm1": ((A,), {}), "reciprocal": ((POS,), {}),
    "floor": ((A * 3,), {}), "ceil": ((A * 3,), {}), "round": ((A * 3,), {}), "sign": ((A,), {}),
    "add": ((A, B), {}), "subtract": ((A, B), {}), "multiply": ((A, V), {}), "divide": ((A, POS), {}),
    "power": ((POS, B), {}), "maximum": ((A, B), {}), "minimum": ((A, B), {}), "clip": ((A, -0.5, 0.5), {}),
    "where": ((A > 0, A, B), {}), "equal": ((A, A * (A > 0)), {}), "not_equal": ((A, A * (A > 0)), {}),
    "greater": ((A, B), {}), "less": ((A, B), {}), "greater_equal": ((A, B), {}), "less_equal": ((A, B), {}),
    "logical_and": ((A > 0, B > 0), {}), "logical_or": ((A > 0, B > 0), {}), "logical_xor": ((A > 0, B > 0), {}),
    "logical_not": ((A > 0,), {}), "isnan": ((np.array([1.0, np.nan, np.inf]),), {}),
    "isfinite": ((np.array([1.0, np.nan, np.inf]),), {}),
    "nan_to_num": ((np.array([1.0, np.nan, np.inf, -np.inf]),), {"nan": 0.5, "posinf": 9.0, "neginf": -9.0}),
    "sum": ((T3,), {"axis": 1}), "mean": ((T3,), {"axis": (0, 2), "keepdims": True}), "max": ((T3,), {"axis": -1}),
    "min": ((T3,), {}), "std": ((A,), {"axis": 0}), "var": ((A,), {"axis": 1, "keepdims": True}),
    "prod": ((A,), {"axis": 1}), "norm": ((A,), {}), "logsumexp": ((T3,), {"axis": 1}),
    "cumsum": ((A,), {"axis": 1}), "cumprod": ((POS,), {"axis": 0}), "argmax": ((A,), {"axis": 1}),
    "argmin": ((A,), {}), "any": ((A > 1,), {"axis": 0}), "all": ((A > -1,), {"axis": 1}),
    "softmax": ((A,), {"axis": -1}), "log_softmax": ((A,), {"axis": 0}),
    "concatenate": (([A, B],), {"axis": 1}), "stack": (([A, B],), {"axis": 0}),
    "expand_dims": ((A,), {"axis": 1}), "squeeze": ((A[:, :1],), {"axis": 1}), "reshape": ((T3, (4, -1)), {}),
    "transpose": ((T3, (2, 0, 1)), {}), "tile": ((A, (2, 1, 3)), {}), "repeat": ((A, 2), {"axis": 1}),
    "flip": ((A,), {"axis": 1}), "broadcast_to": ((V, (3, 4)), {}),
    "take": ((A, np.array([2, 0, 2])), {"axis": 1}), "take_along_axis": ((A, INDEX), {"axis": 1}),
    "slice": ((T3, (0, 1, 1), (2, 2, 3)), {}), "sort": ((A,), {"axis": 0}), "argsort": ((A,), {"axis": -1}),
    "matmul": ((A, M), {}), "dot": ((A, V), {}), "dot_3d": ((A, RNG.normal(size=(2, 4, 3)).astype(np.float32)), {}), "outer": ((V, A[0]), {}),
    "einsum": (("ij,jk->ik", A, M), {}),
}


def keras_value(name, args, kwargs):
    return keras.ops.convert_to_numpy(getattr(keras.ops, name.partition("_3d")[0])(*args, **kwargs))


def as_tensors(args):
    """The float arrays among ``args`` as Tensors (lists of them too); everything else unchanged."""
    def convert(value):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return Tensor(value)
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value
    return tuple(convert(value) for value in args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_op_gives_keras_values_on_arrays_and_on_tensors(name):
    args, kwargs = CASES[name]
    expected = keras_value(name, args, kwargs)
    op = getattr(ops, name.partition("_3d")[0])
    on_arrays = np.asarray(op(*args, **kwargs))
    on_tensors = op(*as_tensors(args), **kwargs)
    on_tensors = np.asarray(on_tensors.data if isinstance(on_tensors, Tensor) else on_tensors)
    for result in (on_arrays, on_tensors):
        assert result.shape == expected.shape, name
        np.testing.assert_allclose(result.astype(np.float64), expected.astype(np.float64), rtol=2e-5, atol=2e-6,
                                   err_msg=name)


def test_creation_ops_give_keras_values_and_dtypes():
    for call in ["ones((2, 3))", "zeros((4,))", "full((2, 2), 3)", "eye(3, 4, k=1)", "arange(5)",
                 "arange(1.0, 2.0, 0.25)", "linspace(0, 1, 5)", "one_hot(LABELS, 3)", "one_hot(LABELS, 4, axis=0)",
                 "one_hot(FLOAT_LABELS, 4)",
                 "ones_like(A)", "zeros_like(LABELS)", "full_like(A, 2.0)"]:
        expected, got = eval(f"keras.ops.{call}"), eval(f"ops.{call}")
        np.testing.assert_array_equal(np.asarray(got), keras.ops.convert_to_numpy(expected), err_msg=call)
        assert np.asarray(got).dtype == np.dtype(expected.dtype.name if hasattr(expected.dtype, "name")
                                                else str(expected.dtype)), call


def test_top_k_gives_keras_values_and_indices():
    x = np.array([[1.0, 5.0, 3.0, 5.0], [0.0, -1.0, 2.0, 4.0]], dtype=np.float32)
    values, indices = ops.top_k(x, 3)
    keras_values, keras_indices = keras.ops.top_k(x, 3)
    np.testing.assert_array_equal(values, keras.ops.convert_to_numpy(keras_values))
    np.testing.assert_array_equal(indices, keras.ops.convert_to_numpy(keras_indices))
    assert indices.dtype == np.int32
    tensor_values, _ = ops.top_k(Tensor(x), 3)
    np.testing.assert_array_equal(tensor_values.data, values)


def test_split_and_shape_and_conversions_follow_keras():
    parts, expected = ops.split(T3, [1, 3], axis=2), keras.ops.split(T3, [1, 3], axis=2)
    assert len(parts) == len(expected)
    for part, reference in zip(parts, expected):
        np.testing.assert_array_equal(part, keras.ops.convert_to_numpy(reference))
    assert ops.shape(Tensor(T3)) == tuple(keras.ops.shape(T3)) == (2, 3, 4)
    assert isinstance(ops.convert_to_tensor(A), Tensor)
    for value in ([1, 2], [1.5, 2.0], LABELS, A.astype(np.float64), np.array([True, False])):
        assert ops.convert_to_tensor(value).dtype == np.dtype(keras.ops.convert_to_tensor(value).dtype.name), value
    np.testing.assert_array_equal(ops.convert_to_numpy(Tensor(A)), A)
    assert ops.cast(A, "int32").dtype == keras.ops.convert_to_numpy(keras.ops.cast(A, "int32")).dtype


def test_einsum_forms_give_keras_values():
    x, y = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
    for spec, operands in [("bij,bjk->bik", (x, y)), ("...ij,...jk->...ik", (x, y)), ("ijk->kj", (x,)),
                           ("ij,ij->i", (A, B)), ("i,j->ij", (V, V)), ("ijk", (x,))]:
        expected = keras.ops.convert_to_numpy(keras.ops.einsum(spec, *operands))
        np.testing.assert_allclose(ops.einsum(spec, *operands), expected, rtol=1e-5, err_msg=spec)
        np.testing.assert_allclose(ops.einsum(spec, *map(Tensor, operands)).data, expected, rtol=1e-5, err_msg=spec)
    for spec, operands in [("...ij,...jk", (x, y)), ("ji,jk", (A, A)), ("ii", (A[:, :3],))]:  # TensorFlow refuses these
        np.testing.assert_allclose(ops.einsum(spec, *operands), np.einsum(spec, *operands), rtol=1e-5, err_msg=spec)


# ---------------------------------------------------------------------------- gradients (float64)
X64 = distinct(RNG.normal(size=(3, 4))).reshape(3, 4) - 2.0  # distinct values, some negative: no ties
GRADIENT_CASES = {
    "cumsum axis 1": lambda x: ops.cumsum(x, axis=1),
    "cumsum flat": lambda x: ops.cumsum(x),
    "cumprod axis 0": lambda x: ops.cumprod(x, axis=0),
    "prod axis 1": lambda x: ops.prod(x, axis=1),
    "prod all": lambda x: ops.prod(x),
    "prod axes keepdims": lambda x: ops.prod(ops.reshape(x, (3, 2, 2)), axis=(0, 2), keepdims=True),
    "erf": ops.erf,
    "tanh": ops.tanh, "softplus": ops.softplus, "log_softmax": lambda x: ops.log_softmax(x, axis=0),
    "take": lambda x: ops.take(x, np.array([3, 0, 3, -1]), axis=1),
    "take flat": lambda x: ops.take(x, np.array([[5, 1], [5, 11]])),
    "take_along_axis": lambda x: ops.take_along_axis(x, INDEX, axis=1),
    "sort": lambda x: ops.sort(x, axis=1),
    "top_k values": lambda x: ops.top_k(x, 2)[0],
    "tile": lambda x: ops.tile(x, (2, 1, 2)),
    "repeat": lambda x: ops.repeat(x, np.array([1, 0, 2, 1]), axis=1),
    "split": lambda x: ops.split(x, 2, axis=1)[1],
    "slice": lambda x: ops.slice(x, (1, 1), (2, 2)),
    "flip": lambda x: ops.flip(x, axis=0),
    "norm": ops.norm, "norm axis 1": lambda x: ops.norm(x, axis=1), "norm ord 1": lambda x: ops.norm(x, 1, axis=0),
    "norm fro": lambda x: ops.norm(x, "fro", axis=(0, 1)), "norm inf": lambda x: ops.norm(x, np.inf, axis=(0, 1)),
    "logsumexp": lambda x: ops.logsumexp(x, axis=1), "std": lambda x: ops.std(x, axis=0),
    "max initial": lambda x: ops.max(x, axis=1, initial=-2.5),
    "nan_to_num": ops.nan_to_num,
    "outer": lambda x: ops.outer(x[0], x[1]), "dot 3d": lambda x: ops.dot(x, ops.reshape(ops.concatenate([x, x * x]), (2, 4, 3))),
    "einsum lone letter": lambda x: ops.einsum("ij,k->ik", x, x[0, :2]),
    "einsum batched": lambda x: ops.einsum("...i,...i->...", x, x * 2.0),
    "einsum broadcast": lambda x: ops.einsum("ij,ij->ij", x[:1], x),
    "einsum full reduction": lambda x: ops.einsum("ij,ij->", x, x),
    "einsum diagonal": lambda x: ops.einsum("ii->i", x[:, :3]),
    "einsum trace": lambda x: ops.einsum("ii", x[:, 1:]),
    "einsum repeated with others": lambda x: ops.einsum("iij,j->i", ops.reshape(ops.tile(x, (1, 3)), (3, 3, 4)), x[0]),
    "expand_dims squeeze": lambda x: ops.squeeze(ops.expand_dims(x, (0, 3)), 0),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_differentiable_ops_pass_gradcheck_in_float64(name):
    gradcheck(GRADIENT_CASES[name], leaf(X64))


def test_prod_gradient_is_exact_where_an_element_is_zero():
    x = leaf(np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]]))
    ops.prod(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


def test_gradients_match_tensorflow_for_the_new_functions():
    import tensorflow as tf

    for name, function in [("cumsum", lambda o, x: o.cumsum(x, axis=1)), ("cumprod", lambda o, x: o.cumprod(x, axis=0)),
                           ("prod", lambda o, x: o.prod(x, axis=1)), ("erf", lambda o, x: o.erf(x)),
                           ("einsum", lambda o, x: o.einsum("ij,kj->ik", x, x)),
                           ("einsum diagonal", lambda o, x: o.einsum("ii->i", x[:, :3]) * o.sum(x, axis=1))]:
        variable = tf.Variable(X64)
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(function(keras.ops, variable) ** 2)
        expected = tape.gradient(total, variable).numpy()
        x = leaf(X64)
        (function(ops, x) ** 2).sum().backward()
        np.testing.assert_allclose(x.grad, expected, rtol=1e-9, atol=1e-12, err_msg=name)


def test_cast_between_float_types_passes_the_gradient_back_in_the_input_type():
    x = leaf(X64)
    y = ops.cast(x, "float32")
    assert y.dtype == np.float32
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, np.full_like(X64, 3.0))
    assert not ops.cast(x, "int32").requires_grad


def test_stop_gradient_cuts_the_graph():
    x = leaf(X64)
    (ops.stop_gradient(x) * x).sum().backward()
    np.testing.assert_array_equal(x.grad, X64)


def test_a_custom_loss_written_with_ops_trains_a_model():
    def smooth_top2_loss(y_true, y_pred):
        picked = ops.take_along_axis(y_pred, ops.expand_dims(ops.argmax(y_true, axis=-1), -1), axis=-1)
        return ops.mean(ops.softplus(ops.top_k(y_pred, 2)[0][:, :1] - picked) + ops.square(ops.cumsum(y_pred, 1)[:, -1]))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = ops.one_hot(np.argmax(x[:, :3], axis=1), 3)
    model = minidl.Sequential([minidl.layers.Dense(3, input_shape=(4,))])
    model.compile(optimizer="adam", loss=smooth_top2_loss)
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------------- shapes varied (against numpy)
@settings(max_examples=30, deadline=None)
@given(x=float64_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_cumsum_prod_and_tile_match_numpy_and_pass_gradcheck_for_any_shape(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    np.testing.assert_allclose(ops.cumsum(Tensor(x), axis).data, np.cumsum(x, axis))
    np.testing.assert_allclose(ops.prod(Tensor(x), axis).data, np.prod(x, axis))
    np.testing.assert_array_equal(ops.tile(Tensor(x), reps).data, np.tile(x, reps))
    gradcheck(lambda t: ops.cumsum(t, axis), leaf(x))
    gradcheck(lambda t: ops.prod(t, axis), leaf(x))
    gradcheck(lambda t: ops.tile(t, reps), leaf(x))


@settings(max_examples=30, deadline=None)
@given(x=float64_arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)), data=st.data(),
       seed=st.integers(0, 99))
def test_take_along_axis_and_top_k_match_numpy_for_any_shape(x, data, seed):
    x = distinct(x, seed)
    axis = data.draw(st.integers(0, x.ndim - 1))
    shape = list(x.shape)
    shape[axis] = data.draw(st.integers(1, 4))
    indices = np.random.default_rng(seed).integers(0, x.shape[axis], size=shape)
    np.testing.assert_array_equal(ops.take_along_axis(Tensor(x), indices, axis).data,
                                  np.take_along_axis(x, indices, axis))
    k = data.draw(st.integers(0, x.shape[-1]))
    values, order = ops.top_k(x, k)
    np.testing.assert_array_equal(values, -np.sort(-x, axis=-1)[..., :k])
    np.testing.assert_array_equal(np.take_along_axis(x, order, -1), values)
    gradcheck(lambda t: ops.take_along_axis(t, indices, axis), leaf(x))


@settings(max_examples=30, deadline=None)
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), n=st.integers(1, 4), m=st.integers(1, 4),
       k=st.integers(1, 4), seed=st.integers(0, 99))
def test_einsum_matches_numpy_and_passes_gradcheck_for_batched_products(batch, n, m, k, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=batch + (n, m)), rng.normal(size=(m, k))
    np.testing.assert_allclose(ops.einsum("...nm,mk->...kn", Tensor(a), Tensor(b)).data,
                               np.einsum("...nm,mk->...kn", a, b), rtol=1e-12)
    gradcheck(lambda p, q: ops.einsum("...nm,mk->...kn", p, q), leaf(a), leaf(b))


def test_bad_arguments_are_refused_with_one_sentence():
    with pytest.raises(ValueError, match="top_k: k=5"):
        ops.top_k(V, 5)
    with pytest.raises(ValueError, match="split: an axis of length 4 cannot be split into 3"):
        ops.split(V, 3)
    with pytest.raises(ValueError, match="einsum: 'ij,jk->ik' names 2 operands, but 1"):
        ops.einsum("ij,jk->ik", A)
    with pytest.raises(ValueError, match="one_hot: float labels must be finite"):
        ops.one_hot(np.array([1.0, np.nan]), 3)
    with pytest.raises(ValueError, match="squeeze: axis 1 has size 4"):
        ops.squeeze(A, 1)
