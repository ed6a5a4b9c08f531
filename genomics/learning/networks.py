"""CNN builders on minidl layers for genotype images (haplotypes, SNPs, channels).

``cnn2d``: 2-D convolutions over haplotypes x SNPs (ImaGene's design), or
over the cells of a joint frequency spectrum (``--layout joint_sfs``,
``genomics.encoding.sfs``), where neighbouring cells hold sites of neighbouring
frequencies.
``cnn1d``: 1-D convolutions along the SNPs with every haplotype (and channel)
as an input channel (Flagel et al. 2019's design); its input is the image
with the haplotype axis folded into the channels, see ``model_input``.
``perez``: Perez et al. 2022's network (Mol. Ecol. Resources 22:1016):
Conv1D 250 / 125 / 125 with kernel 2 along the SNPs, average pooling,
dropout 0.75, then two dense layers of 125 with dropout 0.5.
``flagel``: the genotype branch of Flagel et al. 2019's networks: Conv1D
256 / 128 / 128 with kernel 2, average pooling and dropout 0.25, a dense
layer of 128 (their second branch, on SNP positions, needs a two-input
model; minidl has only Sequential for now).
``sites``: an exchangeable network over SNPs (DeepSets, Zaheer et al.
2017): the same two dense layers on every SNP column (1-wide convolutions
over the column's rows and channels), the mean over columns, then two
dense layers. Its output does not depend on the order of the SNPs, and the
mean over sites is how pi, dxy or F_ST summarise a window; with
``--layout population_frequencies`` each column holds each population's
allele frequency.
``exchangeable``: an exchangeable network over the haplotypes of each
population (Chan et al. 2018; dnadna's SPIDNA, Sanchez et al. 2021): the
same 1 x k convolution along the SNPs of every haplotype (shared weights),
the mean of those features over the haplotypes of each population (and
their maximum with ``statistics=("mean", "max")``: ``minidl.layers.GroupPooling``),
a convolution combining the populations' summaries at each SNP, a 1 x 1
convolution, the mean over SNPs and two dense layers. Its output does not
depend on the order of the haplotypes within a population (exactly, up to
float rounding), so it need not learn that from data; populations may
differ in size.
``perez``, ``flagel`` and ``sites`` take the ``cnn1d`` layout; ``cnn2d`` and ``exchangeable`` the image itself.
``augment="permute"`` puts a ``minidl.layers.GroupShuffle`` first: in
training, each replicate's haplotypes are shuffled within their population
anew at every step (identity at prediction), for the networks that are not
invariant to that order. ``dropout`` replaces
every dropout rate of a network. Every network ends in a linear layer
named "logits" and a softmax, so that ``logits`` can read the values that
temperature scaling (``genomics.learning.calibration``) divides.
"""

from __future__ import annotations

from typing import Any

import numpy

from minidl import Sequential
from minidl.layers import (Activation, AveragePooling1D, Conv1D, Conv2D, Dense, Dropout, Flatten,
                           GlobalAveragePooling1D, GlobalAveragePooling2D, GroupPooling, GroupShuffle, Input,
                           MaxPooling2D)

KINDS = ("cnn1d", "cnn2d", "perez", "flagel", "sites", "exchangeable")
ONE_D = ("cnn1d", "perez", "flagel", "sites")
AUGMENTATIONS = ("none", "permute")
#: the exchangeable network's per-haplotype features: filters and window along the SNPs
HAPLOTYPE_FEATURES, HAPLOTYPE_WINDOW = 16, 5


def network_for(layout: str) -> tuple[str, str]:
    """(the default network for an encoding ``layout``, why in one line)."""
    if layout in ("joint_sfs", "pairwise_sfs"):
        return "cnn2d", "2-D convolutions over the spectrum's cells (neighbouring cells: neighbouring frequencies)"
    return "cnn1d", "1-D convolutions along the SNPs with every haplotype as a channel (Flagel et al. 2019)"


