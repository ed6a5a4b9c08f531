"""A forward computation over a batch, split into one contiguous part of the samples per core.

Inference (``predict``, calls under ``no_grad``) runs a convolution slice by
slice: patches of a few samples, their product with the kernel, bias, ReLU,
pooling, while the slice is in the processor's cache. With OpenBLAS's
threads, every slice's product is a parallel region of its own: hundreds of
them per batch, each waiting until every BLAS thread has been scheduled, and
the compiled loops between them wake threads of their own again. Here the
batch is cut into as many contiguous parts as BLAS would use threads (at most
the cores); each part runs its slices in its own thread, with BLAS on one
thread and the compiled loops serial meanwhile, so the threads meet once per
layer instead of twice per slice. Measured in one process on the 2-core
development machine at load 16: a 3 x 3 convolution of 1,000 32 x 32 x 32
images took 0.33x as long as slice by slice with 2-thread BLAS.

How many threads BLAS uses is read and set through OpenBLAS's own functions
(``openblas_get_num_threads``, ``openblas_set_num_threads``, under the names
numpy's wheels give them), found among the libraries the process has loaded
(numpy's own first, where scipy has loaded an OpenBLAS of its own beside it).
The setting is global: it is 1 while a split runs and restored after it, and
one split runs at a time (a second caller, in another thread or nested,
computes its batch in one piece). Where no OpenBLAS is found, where BLAS runs
on one thread, or with ``MINIDL_BATCH_THREADS=0``, ``run_in_parts`` runs the
batch in one part. A sample's outputs never depend on the other samples,
so the parts give the numbers of the batch in one piece, to float rounding
(BLAS may block a product of fewer rows differently: on the family of
benchmark networks the predictions differed by at most 9e-8).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from minidl.core import cores

_local = threading.local()
_section = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_blas: tuple | None | bool = False  # False: not looked for yet; None: not found; else (get, set)


def in_part() -> bool:
    """Whether this thread is computing one part of a split batch (compiled loops then run serially, and
    temporaries come from ``numpy.empty``, not the shared buffer cache)."""
    return getattr(_local, "in_part", False)


def _openblas_functions() -> tuple | None:
    """(get, set) of the number of OpenBLAS threads of the loaded OpenBLAS, or None where none is loaded."""
    global _blas
    if _blas is not False:
        return _blas
    _blas = None
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths, key=lambda path: ("numpy" not in path, path)):  # numpy's own first
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
                _blas = (get, set_)
                return _blas
    return None


def parts_for(samples: int, min_samples_per_part: int = 1) -> int:
    """How many parts ``run_in_parts`` would cut ``samples`` into now (1: no split)."""
    if os.environ.get("MINIDL_BATCH_THREADS", "1") == "0" or in_part() or cores.COUNT < 2:
        return 1
    functions = _openblas_functions()
    if functions is None:
        return 1
    return max(1, min(cores.COUNT, functions[0](), samples // max(1, min_samples_per_part)))


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool there if one is needed."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def run_in_parts(work: Callable[[int, int], None], samples: int, min_samples_per_part: int = 1) -> None:
    """``work(start, stop)`` over contiguous parts of ``range(samples)`` that together cover it, in parallel.

    ``work`` writes its part's results into arrays made beforehand; it must
    not use the buffer cache (``backend.empty`` checks ``in_part``). Parts of
    at least ``min_samples_per_part`` samples; one part (``work(0, samples)``
    in this thread) where no split applies (module docstring).
    """
    global _pool
    parts = parts_for(samples, min_samples_per_part)
    if parts < 2 or not _section.acquire(blocking=False):
        work(0, samples)
        return
    get, set_ = _openblas_functions()
    blas_threads = get()
    try:
        set_(1)
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=cores.COUNT - 1, thread_name_prefix="minidl-batch")
        bounds = [samples * k // parts for k in range(parts + 1)]

        def part(k: int) -> None:
            _local.in_part = True
            try:
                work(bounds[k], bounds[k + 1])
            finally:
                _local.in_part = False

        others = [_pool.submit(part, k) for k in range(1, parts)]
        try:
            part(0)
        finally:
            for future in others:
                future.result()
    finally:
        set_(blas_threads)
        _section.release()
