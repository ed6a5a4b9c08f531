"""Conv1D and Conv2D, channels-last, with Keras's kernel layouts (k, in, out) and (kh, kw, in, out); their
transposes Conv1DTranspose and Conv2DTranspose, with Keras's layouts (k, out, in) and (kh, kw, out, in).

Conv1D and Conv2D take Keras's ``groups``: the channels and filters split into that many groups, the kernel
(..., in / groups, filters), each filter group seeing its own input channels (``functional/grouped_conv.py``)."""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.functional.conv_transpose import transposed_output_length
from minidl.functional.grouped_conv import grouped_conv
from minidl.functional.padding import normalize_padding, normalize_tuple, window_output_size
from minidl.layers.base import check_positive_int
from minidl.layers.kernel import KernelLayer
from minidl.autodiff.tensor import Tensor


def spatial_output_shape(what: str, input_shape: tuple, window: tuple, strides: tuple, dilation: tuple,
                         padding: str) -> tuple:
    """Output sizes of the spatial axes (all but the last) for a window, checked; an unknown size (None,
    a variable length) stays unknown, as in Keras."""
    rank = len(input_shape) - 1
    known = tuple((k - 1) * d + 1 if size is None else size
                  for size, k, d in zip(input_shape[:rank], window, dilation)) + tuple(input_shape[rank:])
    sizes = window_output_size(what, known, range(rank), window, strides, dilation, padding)
    return tuple(None if input_shape[axis] is None else size for axis, size in enumerate(sizes))


class _Conv(KernelLayer):
    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 dilation_rate: Any = 1, groups: int = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, **kwargs: Any) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        kind = type(self).__name__
        self.filters = check_positive_int(kind, "filters", filters)
        self.groups = check_positive_int(kind, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(f"{kind}: filters ({self.filters}) must be divisible by groups ({self.groups})")
        self.kernel_size = normalize_tuple(kernel_size, self.rank, f"{kind} kernel_size")
        self.strides = normalize_tuple(strides, self.rank, f"{kind} strides")
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, f"{kind} dilation_rate")
        self.padding = normalize_padding(padding)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        layout = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
        if len(input_shape) != self.rank + 1:
            raise ValueError(f"layer {self.label!r}: inputs must be {layout} per sample, got shape {tuple(input_shape)}")
        spatial = spatial_output_shape(f"layer {self.label!r}", tuple(input_shape), self.kernel_size, self.strides,
                                       self.dilation_rate, self.padding)
        return spatial + (self.filters,)

    def build(self, input_shape: tuple) -> None:
        self.compute_output_shape(input_shape)  # validates before any weight exists
        if input_shape[-1] is None or input_shape[-1] % self.groups:
            raise ValueError(f"layer {self.label!r}: the input's {input_shape[-1]} channels must be divisible by "
                             f"groups ({self.groups})")
        self.build_kernel_and_bias(self.kernel_size + (input_shape[-1] // self.groups, self.filters), self.filters)

    def call(self, x: Tensor, training: bool) -> Tensor:
        if self.groups > 1:
            return self.activation(grouped_conv(x, self.kernel, self.bias, self.strides, self.padding,
                                                self.dilation_rate, self.groups))
        convolve = F.conv1d if self.rank == 1 else F.conv2d
        if self.activation is F.relu:  # applied inside the convolution, with the bias
            return convolve(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate, "relu")
        y = convolve(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate)
        return self.activation(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "dilation_rate": list(self.dilation_rate),
                "groups": self.groups}


class Conv1D(_Conv):
    """1-D convolution over (batch, length, channels); kernel (kernel_size, in, filters)."""

    rank = 1


class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels); kernel (kh, kw, in, filters)."""

    rank = 2


class _ConvTranspose(_Conv):
    """A transposed convolution: kernel (*kernel_size, filters, in), Keras's layout (output channels first)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, dilation_rate: Any = 1, **kwargs: Any) -> None:
        if "groups" in kwargs:
            raise ValueError(f"{type(self).__name__}: takes no groups (Keras's transposed convolutions have none)")
        super().__init__(filters, kernel_size, strides, padding, dilation_rate, **kwargs)
        if output_padding is not None:
            raise ValueError(f"{type(self).__name__}: output_padding must be None (the output size Keras "
                             f"derives from strides and padding), got {output_padding!r}")
        self.output_padding = None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        layout = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
        if len(input_shape) != self.rank + 1:
            raise ValueError(f"layer {self.label!r}: inputs must be {layout} per sample, got shape {tuple(input_shape)}")
        spatial = tuple(None if size is None else transposed_output_length(size, k, s, d, self.padding)
                        for size, k, s, d in zip(input_shape[:-1], self.kernel_size, self.strides,
                                                 self.dilation_rate))
        return spatial + (self.filters,)

    def build(self, input_shape: tuple) -> None:
        self.compute_output_shape(input_shape)
        self.build_kernel_and_bias(self.kernel_size + (self.filters, input_shape[-1]), self.filters)

    def call(self, x: Tensor, training: bool) -> Tensor:
        convolve = F.conv1d_transpose if self.rank == 1 else F.conv2d_transpose
        return self.activation(convolve(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate))

    def get_config(self) -> dict:
        config = {**super().get_config(), "output_padding": None}
        del config["groups"]
        return config


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution over (batch, length, channels); kernel (kernel_size, filters, in)."""

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution over (batch, height, width, channels); kernel (kh, kw, filters, in)."""

    rank = 2
