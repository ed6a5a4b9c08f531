"""EinsumDense: Keras's dense layer of any einsum ("abc,cde->abde"), as in Transformer blocks."""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl import initializers
from minidl.autodiff.tensor import Tensor
from minidl.functional.einsum_dense import einsum_dense, einsum_dense_shapes, parse_equation
from minidl.layers.kernel import KernelLayer


class EinsumDense(KernelLayer):
    """y = activation(einsum(equation, x, kernel) + bias), Keras's ``EinsumDense``.

    ``equation``: "ab,bc->ac" (a Dense), "abc,cd->abd", "...b,bc->...c",
    "abc,cde->abde" (MultiHeadAttention's projections); the input's first
    letter (or "...") covers the batch axis. ``output_shape``: the output's
    sizes after the batch axis and without the axes of "..." (an int for one;
    None where the input gives the size). ``bias_axes``: the output letters a
    bias spans (None: no bias). The kernel's and bias's shapes follow from
    these as in Keras (``minidl.functional.einsum_dense``, which holds the
    math); a variance-scaling initializer counts the kernel's input letters as
    its fan-in and its output letters as its fan-out, as Keras 3 does.
    """

    def __init__(self, equation: str, output_shape: Any, activation: Any = None, bias_axes: str | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: Any = None, lora_alpha: Any = None, **kwargs: Any) -> None:
        super().__init__(activation=activation, use_bias=bias_axes is not None,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
        if lora_rank is not None:
            raise ValueError(f"EinsumDense: lora_rank must be None (minidl has no LoRA), got {lora_rank!r}")
        self.equation = equation
        self.spec = parse_equation(equation)
        sizes = (output_shape,) if isinstance(output_shape, (int, numpy.integer)) or output_shape is None \
            else tuple(output_shape)
        if any(size is not None and (isinstance(size, bool) or not isinstance(size, (int, numpy.integer))
                                     or size < 1) for size in sizes):
            raise ValueError(f"EinsumDense: output_shape must be a positive int or a tuple of them (None for a "
                             f"size the input gives), got {output_shape!r}")
        self.partial_output_shape = tuple(None if size is None else int(size) for size in sizes)
        if bias_axes is not None and (not isinstance(bias_axes, str) or not bias_axes
                                      or any(c not in self.spec.output for c in bias_axes)):
            raise ValueError(f"EinsumDense: bias_axes must be letters of the output term {self.spec.output!r} "
                             f"of {equation!r}, got {bias_axes!r}")
        self.bias_axes = bias_axes

    def _shapes(self, input_shape: tuple) -> tuple:
        return einsum_dense_shapes(self.equation, self.bias_axes, (None,) + tuple(input_shape),
                                   self.partial_output_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self._shapes(input_shape)[2][1:]

    def build(self, input_shape: tuple) -> None:
        kernel_shape, bias_shape, _, input_axes, output_axes = self._shapes(input_shape)
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling):
            initializer = _FansByAxes(initializer, input_axes, output_axes)
        self.kernel = self.add_weight(shape=kernel_shape, initializer=initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, x: Tensor, training: bool) -> Tensor:
        return self.activation(einsum_dense(x, self.kernel, self.equation, self.bias))

    def get_config(self) -> dict:
        config = {**super().get_config(), "output_shape": list(self.partial_output_shape), "equation": self.equation,
                  "bias_axes": self.bias_axes}
        del config["use_bias"]  # Keras's EinsumDense says it by bias_axes
        return config


class _FansByAxes:
    """A variance-scaling initializer whose fans are the products of the kernel's input and output axes:
    the draws of a (fan_in, fan_out) matrix, laid out in the kernel's shape (the draws are independent)."""

    def __init__(self, initializer: Any, input_axes: list, output_axes: list) -> None:
        self.initializer, self.input_axes, self.output_axes = initializer, input_axes, output_axes

    def __call__(self, shape: tuple, dtype: Any = "float32") -> numpy.ndarray:
        fan_in = math.prod(shape[axis] for axis in self.input_axes)
        fan_out = math.prod(shape[axis] for axis in self.output_axes)
        return numpy.reshape(self.initializer((fan_in, fan_out), dtype), shape)
