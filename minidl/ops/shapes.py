"""``ndim``, ``size``, ``ravel``, ``roll``, ``tensordot``, ``is_tensor``: Keras's ops on shapes and axes.

``ravel`` is a reshape, ``roll`` a ``take`` of rotated indices (its gradient
rolls gy back), and ``tensordot`` an ``einsum`` that contracts the given
axes of the two operands (its gradient is einsum's: each operand gets gy
contracted with the other):

    tensordot(a, b, axes=([1], [0]))[i, k] = sum_j a[i, j] b[j, k]
"""

from __future__ import annotations

import math
import string
from typing import Any

from minidl.autodiff.tensor import Tensor
from minidl.ops.arrays import einsum, reshape, take
from minidl.ops.dispatch import array_module, as_array, normalise_axis


def ndim(x: Any) -> int:
    return len(as_array(x).shape)


def size(x: Any) -> int:
    return math.prod(as_array(x).shape)


def ravel(x: Any) -> Any:
    return reshape(x, (-1,))


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a minidl Tensor (an array or a number is not, as Keras's backend tensors)."""
    return isinstance(x, Tensor)


def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """Elements shifted by ``shift`` places along ``axis`` (of the flattened array when None), wrapping round."""
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), as_array(x).shape)
    shifts, axes = (shift, axis) if isinstance(axis, (tuple, list)) else ((shift,), (axis,))
    if isinstance(shifts, int):
        shifts = (shifts,) * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: give one shift per axis, got shift={shift!r} and axis={axis!r}")
    for step, a in zip(shifts, axes):
        length = as_array(x).shape[normalise_axis(a, ndim(x), "roll")]
        x = take(x, (array_module(x).arange(length) - int(step)) % length, axis=a)
    return x


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    """The sum over ``axes`` of x1 and x2 (an int: x1's last n with x2's first n; or two lists of axes)."""
    n1, n2 = ndim(x1), ndim(x2)
    if isinstance(axes, int):
        if not 0 <= axes <= min(n1, n2):
            raise ValueError(f"tensordot: axes={axes} must be in [0, {min(n1, n2)}] for operands of {n1} and {n2} "
                             "axes")
        pairs = (list(range(n1 - axes, n1)), list(range(axes)))
    else:
        pairs = tuple([a] if isinstance(a, int) else list(a) for a in axes)
    first = [normalise_axis(a, n1, "tensordot") for a in pairs[0]]
    second = [normalise_axis(a, n2, "tensordot") for a in pairs[1]]
    if len(first) != len(second) or len(set(first)) != len(first) or len(set(second)) != len(second):
        raise ValueError(f"tensordot: axes {axes!r} must pair distinct axes of x1 with as many of x2")
    if n1 + n2 > len(string.ascii_letters):
        raise ValueError(f"tensordot: operands of {n1} and {n2} axes are more than einsum can name")
    letters = iter(string.ascii_letters)
    left = [next(letters) for _ in range(n1)]
    right = [next(letters) for _ in range(n2)]
    for a, b in zip(first, second):
        right[b] = left[a]
    output = [c for i, c in enumerate(left) if i not in first] + [c for i, c in enumerate(right) if i not in second]
    return einsum(f"{''.join(left)},{''.join(right)}->{''.join(output)}", x1, x2)
