"""How the numba kernels are compiled: the options, the threaded-or-serial choice, and the array views they take.

The kernels themselves live one module per family of operations (``conv``, ``conv_pool``, ``pooling``,
``elementwise``, ``normalization``, ``optimizers``), each beside its CUDA counterpart where one exists.

Each kernel here has a plain-array twin of the same name, registered with
``minidl.kernels.accelerated`` in the file of its operation (``im2col`` in
``functional/conv.py``, ``adam_update`` in ``optimizers.py``, ...), that
defines what it must return; ``tests/test_kernels.py`` compares the two.
Innermost loops walk the channel axis, contiguous in the channels-last layout.
The outer loops of the large kernels are ``prange``: over the batch, or over
elements. ``Kernel`` runs them on every core only for arrays of
``cores.PARALLEL_MIN_ELEMENTS`` elements or more, and only where numpy's BLAS threads yield the cores quickly
after a matrix product (see ``minidl.core.cores``: otherwise every such kernel
waited about 8 ms for them); everywhere else on one thread. Results do not
depend on the number of threads: writes are disjoint and sums use a fixed
number of blocks. Compiled code is cached on disk (``cache=True``): the
first call after an install pays the compile time once. Every kernel is
compiled with numba's numpy error model: a float division by zero gives inf
or nan as numpy does instead of raising, so a loop with a division needs no
check per element and LLVM can vectorise it (Adam's update: the same
results, 2.9x faster on 118,784 weights). No kernel divides by a value that
can be zero.
"""

from __future__ import annotations

import types

from numba import njit

from minidl.core import batch_threads, cores

#: numba's options for every kernel: cached on disk, divisions without a Python zero check
COMPILE = {"cache": True, "error_model": "numpy"}


class Kernel:
    """A loop nest compiled twice: its ``prange`` loops spread over every core, and all on one thread.

    Called as ``kernel(elements, *arguments)``: the threaded version runs for
    arrays of ``cores.PARALLEL_MIN_ELEMENTS`` elements or more, where numpy's
    BLAS threads yield the cores quickly (``cores.parallel_kernels``); the
    serial one everywhere else (waking threads costs more than small loops).
    """

    def __init__(self, loops):
        self.threaded = njit(parallel=True, **COMPILE)(loops)
        serial = types.FunctionType(loops.__code__, loops.__globals__, loops.__name__ + "_serial")
        serial.__qualname__ = loops.__qualname__ + "_serial"  # its own entry in numba's disk cache
        self.serial = njit(nogil=True, **COMPILE)(serial)  # nogil: parts of a split batch run side by side

    def __call__(self, elements, *arguments):
        threaded = (cores.parallel_kernels and elements >= cores.PARALLEL_MIN_ELEMENTS
                    and not batch_threads.in_part())  # in one part of a split batch: that thread's core only
        return (self.threaded if threaded else self.serial)(*arguments)



def rows(a):
    """(elements per channel, channels) view of a channels-last array."""
    return a.reshape(-1, a.shape[-1])


def flat(*arrays):
    """1-D views of C-contiguous arrays (the kernels update them in place, so they must not be copies)."""
    return tuple(a.reshape(-1) for a in arrays)
