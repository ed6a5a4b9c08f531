"""The autodiff core: Tensor, the backward walk, no_grad, dtypes and errors."""

import numpy as np
import pytest

import minidl
from minidl import Function, Tensor
from minidl import functional as F


def test_backward_of_a_product_gives_the_other_factor():
    x = Tensor([2.0, 3.0], requires_grad=True)
    y = Tensor([5.0, 7.0], requires_grad=True)
    (x * y).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    np.testing.assert_array_equal(y.grad, [2.0, 3.0])


def test_gradients_accumulate_when_a_tensor_feeds_several_consumers():
    x = Tensor([1.5], requires_grad=True)
    y = x * x + x * 3.0 + x  # dy/dx = 2x + 4
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2 * 1.5 + 4])


def test_diamond_graph_sums_both_paths():
    x = Tensor(np.array([0.3, -0.2]), requires_grad=True)
    a = F.exp(x)
    b = a * 2.0
    c = a * a
    (b + c).sum().backward()  # d/dx (2 e^x + e^2x) = 2 e^x + 2 e^2x
    expected = 2 * np.exp(x.data) + 2 * np.exp(2 * x.data)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)


def test_leaf_gradients_accumulate_across_backward_calls_until_reset():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_chain_of_ten_thousand_operations_does_not_hit_the_recursion_limit():
    x = Tensor([1.0], requires_grad=True, dtype="float64")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**10_000], rtol=1e-9)


def test_backward_on_a_non_scalar_without_grad_is_a_clear_error():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        (x * 2.0).backward()


def test_backward_on_a_non_scalar_with_grad_uses_it():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (x * 3.0).backward(np.full((2, 3), 2.0))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 6.0))


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        (x * 3.0).backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_second_backward_through_a_freed_graph_says_retain_graph():
    x = Tensor([1.0], requires_grad=True)
    y = (x * 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0])


def test_no_grad_records_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with minidl.no_grad():
        y = x * 2.0
        assert not minidl.is_grad_enabled()
    assert minidl.is_grad_enabled()
    assert not y.requires_grad and y.creator is None


def test_constants_do_not_record_a_graph():
    y = Tensor([1.0]) * Tensor([2.0])
    assert not y.requires_grad and y.creator is None


def test_detach_cuts_the_graph_and_shares_data():
    x = Tensor([1.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.creator is None
    assert d.data is y.data


def test_float32_is_the_default_and_float64_is_kept_on_request():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(1.5).dtype == np.float32
    assert Tensor(np.arange(3)).dtype == np.float32
    assert Tensor(np.ones(2), dtype="float64").dtype == np.float64
    assert Tensor(np.ones(2, dtype=np.float64)).dtype == np.float64


def test_mixing_dtypes_promotes_as_numpy_does():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2, dtype=np.float64), requires_grad=True)
    c = a * b
    assert c.dtype == np.float64
    c.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_python_scalars_keep_the_tensor_dtype():
    assert (Tensor([1.0]) * 2.5).dtype == np.float32
    assert (2.5 - Tensor([1.0], dtype="float64")).dtype == np.float64


def test_numpy_arrays_on_the_left_defer_to_tensor_operators():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_comparisons_return_plain_boolean_arrays():
    x = Tensor([1.0, 2.0, 3.0])
    result = x > 1.5
    assert isinstance(result, np.ndarray) and result.dtype == bool
    np.testing.assert_array_equal(result, [False, True, True])
    np.testing.assert_array_equal(x == Tensor([1.0, 0.0, 3.0]), [True, False, True])
    assert len({x, Tensor([1.0])}) == 2  # tensors stay hashable by identity


def test_matmul_of_incompatible_shapes_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_broadcasting_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_a_backward_returning_the_wrong_shape_is_reported_with_both_shapes():
    class Broken(Function):
        def forward(self, x):
            return x.sum(axis=0)

        def backward(self, gy):
            return gy  # forgot to spread gy back over axis 0

    x = Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.*\(2,\).*\(3, 2\)"):
        Broken()(x).sum().backward()


def test_item_numpy_and_repr():
    x = Tensor([[1.5]], requires_grad=True, name="w")
    assert x.item() == 1.5
    assert isinstance(x.numpy(), np.ndarray)
    assert "requires_grad=True" in repr(x) and "'w'" in repr(x)
    with pytest.raises(ValueError, match="one element"):
        Tensor([1.0, 2.0]).item()


def test_tensor_methods_match_numpy():
    data = np.arange(6, dtype=np.float64).reshape(2, 3) + 1
    x = Tensor(data)
    np.testing.assert_array_equal(x.T.data, data.T)
    np.testing.assert_array_equal(x.transpose(1, 0).data, data.T)
    np.testing.assert_array_equal(x.reshape(3, 2).data, data.reshape(3, 2))
    np.testing.assert_array_equal(x.sum(axis=1).data, data.sum(axis=1))
    np.testing.assert_array_equal(x.mean(axis=0, keepdims=True).data, data.mean(axis=0, keepdims=True))
    np.testing.assert_array_equal(x.max().data, data.max())
    np.testing.assert_array_equal(x.min(axis=1).data, data.min(axis=1))
    np.testing.assert_allclose(x.log().data, np.log(data))
    np.testing.assert_allclose(x.sqrt().data, np.sqrt(data))
    np.testing.assert_array_equal((-x).abs().data, data)
    np.testing.assert_array_equal(x.clip(2, 4).data, np.clip(data, 2, 4))
    np.testing.assert_array_equal(x[1, ::2].data, data[1, ::2])
    np.testing.assert_array_equal(x.flatten().data, data.ravel())
    np.testing.assert_array_equal((2.0**x).data, 2.0**data)
