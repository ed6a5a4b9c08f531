"""Elementwise arithmetic, matrix product and elementwise math functions.

Binary operations broadcast as numpy does; their backward sums each gradient
back to its input's shape with ``unbroadcast``. ``gy`` is always dL/dy.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend
from minidl.autodiff.function import Function, as_tensor, unbroadcast
from minidl.autodiff.tensor import Tensor, data_of


def _broadcast_shape(name: str, shape0: tuple, shape1: tuple) -> tuple:
    xp = backend.get_array_module()
    try:
        return tuple(xp.broadcast_shapes(shape0, shape1))
    except ValueError:
        raise ValueError(
            f"{name}: shapes {shape0} and {shape1} cannot be broadcast together"
        ) from None


def _operands(x0: Any, x1: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes its partner's dtype."""
    if isinstance(x0, Tensor):
        return x0, as_tensor(x1, like=x0)
    x1 = as_tensor(x1)
    return as_tensor(x0, like=x1), x1


class Add(Function):
    """y = x0 + x1;  dL/dx0 = gy,  dL/dx1 = gy (each summed to its input's shape)."""

    def forward(self, x0: Any, x1: Any) -> Any:
        _broadcast_shape("add", x0.shape, x1.shape)
        self.shape0, self.shape1 = x0.shape, x1.shape
        return x0 + x1

    def backward(self, gy: Any) -> tuple:
        return unbroadcast(gy, self.shape0), unbroadcast(gy, self.shape1)


class Subtract(Function):
    """y = x0 - x1;  dL/dx0 = gy,  dL/dx1 = -gy."""

    def forward(self, x0: Any, x1: Any) -> Any:
        _broadcast_shape("subtract", x0.shape, x1.shape)
        self.shape0, self.shape1 = x0.shape, x1.shape
        return x0 - x1

    def backward(self, gy: Any) -> tuple:
        return unbroadcast(gy, self.shape0), unbroadcast(-gy, self.shape1)


class Multiply(Function):
    """y = x0 * x1;  dL/dx0 = gy * x1,  dL/dx1 = gy * x0."""

    def forward(self, x0: Any, x1: Any) -> Any:
        _broadcast_shape("multiply", x0.shape, x1.shape)
        self.x0, self.x1 = x0, x1
        return x0 * x1

    def backward(self, gy: Any) -> tuple:
        g0 = unbroadcast(gy * self.x1, self.x0.shape) if self.needs_input_grad[0] else None
        g1 = unbroadcast(gy * self.x0, self.x1.shape) if self.needs_input_grad[1] else None
        return g0, g1


class Divide(Function):
    """y = x0 / x1;  dL/dx0 = gy / x1,  dL/dx1 = -gy * x0 / x1^2."""

    def forward(self, x0: Any, x1: Any) -> Any:
        _broadcast_shape("divide", x0.shape, x1.shape)
        self.x0, self.x1 = x0, x1
        return x0 / x1

    def backward(self, gy: Any) -> tuple:
        g0 = unbroadcast(gy / self.x1, self.x0.shape) if self.needs_input_grad[0] else None
        g1 = None
        if self.needs_input_grad[1]:
            g1 = unbroadcast(-gy * self.x0 / (self.x1 * self.x1), self.x1.shape)
        return g0, g1


class Negative(Function):
    """y = -x;  dL/dx = -gy."""

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, gy: Any) -> Any:
        return -gy


class Power(Function):
    """y = x0 ** x1;  dL/dx0 = gy * x1 * x0^(x1 - 1),  dL/dx1 = gy * y * log(x0).

    The exponent's gradient is computed only when the exponent requires one
    (``x ** 2`` never takes a logarithm of ``x``).
    """

    def forward(self, x0: Any, x1: Any) -> Any:
        _broadcast_shape("power", x0.shape, x1.shape)
        self.x0, self.x1 = x0, x1
        self.y = x0**x1
        return self.y

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        g0 = g1 = None
        if self.needs_input_grad[0]:
            g0 = unbroadcast(gy * self.x1 * self.x0 ** (self.x1 - 1), self.x0.shape)
        if self.needs_input_grad[1]:
            g1 = unbroadcast(gy * self.y * xp.log(self.x0), self.x1.shape)
        return g0, g1


