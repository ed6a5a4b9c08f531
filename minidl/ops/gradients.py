"""The differentiable operations ``keras.ops`` has and ``minidl.functional`` does not, forward beside backward.

=============  =============================================================
Function       forward; backward
=============  =============================================================
CumSum         y_i = sum_{j<=i} x_j;  dL/dx_j = sum_{i>=j} gy_i
CumProd        y_i = prod_{j<=i} x_j;  dL/dx_j = sum_{i>=j} gy_i y_i / x_j
Prod           y = prod_i x_i;  dL/dx_i = gy prod_{j != i} x_j
Einsum         y = einsum(spec, a, b, ...);  dL/da = einsum(gy, b, ... -> a)
Erf            y = erf(x);  dL/dx = gy 2 / sqrt(pi) exp(-x^2)
Cast           y = x in another float type;  dL/dx = gy in x's type
=============  =============================================================

The other ``keras.ops`` functions are compositions of ``minidl.functional``
(``take`` is indexing, ``tile`` is a broadcast and a reshape, ``norm`` is
sums, squares and a square root), so their gradients need no code here.
"""

from __future__ import annotations

import math
import string
from typing import Any

from minidl.core import backend
from minidl.autodiff.function import Function
from minidl.functional.activation import erf as erf_values


class CumSum(Function):
    """y_i = x_0 + ... + x_i along ``axis``;  dL/dx_j = sum_{i >= j} gy_i, a cumulative sum from the end."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return backend.get_array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        return xp.flip(xp.cumsum(xp.flip(gy, self.axis), axis=self.axis), self.axis)


class CumProd(Function):
    """y_i = x_0 x_1 ... x_i along ``axis``.

    dL/dx_j = sum_{i >= j} gy_i dy_i/dx_j = (sum_{i >= j} gy_i y_i) / x_j:
    a cumulative sum from the end of gy * y, divided by x (TensorFlow's rule,
    which Keras's TensorFlow backend follows: at x_j = 0 it is not finite).
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.x = x
        self.y = backend.get_array_module(x).cumprod(x, axis=self.axis)
        return self.y

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        from_the_end = xp.flip(xp.cumsum(xp.flip(gy * self.y, self.axis), axis=self.axis), self.axis)
        return from_the_end / self.x


def _as_axes(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} axes")
    return tuple(sorted({a % ndim for a in axes}))


class Prod(Function):
    """y = the product of x over ``axis``;  dL/dx_i = gy * prod_{j != i} x_j.

    The product of the others is computed without dividing by x_i (exact
    where some x_j = 0): for the reduced elements laid out in a row,
    prod_{j != i} x_j = (x_0 ... x_{i-1}) (x_{i+1} ... x_{n-1}), a
    cumulative product from the start times one from the end.
    """

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.x, self.axes = x, _as_axes(self.axis, x.ndim)
        return backend.get_array_module(x).prod(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy: Any) -> Any:
        xp, x, axes = backend.get_array_module(gy), self.x, self.axes
        kept = [a for a in range(x.ndim) if a not in axes]
        order = kept + list(axes)
        rows = xp.transpose(x, order).reshape(tuple(x.shape[a] for a in kept) + (-1,))
        ones = xp.ones(rows.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(rows, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = xp.transpose((before * after).reshape([x.shape[a] for a in order]), _inverse(order))
        gy = gy.reshape(tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
        return others * gy


def _inverse(order: list) -> list:
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return inverse


def explicit_subscripts(subscripts: str, shapes: list) -> tuple[list, str]:
    """Operand and output letters with every "..." spelt out: ("...j,jk", [(2, 3), (3, 4)]) -> (["aj", "jk"], "ak").

    An implicit output (no "->") is numpy's: the letters seen once, sorted,
    after the ellipsis axes. Ellipsis axes line up from the right, as in
    broadcasting, and take letters no term uses.
    """
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, but {len(shapes)} were given")
    if not arrow:
        letters = "".join(terms).replace("...", "")
        output = ("..." if "..." in inputs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    spare = [c for c in string.ascii_letters if c not in spec]
    widths = [len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes) if "..." in term]
    ellipsis = "".join(spare[: max(widths, default=0)])
    terms = [term.replace("...", ellipsis[len(ellipsis) - (len(shape) - len(term) + 3):]) if "..." in term else term
             for term, shape in zip(terms, shapes)]
    return terms, output.replace("...", ellipsis)


class Einsum(Function):
    """y = einsum(spec, x_0, x_1, ...): products of the operands summed over the letters the output lacks.

    y is linear in each operand, so dL/dx_k is the same contraction with x_k
    swapped for gy: ``einsum("<out>,<others>-><x_k's letters>", gy, others)``.
    A letter that only x_k has was summed over alone: gy does not depend on
    its position, so that gradient is broadcast along it; an axis of x_k of
    size 1 that was broadcast is summed back to size 1. An operand that
    repeats a letter ("ii->i", a diagonal) receives its gradient on that
    diagonal and zeros elsewhere.
    """

    def __init__(self, subscripts: str) -> None:
        self.subscripts = subscripts

    def forward(self, *xs: Any) -> Any:
        self.terms, self.output = explicit_subscripts(self.subscripts, [x.shape for x in xs])
        self.xs = xs
        return backend.get_array_module(*xs).einsum(f"{','.join(self.terms)}->{self.output}", *xs)

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        grads = []
        for k, (term, x) in enumerate(zip(self.terms, self.xs)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(t, o) for j, (t, o) in enumerate(zip(self.terms, self.xs)) if j != k]
            seen = self.output + "".join(t for t, _ in others)
            grads.append(self._gradient(xp, term, x, seen, gy, others))
        return tuple(grads)

    def _gradient(self, xp: Any, term: str, x: Any, seen: str, gy: Any, others: list) -> Any:
        """dL/dx for the operand ``x`` with letters ``term``; ``seen``: the letters of gy and the other operands."""
        unique = "".join(dict.fromkeys(term))  # a repeated letter ("ii", a diagonal) once
        target = "".join(c for c in unique if c in seen)
        g = xp.einsum(",".join([self.output] + [t for t, _ in others]) + "->" + target, gy, *[o for _, o in others])
        g = g.reshape([g.shape[target.index(c)] if c in target else 1 for c in unique])
        sizes = [x.shape[term.index(c)] for c in unique]
        broadcast = tuple(axis for axis, n in enumerate(sizes) if n == 1 and g.shape[axis] != 1)
        if broadcast:
            g = g.sum(axis=broadcast, keepdims=True)
        g = xp.broadcast_to(g, sizes)
        if unique == term:
            return g.astype(x.dtype, copy=True)
        gx = xp.zeros(x.shape, dtype=x.dtype)  # the gradient lies on the diagonal the operand's letters name
        grid = xp.ogrid[tuple(slice(0, n) for n in sizes)]
        grid = grid if isinstance(grid, (list, tuple)) else [grid]
        gx[tuple(grid[unique.index(c)] for c in term)] = g
        return gx


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) integral_0^x e^(-t^2) dt;  dL/dx = gy 2/sqrt(pi) e^(-x^2)."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return erf_values(x)

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        return gy * (2.0 / math.sqrt(math.pi)) * xp.exp(-self.x * self.x)


class Cast(Function):
    """y = x stored as another floating type;  dL/dx = gy stored as x's type."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, x: Any) -> Any:
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy: Any) -> Any:
        return gy.astype(self.x_dtype)
