"""Looking rows up in a table (an embedding), and its backward: a scatter-add.

    y[..., :] = E[ids[...], :]          ids: integers of any shape, E: (input_dim, output_dim)

    dL/dE[k, :] = sum of dL/dy[..., :] over every position where ids == k

A row looked up several times receives the sum of its gradients, hence
``add.at`` (an unbuffered scatter-add) rather than assignment. The ids get
no gradient: they are integers.
"""

from __future__ import annotations

from typing import Any

from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor
from minidl.core import backend


class EmbeddingLookup(Function):
    """y = E[ids]; see the module docstring. The ids are a constant given at construction."""

    def __init__(self, ids: Any) -> None:
        self.ids = ids

    def forward(self, table: Any) -> Any:
        xp = backend.get_array_module(table)
        ids = xp.asarray(self.ids).astype("int64")
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= table.shape[0]):
            bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
            raise ValueError(f"embedding: index {bad} is outside the table's {table.shape[0]} rows "
                             f"(indices must be in [0, {table.shape[0] - 1}])")
        self.ids, self.table_shape = ids, table.shape
        return table[ids]

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        g_table = xp.zeros(self.table_shape, dtype=gy.dtype)
        xp.add.at(g_table, self.ids.reshape(-1), gy.reshape(-1, self.table_shape[1]))
        return g_table


def embedding(ids: Any, table: Any) -> Tensor:
    """Rows of ``table`` (input_dim, output_dim) at integer ``ids`` (any shape): shape ids.shape + (output_dim,)."""
    ids = ids.data if isinstance(ids, Tensor) else ids
    return EmbeddingLookup(ids)(as_tensor(table))