class MatMul(Function):
    """y = x0 @ x1 (numpy's matmul: 1-D operands, batched stacks, broadcasting).

    For matrices ``dL/dx0 = gy @ x1^T`` and ``dL/dx1 = x0^T @ gy``; stacks use
    the same rule on their last two axes and sum over broadcast batch axes.
    A 1-D operand is treated as a row (left) or column (right) vector, as in
    the forward, and its added axis is removed from its gradient.
    """

    def forward(self, x0: Any, x1: Any) -> Any:
        if x0.ndim == 0 or x1.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-D, got shapes {x0.shape} and {x1.shape}")
        inner0 = x0.shape[-1]
        inner1 = x1.shape[-2] if x1.ndim > 1 else x1.shape[0]
        if inner0 != inner1:
            raise ValueError(
                f"matmul: shapes {x0.shape} and {x1.shape} are not aligned: "
                f"{inner0} (last axis of the first) != {inner1} "
                f"({'second-to-last' if x1.ndim > 1 else 'only'} axis of the second)"
            )
        if x0.ndim > 2 or x1.ndim > 2:
            _broadcast_shape("matmul (batch axes)", x0.shape[:-2], x1.shape[:-2])
        self.x0, self.x1 = x0, x1
        return x0 @ x1

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        a = self.x0 if self.x0.ndim > 1 else self.x0[None, :]
        b = self.x1 if self.x1.ndim > 1 else self.x1[:, None]
        if self.x0.ndim == 1:
            gy = xp.expand_dims(gy, -2 if gy.ndim >= 1 else 0)
        if self.x1.ndim == 1:
            gy = xp.expand_dims(gy, -1)
        g0 = g1 = None
        if self.needs_input_grad[0]:
            g0 = unbroadcast(gy @ xp.swapaxes(b, -1, -2), a.shape).reshape(self.x0.shape)
        if self.needs_input_grad[1]:
            g1 = unbroadcast(xp.swapaxes(a, -1, -2) @ gy, b.shape).reshape(self.x1.shape)
        return g0, g1


class Exp(Function):
    """y = e^x;  dL/dx = gy * y."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.y = xp.exp(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return gy * self.y


class Log(Function):
    """y = ln x;  dL/dx = gy / x."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.x = x
        return xp.log(x)

    def backward(self, gy: Any) -> Any:
        return gy / self.x


