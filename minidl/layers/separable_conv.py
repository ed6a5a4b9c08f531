"""DepthwiseConv1D/2D and SeparableConv1D/2D with Keras's weights: depthwise_kernel (kh, kw, in, depth_multiplier)
((k, in, depth_multiplier) in 1-D), pointwise_kernel (1, 1, in * depth_multiplier, filters) ((1, in *
depth_multiplier, filters)), bias.

    DepthwiseConv2D   y[..., c * M + m] = (x[..., c] * depthwise_kernel[:, :, c, m]) + bias
                      (functional/depthwise_conv.py)
    SeparableConv2D   the depthwise convolution (no bias), then a 1x1 convolution with the pointwise kernel and bias

The 1-D layers run the 2-D ones on (batch, 1, length, channels).
"""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl import initializers
from minidl.autodiff.tensor import Tensor
from minidl.functional.depthwise_conv import depthwise_conv2d
from minidl.layers.base import check_positive_int
from minidl.layers.conv import spatial_output_shape
from minidl.layers.kernel import KernelLayer
from minidl.functional.padding import normalize_padding, normalize_tuple


class _Depthwise(KernelLayer):
    rank = 2

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
                         bias_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        kind = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{kind}: minidl's convolutions are channels-last, got data_format={data_format!r}")
        self.kernel_size = normalize_tuple(kernel_size, self.rank, f"{kind} kernel_size")
        self.strides = normalize_tuple(strides, self.rank, f"{kind} strides")
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, f"{kind} dilation_rate")
        self.padding = normalize_padding(padding)
        self.depth_multiplier = check_positive_int(kind, "depth_multiplier", depth_multiplier)

    def output_channels(self, input_channels: int) -> int:
        return input_channels * self.depth_multiplier

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        layout = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
        if len(input_shape) != self.rank + 1:
            raise ValueError(f"layer {self.label!r}: inputs must be {layout} per sample, got shape "
                             f"{tuple(input_shape)}")
        spatial = spatial_output_shape(f"layer {self.label!r}", tuple(input_shape), self.kernel_size, self.strides,
                                       self.dilation_rate, self.padding)
        return spatial + (self.output_channels(input_shape[-1]),)

    def build(self, input_shape: tuple) -> None:
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (input_shape[-1], self.depth_multiplier), initializer=self.kernel_initializer,
            name="depthwise_kernel", regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.build_rest(input_shape[-1])

    def build_rest(self, channels: int) -> None:
        self.bias = None if not self.use_bias else self.add_weight(
            shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer, name="bias",
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def as_2d(self, x: Tensor) -> tuple:
        """(x as (batch, height, width, channels), kernel sizes, strides, dilations) in 2-D."""
        if self.rank == 2:
            return x, self.depthwise_kernel, self.strides, self.dilation_rate
        kernel = F.reshape(self.depthwise_kernel, (1,) + tuple(self.depthwise_kernel.shape))
        return F.reshape(x, (x.shape[0], 1) + tuple(x.shape[1:])), kernel, (1,) + self.strides, \
            (1,) + self.dilation_rate

    def depthwise(self, x: Tensor, bias: Any) -> Tensor:
        x2, kernel, strides, dilation = self.as_2d(x)
        y = depthwise_conv2d(x2, kernel, bias, strides, self.padding, dilation)
        return y if self.rank == 2 else F.reshape(y, (y.shape[0],) + tuple(y.shape[2:]))

    def call(self, x: Tensor, training: bool) -> Tensor:
        return self.activation(self.depthwise(x, self.bias))

    def get_config(self) -> dict:
        config = super().get_config()
        for old, new in (("kernel_initializer", "depthwise_initializer"), ("kernel_regularizer",
                                                                             "depthwise_regularizer"),
                         ("kernel_constraint", "depthwise_constraint")):
            config[new] = config.pop(old)
        return {**config, "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "depth_multiplier": self.depth_multiplier,
                "dilation_rate": list(self.dilation_rate)}


class DepthwiseConv2D(_Depthwise):
    """Each channel of (batch, height, width, channels) convolved with its own depth_multiplier filters."""

    rank = 2


class DepthwiseConv1D(_Depthwise):
    """Each channel of (batch, length, channels) convolved with its own depth_multiplier filters."""

    rank = 1


class _Separable(_Depthwise):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         depthwise_constraint, bias_constraint, **kwargs)
        if pointwise_regularizer is not None or pointwise_constraint is not None:
            raise ValueError(f"{type(self).__name__}: pointwise_regularizer and pointwise_constraint are not "
                             "supported by minidl")
        self.filters = check_positive_int(type(self).__name__, "filters", filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)

    def output_channels(self, input_channels: int) -> int:
        return self.filters

    def build_rest(self, channels: int) -> None:
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, name="pointwise_kernel")
        self.bias = None if not self.use_bias else self.add_weight(
            shape=(self.filters,), initializer=self.bias_initializer, name="bias",
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, x: Tensor, training: bool) -> Tensor:
        y = self.depthwise(x, None)
        pointwise = F.reshape(self.pointwise_kernel, tuple(self.pointwise_kernel.shape[-2:]))
        return self.activation(F.linear(y, pointwise, self.bias))  # a 1x1 convolution mixes the channels

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": None, "pointwise_constraint": None}


class SeparableConv2D(_Separable):
    """A depthwise 2-D convolution then a 1x1 convolution to ``filters`` channels (Xception's building block)."""

    rank = 2


class SeparableConv1D(_Separable):
    """A depthwise 1-D convolution then a pointwise convolution to ``filters`` channels."""

    rank = 1
