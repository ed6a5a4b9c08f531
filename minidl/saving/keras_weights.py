"""Where a layer's weights sit in a Keras 3 ``model.weights.h5``, and reading and writing them there.

Keras 3 keeps each layer's own variables in ``layers/<group>/vars/0, 1, ...``.
Layers built of sublayers keep them below the sublayers' names instead, in
the groups their ``keras_variable_groups()`` lists: a wrapper's or a
recurrent layer's (``forward_layer/cell/vars``, ...), ``MultiHeadAttention``'s
(``query_dense/vars``, ..., beside an empty ``vars`` group of its own). A
layer's own ``vars`` group must be there, even empty.

Every link and dataset is read through ``minidl.saving.safe_hdf5``.
"""

from __future__ import annotations

from typing import Any

from minidl.layers import Layer
from minidl.layers.wrappers import keras_variable_groups
from minidl.saving import safe_hdf5
from minidl.saving.npz import ModelFileError


class KerasFileError(ModelFileError):
    """A Keras file minidl cannot rebuild; the message names the layer and the option."""


def read_layer_arrays(store: Any, group: str, layer: Layer, path: str) -> list:
    """The arrays of ``layer`` stored below ``group`` of the weights file ``path``, in ``layer.weights`` order."""
    arrays = []
    for where, weights in keras_variable_groups(layer):  # "vars", or a wrapped layer's ("cell/vars", ...)
        variables = safe_hdf5.get_group(store, f"{group}/{where}", path)
        if variables is None and (weights or where == "vars"):
            raise KerasFileError(f"{path!r}: the weights file has no group {group}/{where} for layer "
                                 f"{layer.name!r}")
        arrays += [safe_hdf5.read_dataset(store, f"{group}/{where}/{i}", path)
                   for i in range(len(variables) if variables is not None else 0)]
    return arrays


def write_layer_arrays(store: Any, group: str, layer: Layer) -> None:
    """Write ``layer``'s weights below ``group`` of an open h5py file, where Keras 3 reads them."""
    for where, weights in keras_variable_groups(layer):
        variables = store.create_group(f"{group}/{where}")
        for index, weight in enumerate(weights):
            variables.create_dataset(str(index), data=weight.numpy())
