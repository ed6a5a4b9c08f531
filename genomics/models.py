"""CNN builders on minidl layers for genotype images (haplotypes, SNPs, channels).

``cnn2d``: 2-D convolutions over haplotypes x SNPs (ImaGene's design).
``cnn1d``: 1-D convolutions along the SNPs with every haplotype (and channel)
as an input channel (Flagel et al. 2019's design); its input is the image
with the haplotype axis folded into the channels, see ``model_input``.
"""

from __future__ import annotations

import numpy

from minidl import Sequential
from minidl.layers import (AveragePooling1D, Conv1D, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D)

KINDS = ("cnn1d", "cnn2d")


def model_input(images: numpy.ndarray, kind: str) -> numpy.ndarray:
    """Images (N, haplotypes, snps, channels) in the layout a ``kind`` network takes."""
    if kind == "cnn1d":
        n, haplotypes, snps, channels = images.shape
        return numpy.ascontiguousarray(images.transpose(0, 2, 1, 3).reshape(n, snps, haplotypes * channels))
    if kind == "cnn2d":
        return images
    raise ValueError(f"unknown network kind {kind!r}; valid: {', '.join(KINDS)}")


def build(kind: str, image_shape: tuple, classes: int) -> Sequential:
    """A classifier of ``classes`` scenarios for images of ``image_shape`` (haplotypes, snps, channels)."""
    haplotypes, snps, channels = image_shape
    if kind == "cnn1d":
        return Sequential([
            Input((snps, haplotypes * channels)),
            Conv1D(64, 5, activation="relu"), AveragePooling1D(2),
            Conv1D(64, 5, activation="relu"), AveragePooling1D(2),
            Flatten(), Dense(64, activation="relu"), Dropout(0.5), Dense(classes, activation="softmax"),
        ], name="cnn1d")
    if kind == "cnn2d":
        return Sequential([
            Input((haplotypes, snps, channels)),
            Conv2D(16, 3, activation="relu"), MaxPooling2D(2),
            Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
            Flatten(), Dense(64, activation="relu"), Dropout(0.5), Dense(classes, activation="softmax"),
        ], name="cnn2d")
    raise ValueError(f"unknown network kind {kind!r}; valid: {', '.join(KINDS)}")
