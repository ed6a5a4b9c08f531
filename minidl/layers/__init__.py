"""Keras-style layers. Each holds weights and calls differentiable functions; none computes gradients."""

from minidl.layers.base import Layer
from minidl.layers.conv import Conv1D, Conv2D
from minidl.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer
from minidl.layers.grouping import GroupPooling, GroupShuffle
from minidl.layers.normalization import BatchNormalization
from minidl.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from minidl.registry import Registry
from minidl.registry import serialize as serialize_object

ALL = {
    cls.__name__: cls
    for cls in (Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout,
                Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, GroupPooling, GroupShuffle, InputLayer,
                MaxPooling1D, MaxPooling2D)
}


REGISTRY = Registry("layer class", ALL, base=Layer)


def deserialize(config: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": ...}``, as written by ``serialize``."""
    return REGISTRY.deserialize(config)


def serialize(layer: Layer) -> dict:
    return serialize_object(layer)


__all__ = ["Layer", "deserialize", "serialize", *ALL, "Input"]
