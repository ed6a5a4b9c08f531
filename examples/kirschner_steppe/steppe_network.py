"""Kirschner, Perez et al.'s steppe network (manolofperez/CNN_ABCsteppe, TrainCNN_Models_Esegueriana.ipynb), as a
user of ``genomics train --network steppe_network.py:build_network`` writes it: Keras's functional style with
minidl's imports in place of tensorflow.keras's.

The study's facts: input (SNPs, haplotypes); Conv1D 250 (kernel 2, relu) and batch normalisation; four Conv1D of
20 filters with kernels 3, 5, 20 and 50 (relu, max_norm(3) on kernels and biases), each followed by batch
normalisation; Conv1D 125 (kernel 2) with batch normalisation, Conv1D 125 (kernel 2); average pooling of 2;
flatten; two Dense 125 (relu, L2 1e-3 on kernels and biases) each with dropout 0.5; a linear Dense named
"logits" and a softmax.
"""

from minidl import Model
from minidl.constraints import max_norm
from minidl.layers import (Activation, AveragePooling1D, BatchNormalization, Conv1D, Dense, Dropout, Flatten,
                           Input)
from minidl.regularizers import l2


def build_network(input_shape, num_classes):
    kernel_widths = [3, 5, 20, 50]
    inputs = Input(shape=input_shape)
    x = Conv1D(250, kernel_size=2, activation="relu")(inputs)
    x = BatchNormalization()(x)
    for width in kernel_widths:
        x = Conv1D(20, kernel_size=width, activation="relu", kernel_constraint=max_norm(3),
                   bias_constraint=max_norm(3))(x)
        x = BatchNormalization()(x)
    x = Conv1D(125, kernel_size=2, activation="relu", kernel_constraint=max_norm(3), bias_constraint=max_norm(3))(x)
    x = BatchNormalization()(x)
    x = Conv1D(125, kernel_size=2, activation="relu", kernel_constraint=max_norm(3), bias_constraint=max_norm(3))(x)
    x = AveragePooling1D(pool_size=2)(x)
    x = Flatten()(x)
    for _ in range(2):
        x = Dense(125, activation="relu", kernel_regularizer=l2(1e-3), bias_regularizer=l2(1e-3))(x)
        x = Dropout(0.5)(x)
    logits = Dense(num_classes, name="logits")(x)
    probabilities = Activation("softmax")(logits)
    return Model(inputs, probabilities)
