"""Keras-style layers. Each holds weights and calls differentiable functions; none computes gradients."""

from minidl.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from minidl.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from minidl.layers.augmentation import RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from minidl.layers.base import Layer
from minidl.layers.conv import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose
from minidl.layers.einsum_dense import EinsumDense
from minidl.layers.embedding import Embedding, Masking
from minidl.layers.core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Input,
    InputLayer,
    Lambda,
    UnitNormalization,
)
from minidl.layers.grouping import GroupPooling, GroupShuffle
from minidl.layers.input_spec import InputSpec
from minidl.layers.lookup import IntegerLookup, StringLookup
from minidl.layers.text_vectorization import TextVectorization
from minidl.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from minidl.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from minidl.layers.normalization import BatchNormalization, GroupNormalization, LayerNormalization
from minidl.layers.preprocessing import CategoryEncoding, CenterCrop, Normalization, Rescaling, Resizing
from minidl.layers.separable_conv import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from minidl.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from minidl.layers.recurrent import GRU, LSTM, SimpleRNN
from minidl.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from minidl.layers.rnn import RNN, StackedRNNCells
from minidl.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from minidl.layers import wrappers
from minidl.layers.wrappers import Bidirectional, TimeDistributed
from minidl.core.registry import Registry
from minidl.core.registry import serialize as serialize_object

ALL = {
    cls.__name__: cls
    for cls in (Activation, ActivityRegularization, Add, AlphaDropout, AdditiveAttention, Attention, Average,
                AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, CategoryEncoding,
                CenterCrop, Concatenate, Conv1D,
                Conv1DTranspose, Conv2D, Conv2DTranspose, Cropping1D, Cropping2D, Dense,
                DepthwiseConv1D, DepthwiseConv2D, Dot, Dropout, EinsumDense, ELU, Embedding, Flatten,
                GaussianDropout, GaussianNoise, GlobalAveragePooling1D, GlobalAveragePooling2D,
                GlobalMaxPooling1D, GlobalMaxPooling2D, GroupNormalization, GroupPooling, GroupShuffle, GRU, Identity,
                InputLayer, LayerNormalization, LeakyReLU, LSTM, Masking, Maximum, MaxPooling1D,
                MaxPooling2D, Minimum, MultiHeadAttention, Multiply, Normalization, Permute, PReLU,
                RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, ReLU,
                RepeatVector, Rescaling, Reshape, Resizing, SeparableConv1D, SeparableConv2D, SimpleRNN,
                Softmax, SpatialDropout1D, SpatialDropout2D, Subtract, TimeDistributed,
                UnitNormalization, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D)
}
ALL["RNN"] = RNN
#: the recurrent cells: layers that run one step inside an RNN (not alone in a model), by name for files
CELLS = {cls.__name__: cls for cls in (GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells)}


#: Keras's other names for the same classes (``layers.MaxPool2D is layers.MaxPooling2D``); files name the class
AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D = AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
Convolution1D, Convolution2D, Convolution1DTranspose, Convolution2DTranspose = \
    Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
ALIASES = ("AvgPool1D", "AvgPool2D", "MaxPool1D", "MaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "Convolution1D", "Convolution2D", "Convolution1DTranspose",
           "Convolution2DTranspose", "SeparableConvolution1D", "SeparableConvolution2D")

REGISTRY = Registry("layer class", {**ALL, **CELLS}, base=Layer)


def deserialize(config: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": ...}``, as written by ``serialize``."""
    return REGISTRY.deserialize(config)


wrappers.deserialize_layer = deserialize  # layers inside layers (Bidirectional, RNN cells) are read by it


def serialize(layer: Layer) -> dict:
    return serialize_object(layer)


__all__ = [
    "Layer", "deserialize", "serialize", *ALL, *CELLS, "Input",
    "InputSpec", *ALIASES,
    "IntegerLookup", "StringLookup", "TextVectorization",  # not in ALL: they run on arrays before a model, never inside one
    "Lambda",  # not in ALL: a function cannot be saved in a model file, so no file names it
    # Keras's functional forms of the merge layers: concatenate([a, b]) is Concatenate()([a, b])
    "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract",
]
