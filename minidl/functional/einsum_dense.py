"""EinsumDense: a dense layer whose product is any two-operand einsum (Keras's ``EinsumDense``).

With the equation "<i>,<w>-><o>" (``i`` the input's letters, ``w`` the
kernel's, ``o`` the output's; "..." may stand for leading axes of the input
and output, or trailing ones after at least two letters):

    y[o] = sum over the letters of i and w that o lacks of  x[i] * W[w]   +   b

where the bias ``b`` spans the output axes from the first bias letter on,
with size 1 on output axes that carry no bias (so it broadcasts). Examples:
"ab,bc->ac" is Dense; "abc,cd->abd" a Dense on each step; "abc,cde->abde"
the query projection of MultiHeadAttention (d heads of e units each).

The backward swaps the output for one operand (an einsum is linear in each):

    dL/dx[i] = sum over the letters that i lacks of  gy[o] * W[w]    (einsum "o,w->i")
    dL/dW[w] = sum over the letters that w lacks of  x[i] * gy[o]    (einsum "i,o->w")
    dL/db    = gy summed over the axes along which b was broadcast

A letter of the input that neither the kernel nor the output has is summed
out of x alone; every x along that axis gets the same gradient, so dL/dx is
computed without it and broadcast along it. ``einsum_dense_shapes`` derives
the kernel's, the bias's and the output's shapes from the equation as
Keras's ``_analyze_einsum_string`` does.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from minidl.autodiff.function import Function, as_tensor, unbroadcast
from minidl.autodiff.tensor import Tensor
from minidl.core import backend


class EinsumSpec(NamedTuple):
    """An EinsumDense equation split into its terms; ``ellipsis``: None, "left" or "right"."""

    input: str
    kernel: str
    output: str
    ellipsis: str | None

    def term(self, letters: str) -> str:
        """``letters`` with the ellipsis where this equation's input and output have it."""
        if self.ellipsis == "left":
            return "..." + letters
        return letters + "..." if self.ellipsis == "right" else letters


