"""The array backend: which array library holds the data, the devices, and the default dtype.

Every other module asks this one for its array module (``xp``) instead of
importing numpy directly, so the same autodiff code runs on numpy arrays on
the CPU and on cupy arrays on an NVIDIA GPU. This is the only module allowed
to import cupy; it is imported lazily so that minidl works where cupy is not
installed.

Devices are named "cpu" (numpy) and "gpu" (cupy, the current CUDA device;
"cuda" is accepted for it). The data chooses where a computation runs
(Chainer's rule); ``to_device`` moves arrays, and the default device is where
layers create their weights.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import numpy

from minidl.core import batch_threads, cores, memory

DEFAULT_FLOAT_DTYPE = numpy.dtype("float32")

_ALIASES = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu"}

_cupy: ModuleType | None = None
_cupy_checked = False
_cupy_problem = ""
_gpu_problem: str | None = None  # gpu_unavailable_reason's answer, found once
_default_device = "cpu"


def _load_cupy() -> ModuleType | None:
    """Import cupy once, returning None where it is not installed or unusable."""
    global _cupy, _cupy_checked, _cupy_problem
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported on demand

            _cupy = cupy
        except Exception as error:  # ImportError, or a CUDA runtime that fails to load
            _cupy, _cupy_problem = None, f"cupy cannot be imported ({type(error).__name__}: {error})"
    return _cupy


def gpu_unavailable_reason() -> str:
    """Why the "gpu" device cannot be used here, or "" when it can (asked once: every batch moved asks)."""
    global _gpu_problem
    if _gpu_problem is None:
        _gpu_problem = _find_gpu_problem()
    return _gpu_problem


def _find_gpu_problem() -> str:
    cupy = _load_cupy()
    if cupy is None:
        return _cupy_problem or "cupy is not installed (pip install 'minidl[gpu]')"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, or no device visible
        return f"cupy finds no usable CUDA device ({type(error).__name__}: {error})"
    return "" if count > 0 else "cupy finds no CUDA device"


def gpu_available() -> bool:
    """Whether arrays can be moved to the "gpu" device (cupy installed and a CUDA device present)."""
    return gpu_unavailable_reason() == ""


def check_device(name: Any) -> str:
    """The canonical name of a device ("cpu" or "gpu"); an unknown name lists the valid ones."""
    canonical = _ALIASES.get(str(name).lower()) if isinstance(name, str) else None
    if canonical is None:
        raise ValueError(f"unknown device {name!r}; valid devices are: {', '.join(_ALIASES)}")
    return canonical


def device_of(array: Any) -> str:
    """Where ``array`` lives: "gpu" for cupy arrays, "cpu" otherwise."""
    return "gpu" if get_array_module(array) is not numpy else "cpu"


def to_device(array: Any, device: str) -> Any:
    """``array`` on ``device``: the same object when it is already there, else a copy.

    Moving to "gpu" where cupy or a CUDA device is missing raises a
    RuntimeError that says which.
    """
    device = check_device(device)
    if device == "cpu":
        return to_numpy(array)
    if device_of(array) == "gpu":
        return array
    problem = gpu_unavailable_reason()
    if problem:
        raise RuntimeError(f"cannot move data to the gpu: {problem}")
    return _cupy.asarray(array)


def default_device() -> str:
    """The device on which layers create their weights ("cpu" unless changed)."""
    return _default_device


def set_default_device(device: str) -> str:
    """Make ``device`` the default; returns the previous one. "gpu" is checked to be usable."""
    global _default_device
    device = check_device(device)
    if device == "gpu" and not gpu_available():
        raise RuntimeError(f"cannot make the gpu the default device: {gpu_unavailable_reason()}")
    previous, _default_device = _default_device, device
    return previous


def get_array_module(*arrays: Any) -> ModuleType:
    """Return the array module (numpy or cupy) that owns ``arrays``.

    Chainer's rule: the data chooses the backend. If any argument is a cupy
    array the answer is cupy, otherwise numpy. Arguments are arrays or
    anything else (scalars, None, lists), which count as numpy; the backend
    knows arrays only, so a Tensor's caller passes ``tensor.data``.
    """
    if all(type(array) is numpy.ndarray for array in arrays):  # the common case, answered at once
        return numpy
    if any(hasattr(array, "__cuda_array_interface__") for array in arrays):
        cupy = _load_cupy()
        if cupy is not None and any(isinstance(array, cupy.ndarray) for array in arrays):
            return cupy
    return numpy


def as_array(data: Any, dtype: Any = None) -> Any:
    """Convert ``data`` to an array of the backend that already owns it.

    Floating arrays (numpy, cupy, numpy scalars) keep their dtype. Python
    numbers and lists, and integer or boolean arrays, become
    ``DEFAULT_FLOAT_DTYPE``, unless ``dtype`` says otherwise.
    """
    xp = get_array_module(data)
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    is_array = isinstance(data, (numpy.ndarray, numpy.generic)) or hasattr(
        data, "__cuda_array_interface__"
    )
    array = xp.asarray(data)
    if not is_array or array.dtype.kind != "f":
        array = array.astype(DEFAULT_FLOAT_DTYPE)
    return array


def to_numpy(array: Any) -> numpy.ndarray:
    """Copy an array of any backend to a numpy array on the host."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get"):
        return array.get()
    return numpy.asarray(array)


