"""How the compiled kernels share the machine's cores with numpy's BLAS.

The numba kernels can split their loops over every core (``prange``), but
they then compete with OpenBLAS's threads, which keep spinning for a while
after each matrix product: measured on the 2-core development machine, a
2-thread kernel launched right after a product took 11 ms where the serial
one took 8, and training was slower than with serial kernels. OpenBLAS reads
how long its threads spin from ``OPENBLAS_THREAD_TIMEOUT`` once, when numpy
is imported; numba's OpenMP threads read ``OMP_WAIT_POLICY`` when they
start. minidl, imported before numpy, sets both unless they are set
already (spin at most 2^4 cycles; sleep when idle), and then the same kernel
takes 4.7 ms. The kernels use several threads only when the BLAS was
started that way (``parallel_kernels``) and the array holds at least
``PARALLEL_MIN_ELEMENTS`` (262,144) elements: waking the threads costs about
0.1 ms, a loop over that many elements about 1 ms.

``MINIDL_PARALLEL_KERNELS=0`` keeps every kernel on one thread.
"""

from __future__ import annotations

import os
import sys

PARALLEL_MIN_ELEMENTS = 1 << 18
#: The cores this process may run on (asked once, at import).
COUNT = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

_numpy_loaded_first = "numpy" in sys.modules
if not _numpy_loaded_first:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")


def _short_blas_spin() -> bool:
    """Whether OpenBLAS started (or will start) with a thread timeout of at most 2^8 cycles.

    Set here only when numpy was not loaded yet, so a value present now was
    either set in time by this module or came with the process's environment.
    """
    value = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "")
    return value.isdigit() and int(value) <= 8


def _why_serial() -> str:
    if os.environ.get("MINIDL_PARALLEL_KERNELS", "1") == "0":
        return "MINIDL_PARALLEL_KERNELS=0"
    if not _short_blas_spin():
        return ("numpy was imported before minidl without OPENBLAS_THREAD_TIMEOUT <= 8, so OpenBLAS's threads "
                "spin after each product; import minidl first or set OPENBLAS_THREAD_TIMEOUT=4")
    return ""


serial_reason = _why_serial()
parallel_kernels = serial_reason == ""