def model_input(images: numpy.ndarray, kind: str) -> numpy.ndarray:
    """Images (N, haplotypes, snps, channels) in the layout a ``kind`` network takes."""
    if kind in ONE_D:
        n, haplotypes, snps, channels = images.shape
        return numpy.ascontiguousarray(images.transpose(0, 2, 1, 3).reshape(n, snps, haplotypes * channels))
    if kind in ("cnn2d", "exchangeable"):
        return images
    raise ValueError(f"unknown network kind {kind!r}; valid: {', '.join(KINDS)}")


def _output(classes: int) -> list:
    """The last two layers of every network: the logits z (a linear layer named "logits"), then softmax(z)."""
    return [Dense(classes, name="logits"), Activation("softmax", name="probabilities")]


def logits(model: Sequential, inputs: numpy.ndarray, batch_size: int = 256) -> numpy.ndarray:
    """The scenario logits z of ``inputs`` (the values before the softmax), for temperature scaling.

    Networks built here expose them as the layer named "logits". A network
    saved before that layer existed ends in one Dense layer with a softmax:
    its logits are that layer's linear part, x @ kernel + bias, applied to
    the output of the layer before it.
    """
    names = [layer.name for layer in model.layers]
    if not hasattr(model, "truncated"):  # a functional network (the user's own): read its layer named "logits"
        return _up_to(model, "logits", "its logits").predict(inputs, batch_size=batch_size)
    if "logits" in names:
        return model.truncated("logits").predict(inputs, batch_size=batch_size)
    last = model.layers[-1]
    if not isinstance(last, Dense) or getattr(last.activation, "__name__", "") != "softmax":
        raise ValueError("this network has neither a layer named 'logits' nor a final Dense softmax layer")
    hidden = model.truncated(len(names) - 2).predict(inputs, batch_size=batch_size)
    return hidden @ last.kernel.numpy() + (last.bias.numpy() if last.bias is not None else 0.0)


def embedding(model: Sequential, inputs: numpy.ndarray, batch_size: int = 256) -> numpy.ndarray:
    """The input of the network's logits (or estimates) layer, its penultimate representation, flattened per sample."""
    names = [layer.name for layer in model.layers]
    if not hasattr(model, "truncated"):  # a functional network: the input of its layer named "logits"
        return _up_to(model, "logits", "its embedding", before=True).predict(
            inputs, batch_size=batch_size).reshape(len(inputs), -1)
    head = next((names.index(name) for name in ("logits", "estimates") if name in names), len(names) - 1)
    return model.truncated(head - 1).predict(inputs, batch_size=batch_size).reshape(len(inputs), -1)


def _up_to(model: Any, name: str, what: str, before: bool = False) -> Any:
    """The functional model from ``model``'s inputs to the output (``before``: the input) of its layer ``name``,
    sharing the weights; one sentence when there is no such layer."""
    from minidl.models import Model  # noqa: PLC0415 - functional models only

    layer = next((layer for layer in model.layers if layer.name == name), None)
    if layer is None:
        raise ValueError(f"this network has no layer named {name!r} to read {what} from")
    return Model(model.inputs, layer.input if before else layer.output)