class Sqrt(Function):
    """y = sqrt(x);  dL/dx = gy / (2 y)."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, gy: Any) -> Any:
        return gy / (2 * self.y)


class Abs(Function):
    """y = |x|;  dL/dx = gy * sign(x)  (0 at x = 0, a subgradient)."""

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.x = x
        return xp.abs(x)

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        return gy * xp.sign(self.x)


class Clip(Function):
    """y = min(max(x, low), high);  dL/dx = gy where low <= x <= high, else 0."""

    def __init__(self, low: Any = None, high: Any = None) -> None:
        if low is not None and high is not None and low > high:
            raise ValueError(f"clip: min_value {low} is greater than max_value {high}")
        self.low, self.high = low, high

    def forward(self, x: Any) -> Any:
        xp = backend.get_array_module(x)
        self.x = x
        return xp.clip(x, self.low, self.high)

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        inside = xp.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside = inside & (self.x >= self.low)
        if self.high is not None:
            inside = inside & (self.x <= self.high)
        return gy * inside


class Maximum(Function):
    """y = max(x0, x1) elementwise;  the gradient goes to the larger input.

    dL/dx0 = gy * [x0 > x1] + gy/2 * [x0 == x1], and symmetrically for x1:
    at a tie each input gets half, which is what central differences see.
    """

    def forward(self, x0: Any, x1: Any) -> Any:
        xp = backend.get_array_module(x0)
        _broadcast_shape("maximum", x0.shape, x1.shape)
        self.x0, self.x1 = x0, x1
        return xp.maximum(x0, x1)

    def backward(self, gy: Any) -> tuple:
        share0 = (self.x0 > self.x1) + 0.5 * (self.x0 == self.x1)
        g0 = unbroadcast(gy * share0, self.x0.shape)
        g1 = unbroadcast(gy * (1 - share0), self.x1.shape)
        return g0, g1


class Minimum(Function):
    """y = min(x0, x1) elementwise;  the gradient goes to the smaller input.

    dL/dx0 = gy * [x0 < x1] + gy/2 * [x0 == x1], and symmetrically for x1
    (the mirror image of ``Maximum``).
    """

    def forward(self, x0: Any, x1: Any) -> Any:
        xp = backend.get_array_module(x0)
        _broadcast_shape("minimum", x0.shape, x1.shape)
        self.x0, self.x1 = x0, x1
        return xp.minimum(x0, x1)

    def backward(self, gy: Any) -> tuple:
        share0 = (self.x0 < self.x1) + 0.5 * (self.x0 == self.x1)
        g0 = unbroadcast(gy * share0, self.x0.shape)
        g1 = unbroadcast(gy * (1 - share0), self.x1.shape)
        return g0, g1


class Where(Function):
    """y = x0 where condition else x1;  dL/dx0 = gy * condition,  dL/dx1 = gy * not condition."""

    def __init__(self, condition: Any) -> None:
        self.condition = data_of(condition)

    def forward(self, x0: Any, x1: Any) -> Any:
        xp = backend.get_array_module(x0, x1)
        self.condition = xp.asarray(self.condition, dtype=bool)
        shape = _broadcast_shape("where", x0.shape, x1.shape)
        _broadcast_shape("where (condition)", self.condition.shape, shape)
        self.shape0, self.shape1 = x0.shape, x1.shape
        return xp.where(self.condition, x0, x1)

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        zero = xp.zeros((), dtype=gy.dtype)
        g0 = unbroadcast(xp.where(self.condition, gy, zero), self.shape0)
        g1 = unbroadcast(xp.where(self.condition, zero, gy), self.shape1)
        return g0, g1


def add(x0: Any, x1: Any) -> Tensor:
    return Add()(*_operands(x0, x1))


def subtract(x0: Any, x1: Any) -> Tensor:
    return Subtract()(*_operands(x0, x1))


def multiply(x0: Any, x1: Any) -> Tensor:
    return Multiply()(*_operands(x0, x1))


def divide(x0: Any, x1: Any) -> Tensor:
    return Divide()(*_operands(x0, x1))


def negative(x: Any) -> Tensor:
    return Negative()(x)


def power(x0: Any, x1: Any) -> Tensor:
    return Power()(*_operands(x0, x1))


def matmul(x0: Any, x1: Any) -> Tensor:
    return MatMul()(*_operands(x0, x1))


def exp(x: Any) -> Tensor:
    return Exp()(x)


def log(x: Any) -> Tensor:
    return Log()(x)


def sqrt(x: Any) -> Tensor:
    return Sqrt()(x)


def abs(x: Any) -> Tensor:  # noqa: A001 - the name users expect, as numpy.abs
    return Abs()(x)


def clip(x: Any, min_value: Any = None, max_value: Any = None) -> Tensor:
    """Limit ``x`` to ``[min_value, max_value]``; either bound may be None."""
    if min_value is None and max_value is None:
        raise ValueError("clip: give min_value, max_value or both")
    return Clip(min_value, max_value)(x)


def maximum(x0: Any, x1: Any) -> Tensor:
    return Maximum()(*_operands(x0, x1))


def minimum(x0: Any, x1: Any) -> Tensor:
    return Minimum()(*_operands(x0, x1))


def where(condition: Any, x0: Any, x1: Any) -> Tensor:
    """Elementwise choice: ``x0`` where ``condition`` is true, else ``x1``."""
    return Where(condition)(*_operands(x0, x1))