_FORMS = ((re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
          (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
          (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"))


def parse_equation(equation: Any) -> EinsumSpec:
    """The terms of an EinsumDense equation, checked: each output letter comes from the input or the kernel,
    each kernel letter from the input or the output, no letter twice in a term."""
    text = equation.replace(" ", "") if isinstance(equation, str) else None
    for pattern, ellipsis in _FORMS:
        found = pattern.fullmatch(text) if text is not None else None
        if found:
            spec = EinsumSpec(*found.groups(), ellipsis)
            break
    else:
        raise ValueError(f"EinsumDense: equation must be of the form 'ab,bc->ac', '...ab,bc->...ac' or "
                         f"'ab...,bc->ac...', got {equation!r}")
    for name, term in (("input", spec.input), ("kernel", spec.kernel), ("output", spec.output)):
        if len(set(term)) != len(term):
            raise ValueError(f"EinsumDense: equation {equation!r} repeats a letter in its {name} term {term!r}")
    stray_output = [c for c in spec.output if c not in spec.input + spec.kernel]
    stray_kernel = [c for c in spec.kernel if c not in spec.input + spec.output]
    if stray_output or stray_kernel:
        letter, where = (stray_output[0], "output") if stray_output else (stray_kernel[0], "kernel")
        raise ValueError(f"EinsumDense: equation {equation!r}: the {where} letter {letter!r} appears in neither "
                         f"of the other terms, so its size is unknown")
    return spec


def einsum_dense_shapes(equation: str, bias_axes: str | None, input_shape: tuple, output_shape: tuple) -> tuple:
    """(kernel shape, bias shape or None, full output shape, kernel input axes, kernel output axes).

    ``input_shape`` has the batch axis first (None allowed); ``output_shape``
    is the layer's argument: the output's sizes without the batch axis and
    without the axes "..." stands for (None where the input gives the size).
    The kernel's input axes (letters of the input) and output axes (of the
    output) are its fan-in and fan-out axes for the initializers.
    """
    spec = parse_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(spec.input)
    if elided < 0 or (elided > 0 and spec.ellipsis is None):
        raise ValueError(f"EinsumDense: equation {equation!r} names {len(spec.input)} input axes, but the input "
                         f"has shape {input_shape} (the batch axis included)")
    full = [input_shape[0]] + list(output_shape)
    if spec.ellipsis == "left":
        full[1:1] = input_shape[1:elided]
    elif spec.ellipsis == "right":
        full += input_shape[len(input_shape) - elided:]
    if len(full) != len(spec.output) + elided:
        raise ValueError(f"EinsumDense: output_shape {tuple(output_shape)} has {len(output_shape)} sizes; the "
                         f"equation {equation!r} gives the output {len(spec.output) + elided - 1} axes after the "
                         f"batch axis{' and those of ...' if elided else ''}")
    offset = elided if spec.ellipsis == "left" else 0
    input_size = {c: input_shape[i + offset] for i, c in enumerate(spec.input)}
    output_index = {c: i + offset for i, c in enumerate(spec.output)}
    for c, size in input_size.items():
        if c in output_index and full[output_index[c]] is not None and full[output_index[c]] != size:
            raise ValueError(f"EinsumDense: the input and the output share the axis {c!r}, but the input has "
                             f"{size} there and output_shape {full[output_index[c]]}")
        if c in output_index:
            full[output_index[c]] = size
    kernel_shape, input_axes, output_axes = [], [], []
    for axis, c in enumerate(spec.kernel):
        size = full[output_index[c]] if c in output_index else input_size[c]
        (output_axes if c in output_index else input_axes).append(axis)
        if size is None:
            raise ValueError(f"EinsumDense: the kernel's axis {c!r} needs a known size; the input shape "
                             f"{input_shape} and output_shape {tuple(output_shape)} leave it unknown")
        kernel_shape.append(size)
    bias_shape = None
    if bias_axes is not None:
        unknown = [c for c in bias_axes if c not in spec.output]
        if unknown or not bias_axes:
            raise ValueError(f"EinsumDense: bias_axes {bias_axes!r} must be letters of the output term "
                             f"{spec.output!r}")
        first = min(spec.output.find(c) for c in bias_axes)
        bias_shape = [full[output_index[c]] if c in bias_axes else 1 for c in spec.output[first:]]
        if spec.ellipsis == "right":
            bias_shape += [1] * elided
    return tuple(kernel_shape), None if bias_shape is None else tuple(bias_shape), tuple(full), input_axes, \
        output_axes


class EinsumDense(Function):
    """y = einsum(equation, x, kernel) + bias (see the module docstring for the backward)."""

    def __init__(self, spec: EinsumSpec) -> None:
        self.spec = spec

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        xp = backend.get_array_module(x)
        spec = self.spec
        self.x, self.kernel, self.has_bias = x, kernel, bias is not None
        y = xp.einsum(f"{spec.term(spec.input)},{spec.kernel}->{spec.term(spec.output)}", x, kernel,
                      optimize=True)
        if bias is not None:
            self.bias_shape = bias.shape
            y = y + bias
        return y

    def backward(self, gy: Any) -> tuple:
        xp = backend.get_array_module(gy)
        spec, g_x, g_kernel = self.spec, None, None
        if self.needs_input_grad[0]:
            kept = "".join(c for c in spec.input if c in spec.output + spec.kernel)
            g_x = xp.einsum(f"{spec.term(spec.output)},{spec.kernel}->{spec.term(kept)}", gy, self.kernel,
                            optimize=True)
            if kept != spec.input:  # letters summed out of x alone: the same gradient all along them
                offset = self.x.ndim - len(spec.input) if spec.ellipsis == "left" else 0
                missing = tuple(offset + i for i, c in enumerate(spec.input) if c not in kept)
                g_x = xp.broadcast_to(xp.expand_dims(g_x, missing), self.x.shape).copy()
        if self.needs_input_grad[1]:
            g_kernel = xp.einsum(f"{spec.term(spec.input)},{spec.term(spec.output)}->{spec.kernel}", self.x, gy,
                                 optimize=True)
        if not self.has_bias:
            return g_x, g_kernel
        g_bias = unbroadcast(gy, self.bias_shape) if self.needs_input_grad[2] else None
        return g_x, g_kernel, g_bias


def einsum_dense(x: Any, kernel: Any, equation: str, bias: Any = None) -> Tensor:
    """``einsum(equation, x, kernel) + bias``: Keras's EinsumDense product (module docstring), checked first."""
    spec = parse_equation(equation)
    x, kernel = as_tensor(x), as_tensor(kernel)
    if spec.ellipsis is None and x.ndim != len(spec.input) or x.ndim < len(spec.input):
        raise ValueError(f"einsum_dense: equation {equation!r} names {len(spec.input)} input axes, got an input "
                         f"of shape {x.shape}")
    if kernel.ndim != len(spec.kernel):
        raise ValueError(f"einsum_dense: equation {equation!r} names {len(spec.kernel)} kernel axes, got a kernel "
                         f"of shape {kernel.shape}")
    return EinsumDense(spec)(*((x, kernel) if bias is None else (x, kernel, as_tensor(bias))))
