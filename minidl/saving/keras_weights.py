"""Where a layer's weights sit in a Keras 3 ``model.weights.h5``, and reading and writing them there.

Keras 3 keeps each layer's own variables in ``layers/<group>/vars/0, 1, ...``.
Layers built of sublayers keep them below the sublayers' names instead:

- a wrapper (``Bidirectional``) or a recurrent layer: the groups its
  ``keras_variable_groups()`` lists (``forward_layer/cell/vars``, ...);
- ``MultiHeadAttention``: the datasets its ``keras_variable_paths`` lists
  (``query_dense/vars/0``, ...), beside an empty ``vars`` group of its own.

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
    paths = getattr(layer, "keras_variable_paths", None)
    if paths:
        if safe_hdf5.get_group(store, f"{group}/vars", path) is None:
            raise KerasFileError(f"{path!r}: the weights file has no group {group!r} for layer {layer.name!r}")
        return [safe_hdf5.read_dataset(store, f"{group}/{item}", path) for item in paths]
    arrays = []
    for where, weights in keras_variable_groups(layer):  # "vars", or a wrapped layer's ("cell/vars", ...)
        variables = safe_hdf5.get_group(store, f"{group}/{where}", path)
        if variables is None and weights:
            raise KerasFileError(f"{path!r}: the weights file has no group {group}/{where} for layer "
                                 f"{layer.name!r}")
        arrays += [safe_hdf5.read_dataset(store, f"{group}/{where}/{i}", path)
                   for i in range(len(variables) if variables is not None else 0)]
    return arrays


def write_layer_arrays(store: Any, group: str, layer: Layer) -> None:
    """Write ``layer``'s weights below ``group`` of an open h5py file, where Keras 3 reads them."""
    paths = getattr(layer, "keras_variable_paths", None)
    if paths:
        store.create_group(f"{group}/vars")
        for item, array in zip(paths, layer.get_weights()):
            store.create_dataset(f"{group}/{item}", data=array)
        return
    for where, weights in keras_variable_groups(layer):
        variables = store.create_group(f"{group}/{where}")
        for index, weight in enumerate(weights):
            variables.create_dataset(str(index), data=weight.numpy())
