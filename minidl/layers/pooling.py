"""Max and average pooling (1-D and 2-D) and global average and max pooling, channels-last."""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.functional.padding import normalize_padding, normalize_tuple
from minidl.layers.base import Layer
from minidl.layers.conv import spatial_output_shape
from minidl.layers.masks import keeps_steps
from minidl.autodiff.tensor import Tensor


class _Pooling(Layer):
    rank = 2
    pool_function: Any = None

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, f"{kind} pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, f"{kind} strides")
        self.padding = normalize_padding(padding)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != self.rank + 1:
            layout = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
            raise ValueError(f"layer {self.label!r}: inputs must be {layout} per sample, got shape {tuple(input_shape)}")
        spatial = spatial_output_shape(f"layer {self.label!r}", tuple(input_shape), self.pool_size, self.strides,
                                       (1,) * self.rank, self.padding)
        return spatial + (input_shape[-1],)

    def call(self, x: Tensor, training: bool) -> Tensor:
        pool_size = self.pool_size[0] if self.rank == 1 else self.pool_size
        strides = self.strides[0] if self.rank == 1 else self.strides
        return type(self).pool_function(x, pool_size, strides, self.padding)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling1D(_Pooling):
    rank, pool_function = 1, staticmethod(F.max_pool1d)


class MaxPooling2D(_Pooling):
    rank, pool_function = 2, staticmethod(F.max_pool2d)


class AveragePooling1D(_Pooling):
    rank, pool_function = 1, staticmethod(F.avg_pool1d)


class AveragePooling2D(_Pooling):
    rank, pool_function = 2, staticmethod(F.avg_pool2d)


class _GlobalPooling(Layer):
    """Base of the global poolings: one value per channel over all ``rank`` spatial axes."""

    rank = 2

    def __init__(self, keepdims: bool = False, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != self.rank + 1:
            raise ValueError(
                f"layer {self.label!r}: inputs must have {self.rank} spatial axes and channels, got shape "
                f"{tuple(input_shape)}"
            )
        return (1,) * self.rank + (input_shape[-1],) if self.keepdims else (input_shape[-1],)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.keepdims:
            config["keepdims"] = True
        return config


class _GlobalAveragePooling(_GlobalPooling):
    def call(self, x: Tensor, training: bool) -> Tensor:
        y = F.global_avg_pool(x)
        return F.reshape(y, (x.shape[0],) + (1,) * self.rank + (x.shape[-1],)) if self.keepdims else y


class GlobalAveragePooling1D(_GlobalAveragePooling):
    """(batch, length, channels) -> (batch, channels): the mean over the length; with a mask (batch, length),
    the mean over the unmasked steps, as Keras: sum_t m_t x_t / sum_t m_t. The output has no mask."""

    rank = 1

    def call(self, x: Tensor, training: bool, mask: Any = None) -> Tensor:
        if mask is None:
            return super().call(x, training)
        keep = keeps_steps(mask).reshape(x.shape[0], x.shape[1], 1).astype(x.dtype)
        return F.sum(x * keep, axis=1, keepdims=self.keepdims) / keep.sum(axis=1, keepdims=self.keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalAveragePooling2D(_GlobalAveragePooling):
    """(batch, height, width, channels) -> (batch, channels): the mean over the image."""

    rank = 2


class _GlobalMaxPooling(_GlobalPooling):
    """The largest value of each channel; its gradient goes to that element (shared among ties), see ``F.max``."""

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.max(x, axis=tuple(range(1, self.rank + 1)), keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalMaxPooling):
    """(batch, length, channels) -> (batch, channels): the maximum over the length."""

    rank = 1


class GlobalMaxPooling2D(_GlobalMaxPooling):
    """(batch, height, width, channels) -> (batch, channels): the maximum over the image."""

    rank = 2