def empty(shape: tuple, dtype: Any, like: Any) -> Any:
    """An uninitialised array on ``like``'s backend, for a temporary the caller fills completely.

    numpy arrays of 256 KiB and more come from ``minidl.core.memory``'s cache of
    buffers that earlier batches freed, so that their pages are already
    mapped; cupy arrays come from cupy's own memory pool.
    """
    xp = get_array_module(like)
    if xp is numpy and batch_threads.in_part():  # the cache is not shared between the threads of a split batch
        return numpy.empty(shape, dtype=dtype)
    if xp is numpy:
        return memory.buffer_cache().empty(shape, dtype)
    return xp.empty(shape, dtype=dtype)


def uniform(generator: Any, shape: tuple, like: Any) -> Any:
    """``generator.random(shape)``: float64 draws uniform on [0, 1), from a generator of ``like``'s backend.

    For numpy arrays the draws are written into a buffer from ``empty``, the
    same numbers as ``generator.random(shape)`` without a fresh array's page
    faults (dropout draws one per activation, tens of megabytes a batch),
    and large draws are split over the cores (``fill_uniform``).
    """
    if get_array_module(like) is numpy and isinstance(generator, numpy.random.Generator):
        out = empty(tuple(shape), numpy.float64, like)
        fill_uniform(generator, out.reshape(-1))
        return out
    return generator.random(shape)


#: ``fill_uniform`` gives each core a part of a draw of at least this many numbers per core.
PARALLEL_DRAWS_MIN = 1 << 18

#: Bit generators that can jump ahead exactly, one 64-bit step per float64 draw.
_JUMPING_BIT_GENERATORS = (numpy.random.PCG64, numpy.random.PCG64DXSM)
_draw_threads: ThreadPoolExecutor | None = None


def _forget_draw_threads() -> None:
    """In a forked child the pool's threads do not exist: start a new pool there if one is needed."""
    global _draw_threads
    _draw_threads = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_draw_threads)


