"""A cache of large numpy buffers, so that the temporaries of one batch reuse the memory of the last.

Why: a fresh array of tens of megabytes costs a page fault for every 4 KiB
page the first time it is written. glibc hands arrays above 32 MiB straight
from the operating system (mmap) and gives them back when they are freed, so
every batch pays those faults again. Measured on the development machine: the
first convolution's output, ``(306432, 9) @ (9, 32)`` in float32, takes 21.6 ms
into a fresh array and 2.3 ms into one that was written before.

How: ``empty(shape, dtype)`` hands out a view of a cached buffer of exactly
that many bytes that nobody uses any more, or of a new one. A buffer is free
when the cache holds the only reference to it: every array made from the
view (reshapes, slices, transposes) keeps the buffer as its ``base``, so
``sys.getrefcount`` tells, without anybody having to give buffers back.
Training repeats the same shapes every batch, so exact sizes match.

Arrays under ``min_bytes`` (256 KiB) come from ``numpy.empty``: malloc
reuses small blocks. Arrays between 256 KiB and 1 MiB fault too: in the
genomics spectrum network's training step, the second convolution's 0.9 MB
patch matrix took 0.31 ms to fill from ``numpy.empty`` and 0.12 ms from the
cache, and the whole step went from 7.2-7.4 ms to about 6.2. When the
cached bytes would exceed ``limit_bytes`` the cache forgets its least
recently handed-out buffers; a buffer still in use lives on with its user,
untracked. cupy arrays never come here: cupy has its own
memory pool.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy


def _references(buffers: list, position: int) -> int:
    """``sys.getrefcount`` of ``buffers[position]`` as seen from here."""
    buffer = buffers[position]
    return sys.getrefcount(buffer)


_FREE = _references([numpy.empty(1, dtype=numpy.uint8)], 0)  # the count of a buffer only its list holds


class BufferCache:
    """Hands out uninitialised numpy arrays backed by reusable buffers; see the module docstring."""

    def __init__(self, limit_bytes: int, min_bytes: int = 1 << 18) -> None:
        self.limit_bytes = limit_bytes
        self.min_bytes = min_bytes
        self.buffers: list[numpy.ndarray] = []  # in the order they were last handed out, oldest first
        self.hits = self.misses = 0

    @property
    def cached_bytes(self) -> int:
        return sum(buffer.nbytes for buffer in self.buffers)

    def empty(self, shape: tuple, dtype: Any) -> numpy.ndarray:
        """An uninitialised C-contiguous array; its contents are whatever its last user left."""
        dtype = numpy.dtype(dtype)
        shape = tuple(map(int, shape))
        nbytes = math.prod(shape) * dtype.itemsize  # Python integers: no overflow, and no numpy call per array
        if nbytes < self.min_bytes or nbytes > self.limit_bytes:
            return numpy.empty(shape, dtype=dtype)
        buffer = self._take_free(nbytes)
        if buffer is None:
            self.misses += 1
            self._make_room(nbytes)
            buffer = numpy.empty(nbytes, dtype=numpy.uint8)
        else:
            self.hits += 1
        self.buffers.append(buffer)
        return buffer.view(dtype).reshape(shape)

    def _take_free(self, nbytes: int) -> numpy.ndarray | None:
        for position in range(len(self.buffers)):
            if self.buffers[position].nbytes == nbytes and _references(self.buffers, position) == _FREE:
                return self.buffers.pop(position)
        return None

    def _make_room(self, nbytes: int) -> None:
        """Forget the least recently handed-out buffers until ``nbytes`` more fit under the limit."""
        cached = self.cached_bytes
        while self.buffers and cached + nbytes > self.limit_bytes:
            cached -= self.buffers.pop(0).nbytes

    def clear(self) -> None:
        """Forget every buffer (arrays in use stay valid: their users hold them)."""
        self.buffers.clear()


_cache = BufferCache(limit_bytes=int(float(os.environ.get("MINIDL_BUFFER_CACHE_MB", "1024")) * 2**20))


def buffer_cache() -> BufferCache:
    """The process's cache of numpy buffers (its ``limit_bytes`` may be changed; 0 turns it off)."""
    return _cache