def build(kind: str, image_shape: tuple, classes: int, dropout: float | None = None,
          estimates: int = 0, population_sizes: list[int] | None = None, augment: str = "none") -> Sequential:
    """A classifier of ``classes`` scenarios for images of ``image_shape`` (haplotypes, snps, channels).

    ``estimates`` > 0: a regression network instead, whose last layer (named
    "estimates") is linear with one output per estimated parameter.
    ``population_sizes``: the haplotypes of each population, in the image's
    row blocks (needed by ``exchangeable`` and by ``augment="permute"``).
    """
    haplotypes, snps, channels = image_shape
    last = [Dense(estimates, name="estimates")] if estimates else _output(classes)
    if dropout is not None and not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}, got {augment!r}")
    if (kind == "exchangeable" or augment == "permute") and (population_sizes is None
                                                            or sum(population_sizes) != haplotypes):
        raise ValueError(f"the {kind} network{' with augment permute' if augment == 'permute' else ''} needs the "
                         f"haplotypes per population, adding up to the image's {haplotypes} rows; got "
                         f"{population_sizes!r} (an image with one row per population has no haplotypes to "
                         "pool or shuffle)")
    if kind == "exchangeable" and augment == "permute":
        raise ValueError("the exchangeable network gives the same output for any order of the haplotypes within a "
                         "population: augment permute would change nothing")
    layers = _layers(kind, image_shape, last, dropout, population_sizes)
    if augment == "permute":
        axis, unit = (2, channels) if kind in ONE_D else (1, 1)
        layers.insert(1, GroupShuffle(population_sizes, axis=axis, unit=unit, name="permute_haplotypes"))
    return Sequential(layers, name=kind)


def _layers(kind: str, image_shape: tuple, last: list, dropout: float | None,
            population_sizes: list[int] | None) -> list:
    """The layers of a ``kind`` network, its input first."""
    haplotypes, snps, channels = image_shape

    def rate(own: float) -> float:
        return own if dropout is None else dropout

    head = [Flatten(), Dense(64, activation="relu"), Dropout(rate(0.5)), *last]
    if kind == "cnn1d":
        return [
            Input((snps, haplotypes * channels)),
            Conv1D(64, 5, activation="relu"), AveragePooling1D(2),
            Conv1D(64, 5, activation="relu"), AveragePooling1D(2), *head,
        ]
    if kind == "cnn2d":
        return [
            Input((haplotypes, snps, channels)),
            Conv2D(16, 3, activation="relu"), MaxPooling2D(2),
            Conv2D(32, 3, activation="relu"), MaxPooling2D(2), *head,
        ]
    if kind == "perez":
        return [
            Input((snps, haplotypes * channels)),
            Conv1D(250, 2, activation="relu"), Conv1D(125, 2, activation="relu"), AveragePooling1D(2),
            Dropout(rate(0.75)),
            Conv1D(125, 2, activation="relu"), AveragePooling1D(2), Dropout(rate(0.75)),
            Flatten(), Dense(125, activation="relu"), Dropout(rate(0.5)), Dense(125, activation="relu"),
            Dropout(rate(0.5)), *last,
        ]
    if kind == "sites":
        return [
            Input((snps, haplotypes * channels)),
            Conv1D(128, 1, activation="relu"), Conv1D(128, 1, activation="relu"), GlobalAveragePooling1D(),
            Dense(128, activation="relu"), Dense(64, activation="relu"), *last,
        ]
    if kind == "flagel":
        return [
            Input((snps, haplotypes * channels)),
            Conv1D(256, 2, activation="relu"), Conv1D(128, 2, activation="relu"), AveragePooling1D(2),
            Dropout(rate(0.25)),
            Conv1D(128, 2, activation="relu"), AveragePooling1D(2), Dropout(rate(0.25)),
            Flatten(), Dense(128, activation="relu"), Dropout(rate(0.25)), *last,
        ]
    if kind == "exchangeable":
        return [
            Input((haplotypes, snps, channels)),
            Conv2D(HAPLOTYPE_FEATURES, (1, min(HAPLOTYPE_WINDOW, snps)), activation="relu", name="haplotype_features"),
            GroupPooling(population_sizes, axis=1, name="population_means"),
            Conv2D(64, (len(population_sizes), 1), activation="relu", name="populations_at_each_snp"),
            Conv2D(64, 1, activation="relu"), GlobalAveragePooling2D(name="mean_over_snps"),
            Dense(128, activation="relu"), Dense(64, activation="relu"), *last,
        ]
    raise ValueError(f"unknown network kind {kind!r}; valid: {', '.join(KINDS)}")