def fill_uniform(generator: numpy.random.Generator, out: numpy.ndarray) -> None:
    """Fill the 1-D float64 ``out`` with ``generator.random(out.size)``: the same numbers, a part per core.

    Each float64 takes one 64-bit step of a PCG64 generator, so part k can
    start from a copy of the state advanced past the parts before it
    (``advance``) and all parts can be drawn at once; the generator then
    continues from the end of the last part, as if it had drawn them in order.
    numpy draws without holding the GIL, so the parts run in parallel (3M
    draws: 9.6 ms in one thread, 5.3 ms in two). Other bit generators, small
    draws and ``MINIDL_PARALLEL_KERNELS=0`` draw in one call.
    """
    global _draw_threads
    parts = min(cores.COUNT, out.size // PARALLEL_DRAWS_MIN)
    bit_generator = generator.bit_generator
    if parts < 2 or type(bit_generator) not in _JUMPING_BIT_GENERATORS or not cores.parallel_kernels:
        generator.random(out=out)
        return
    bounds = [out.size * k // parts for k in range(parts + 1)]
    start = bit_generator.state
    generators = [generator]
    for k in range(1, parts):
        jumped = type(bit_generator)()
        jumped.state = start
        jumped.advance(bounds[k])
        generators.append(numpy.random.Generator(jumped))
    if _draw_threads is None:
        _draw_threads = ThreadPoolExecutor(max_workers=cores.COUNT, thread_name_prefix="minidl-draws")
    drawn = [_draw_threads.submit(part.random, out=out[bounds[k] : bounds[k + 1]]) for k, part in enumerate(generators)]
    for future in drawn:
        future.result()
    end = generators[-1].bit_generator.state
    end["has_uint32"], end["uinteger"] = start["has_uint32"], start["uinteger"]  # advance drops the 32-bit half
    bit_generator.state = end


def window_index_dtype(pool_size: tuple) -> Any:
    """The type of max pooling's argmax (a flat index into each window): uint8 where every window has at most
    256 elements (a quarter of the memory of 32-bit indices), int32 otherwise."""
    return numpy.dtype(numpy.uint8 if pool_size[0] * pool_size[1] <= 256 else numpy.int32)


def zeros(shape: tuple, dtype: Any, like: Any) -> Any:
    """``empty`` filled with zeros."""
    array = empty(shape, dtype, like)
    array.fill(0)
    return array


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` for 2-D arrays, into ``out`` or a buffer from ``empty`` (no fresh pages for a large product)."""
    xp = get_array_module(a, b)
    if out is None:
        out = empty((a.shape[0], b.shape[1]), xp.result_type(a, b), a)
    return xp.matmul(a, b, out=out)


#: On the CPU, a product that a kernel reads right after it is computed in slices of about this many bytes,
#: so that each slice is still in the processor's cache when the kernel reads it (``samples_per_cache_slice``).
CACHE_SLICE_BYTES = 2 * 2**20


def samples_per_cache_slice(like: Any, bytes_per_sample: int, samples: int, budget: int | None = None) -> int:
    """How many samples of a batch to process at a time so that a temporary stays near ``budget`` bytes.

    ``budget`` defaults to ``CACHE_SLICE_BYTES``.
    ``bytes_per_sample``: the temporary's size per sample. On numpy arrays
    a multiple of the number of cores (the nearest to the byte budget, at
    least one sample per core): the compiled kernels that read a slice split
    it by samples, so a slice of one sample kept one core idle (on the
    benchmark CNN's second layer, 64 slices of one sample took 31 ms for the
    patches and forward product where 32 slices of two took 27, and 25-29
    against 25-26 ms for the input gradient). On a GPU (no cache of that kind
    to keep) all of them.
    """
    if get_array_module(like) is not numpy:
        return samples
    budget = CACHE_SLICE_BYTES if budget is None else budget
    per_core = max(1, (budget // max(1, bytes_per_sample) + cores.COUNT // 2) // cores.COUNT)
    return min(samples, per_core * cores.COUNT)


#: On a GPU, a batch whose temporaries would take more bytes than this is processed in slices by
#: ``map_batch_in_slices`` (on the CPU the slices are cache-sized, ``CACHE_SLICE_BYTES``).
SLICE_BYTES = 64 * 2**20


def map_batch_in_slices(function: Any, x: Any, temporary_bytes_per_sample: int) -> Any:
    """``function(x, None)``, computed on slices of the batch so that its temporaries stay small.

    ``function(part, out)`` maps a slice of ``x`` (samples along axis 0) to
    an array whose first axis holds the same number of rows per sample,
    written into ``out`` when that is given (the slices' rows of one output,
    one after another) and into a new array when it is None. Used where no
    backward needs the temporaries, such as the patch matrices of a
    convolution in inference. On the CPU a slice's temporaries take about
    ``CACHE_SLICE_BYTES`` (``samples_per_cache_slice``), so that they are
    read back from the processor's cache: predictions of the genomics
    presets came 26-40% faster than with 64 MiB slices, Perez et al.'s
    network's 4-12%, the benchmark CNN's the same. On a GPU, at most
    ``SLICE_BYTES``, which bounds the memory they take.
    """
    n = x.shape[0]
    if get_array_module(x) is numpy:
        step = samples_per_cache_slice(x, temporary_bytes_per_sample, n)
    else:
        step = max(1, SLICE_BYTES // max(1, temporary_bytes_per_sample))
    if step >= n:
        return function(x, None)
    first = function(x[:step], None)                 # tells the rows per sample and the type
    rows_per_sample = first.shape[0] // step
    out = empty((n * rows_per_sample,) + first.shape[1:], first.dtype, first)
    out[: first.shape[0]] = first
    for start in range(step, n, step):
        stop = min(n, start + step)
        function(x[start:stop], out[start * rows_per_sample : stop * rows_per_sample])
    return out


class device:  # noqa: N801 - used like a function: minidl.device("gpu")
    """Make ``name`` the default device for the rest of the script, or, in a ``with`` block, for that block.

    >>> minidl.device("gpu")              # from here on, new layers put their weights on the GPU
    >>> with minidl.device("cpu"):        # ... except in this block
    ...     model = build_model()
    """

    def __init__(self, name: str) -> None:
        self.name = check_device(name)
        self.previous = set_default_device(self.name)

    def __enter__(self) -> "device":
        return self

    def __exit__(self, *exception: Any) -> None:
        set_default_device(self.previous)

    def __repr__(self) -> str:
        return f"device({self.name!r})"
