"""Reusable scratch arrays, so that large per-step temporaries are not allocated afresh every batch.

A fresh array of tens of megabytes costs a page fault per 4 KiB page the
first time it is written, about as much as filling it. A layer that owns a
``Workspace`` takes its im2col matrix from it and gives it back once the
backward has used it; the next batch then writes into memory that is
already mapped. A buffer is only ever handed out while nobody holds it, so
two calls in flight (a layer applied twice in one graph) get two buffers.
At most ``capacity`` free buffers are kept (the least recently returned go
first), so inputs of ever-changing shapes cannot make it grow without bound.
"""

from __future__ import annotations

from typing import Any

from minidl import backend


class Workspace:
    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self.free: list[Any] = []  # least recently returned first

    def take(self, shape: tuple, dtype: Any, like: Any) -> Any:
        """An uninitialised array of ``shape`` and ``dtype`` on ``like``'s backend, now owned by the caller."""
        xp = backend.get_array_module(like)
        for position in range(len(self.free) - 1, -1, -1):
            array = self.free[position]
            if array.shape == tuple(shape) and array.dtype == dtype and backend.get_array_module(array) is xp:
                return self.free.pop(position)
        return xp.empty(shape, dtype=dtype)

    def give_back(self, array: Any) -> None:
        """Return an array obtained from ``take``; the caller must not use it afterwards."""
        self.free.append(array)
        del self.free[: max(len(self.free) - self.capacity, 0)]
