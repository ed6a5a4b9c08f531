"""Float64 gradient checks of arithmetic, shape operations and reductions, on drawn shapes and values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minidl import Tensor, gradcheck
from minidl import functional as F
from tests.strategies import away_from, distinct, float64_arrays, leaf, small_shapes

broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@st.composite
def broadcast_operands(draw, low=-3.0, high=3.0):
    shapes = draw(broadcast_pairs).input_shapes
    return [draw(float64_arrays(shape, low, high)) for shape in shapes]


@pytest.mark.parametrize("op", [F.add, F.subtract, F.multiply, F.maximum], ids=lambda f: f.__name__)
@given(operands=broadcast_operands())
def test_broadcasting_binary_operations_pass_gradcheck(op, operands):
    a, b = operands
    if op is F.maximum:  # values on grids 0.37 apart, offset by 0.1: never a tie
        a, b = distinct(a, 1), distinct(b, 2) + 0.1
    gradcheck(op, leaf(a), leaf(b))


@given(operands=broadcast_operands())
def test_divide_passes_gradcheck(operands):
    a, b = operands
    b = np.where(np.abs(b) < 0.5, 0.5 + np.abs(b), b)  # away from division by zero
    gradcheck(F.divide, leaf(a), leaf(b))


@given(operands=broadcast_operands(0.5, 2.0))
def test_power_passes_gradcheck_in_base_and_exponent(operands):
    base, exponent = operands
    gradcheck(F.power, leaf(base), leaf(exponent))


@given(x=float64_arrays(small_shapes), exponent=st.sampled_from([2, 3, -1, 0.5]))
def test_power_with_a_constant_exponent_passes_gradcheck(x, exponent):
    x = np.abs(x) + 0.5
    gradcheck(lambda t: t**exponent, leaf(x))


def test_power_with_a_constant_exponent_never_takes_the_log_of_a_negative_base():
    x = Tensor([-2.0, 3.0], requires_grad=True)
    (x**2).sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 6.0])


@st.composite
def matmul_operands(draw):
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    kind = draw(st.sampled_from(["matrix", "vector-left", "vector-right", "vector-both", "batched"]))
    shapes = {
        "matrix": ((n, k), (k, m)),
        "vector-left": ((k,), (k, m)),
        "vector-right": ((n, k), (k,)),
        "vector-both": ((k,), (k,)),
        "batched": (batch[0] + (n, k), batch[1] + (k, m)),
    }[kind]
    return [draw(float64_arrays(shape)) for shape in shapes]


@given(operands=matmul_operands())
def test_matmul_passes_gradcheck_for_vectors_matrices_and_broadcast_batches(operands):
    a, b = operands
    gradcheck(F.matmul, leaf(a), leaf(b))


@given(x=float64_arrays(small_shapes, 0.1, 3.0))
def test_exp_log_sqrt_pass_gradcheck(x):
    for op in (F.exp, F.log, F.sqrt):
        gradcheck(op, leaf(x))


@given(x=float64_arrays(small_shapes))
def test_negative_and_abs_pass_gradcheck(x):
    gradcheck(F.negative, leaf(x))
    gradcheck(F.abs, leaf(away_from(x, [0.0])))


@given(x=float64_arrays(small_shapes), bounds=st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None)]))
def test_clip_passes_gradcheck(x, bounds):
    low, high = bounds
    x = away_from(x, [b for b in bounds if b is not None])
    gradcheck(lambda t: F.clip(t, low, high), leaf(x))


@given(operands=broadcast_operands(), seed=st.integers(0, 100))
def test_where_passes_gradcheck(operands, seed):
    a, b = operands
    shape = np.broadcast_shapes(a.shape, b.shape)
    condition = np.random.default_rng(seed).random(shape) > 0.5
    gradcheck(lambda x, y: F.where(condition, x, y), leaf(a), leaf(b))


@given(x=float64_arrays(small_shapes), data=st.data())
def test_reshape_and_transpose_pass_gradcheck(x, data):
    gradcheck(lambda t: F.reshape(t, (-1,)), leaf(x))
    axes = data.draw(st.permutations(range(x.ndim)))
    gradcheck(lambda t: F.transpose(t, axes), leaf(x))
    gradcheck(lambda t: t.T, leaf(x))


@given(x=float64_arrays(hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4)), seed=st.integers(0, 100))
def test_getitem_passes_gradcheck_for_slices_and_repeated_integer_indices(x, seed):
    rng = np.random.default_rng(seed)
    gradcheck(lambda t: t[1:, ::2], leaf(x))
    gradcheck(lambda t: t[-1], leaf(x))
    repeated = rng.integers(0, x.shape[0], size=5)  # repeats: gradients must add up
    gradcheck(lambda t: t[repeated], leaf(x))
    mask = rng.random(x.shape) > 0.5
    gradcheck(lambda t: t[mask], leaf(x))
    rows, cols = rng.integers(0, x.shape[0], 3), rng.integers(0, x.shape[1], 3)
    gradcheck(lambda t: t[rows, cols], leaf(x))


def test_getitem_with_repeated_indices_sums_the_gradients():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


@given(shape=small_shapes, data=st.data())
def test_concatenate_and_stack_pass_gradcheck(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    other_shape = list(shape)
    other_shape[axis] = data.draw(st.integers(1, 3))
    a = data.draw(float64_arrays(shape))
    b = data.draw(float64_arrays(tuple(other_shape)))
    c = data.draw(float64_arrays(shape))
    gradcheck(lambda x, y: F.concatenate([x, y], axis=axis), leaf(a), leaf(b))
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    gradcheck(lambda x, y: F.stack([x, y], axis=stack_axis), leaf(a), leaf(c))


def test_concatenate_of_mismatched_shapes_names_both():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        F.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)


@given(x=float64_arrays(small_shapes), data=st.data())
def test_pad_passes_gradcheck(x, data):
    widths = [data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in range(x.ndim)]
    value = data.draw(st.floats(-1, 1))
    gradcheck(lambda t: F.pad(t, widths, value), leaf(x))
    np.testing.assert_array_equal(F.pad(Tensor(x), widths, value).data, np.pad(x, widths, constant_values=value))


@st.composite
def reduction_case(draw):
    x = draw(float64_arrays(small_shapes))
    axis = draw(
        st.none()
        | st.integers(-x.ndim, x.ndim - 1)
        | st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True).map(tuple)
    )
    return x, axis, draw(st.booleans())


@given(case=reduction_case())
def test_sum_and_mean_pass_gradcheck(case):
    x, axis, keepdims = case
    gradcheck(lambda t: F.sum(t, axis, keepdims), leaf(x))
    gradcheck(lambda t: F.mean(t, axis, keepdims), leaf(x))
    np.testing.assert_allclose(F.mean(Tensor(x), axis, keepdims).data, x.mean(axis=axis, keepdims=keepdims))


@given(case=reduction_case())
def test_max_and_min_pass_gradcheck_without_ties(case):
    x, axis, keepdims = case
    x = distinct(x)
    gradcheck(lambda t: F.max(t, axis, keepdims), leaf(x))
    gradcheck(lambda t: F.min(t, axis, keepdims), leaf(x))
    np.testing.assert_array_equal(F.max(Tensor(x), axis, keepdims).data, x.max(axis=axis, keepdims=keepdims))


def test_max_shares_the_gradient_equally_among_ties_as_central_differences_do():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    report = gradcheck(lambda t: F.max(t, axis=1), x, raise_exception=False)
    assert report.passed
    x = Tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    F.max(x).backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5]])


def test_reduction_over_an_axis_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="axis 2"):
        F.sum(Tensor(np.ones((2, 3))), axis=2)
