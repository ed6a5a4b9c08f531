"""Accelerated kernels: compiled versions of array code that lives, readable, beside its operation.

The definition of every kernel is plain array code in the file of the
operation that uses it: ``im2col``/``col2im`` in ``functional/conv.py``, the
pooling gather and scatter in ``functional/pool.py``, the batch-norm
statistics and gradient in ``functional/norm.py``, the ReLU family in
``functional/activation.py``, per-channel sums in ``functional/reduce.py`` and
the fused optimizer updates in ``optimizers.py``. Each is decorated with
``@accelerated``, which registers it here as the *reference* and returns a
dispatcher of the same name. The dispatcher calls, for the arrays it is
given:

- the numba loop of that name, for C-contiguous float32/float64 numpy
  arrays (the default, where numba works), from the module of its family:
  ``conv.py``, ``conv_pool.py``, ``pooling.py``, ``elementwise.py``,
  ``normalization.py``, ``optimizers.py`` (``compiling.py`` says how they
  are compiled);
- the CUDA kernel of that name, for cupy arrays, which the same family
  module builds in its ``cuda_kernels(cupy)`` (where a family has none, the
  reference serves: it is written for numpy and cupy alike);
- the reference itself otherwise (strided views, other dtypes), or for
  every call after ``use("reference")`` or with ``MINIDL_KERNELS=reference``
  set before the import: step through it in a debugger, or read it.

This package imports nothing above the backend: the operations register
themselves here, not the other way round. ``tests/test_kernels.py`` checks
every compiled kernel against its reference on drawn shapes.
"""

from __future__ import annotations

import functools
import importlib
import os
import types
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy

#: The kernel modules, one per family of operations.
FAMILIES = ("conv", "conv_pool", "pooling", "elementwise", "normalization", "optimizers", "winograd")

try:
    _families = tuple(importlib.import_module(f"minidl.kernels.{family}") for family in FAMILIES)
    _cpu = True
    numba_problem = ""
except ImportError as error:  # numba missing or broken: the reference array code serves, several times slower
    _families, _cpu = (), None
    numba_problem = f"the numba kernels cannot be imported ({type(error).__name__}: {error})"
    warnings.warn(f"minidl: {numba_problem}; using the reference array code instead", RuntimeWarning, stacklevel=2)

#: The family module that holds each numba kernel, by name (filled as kernels are first asked for).
_homes: dict[str, ModuleType | None] = {}

CHOICES = ("numba", "reference")
_selected = os.environ.get("MINIDL_KERNELS", "numba")
if _selected not in CHOICES:
    raise ValueError(f"MINIDL_KERNELS must be one of {CHOICES}, got {_selected!r}")

#: Every registered kernel's reference array code, by name.
REFERENCES: dict[str, Callable] = {}

_gpu: types.SimpleNamespace | None = None


def use(name: str) -> None:
    """Select the kernels: "numba" (compiled: numba on the CPU, CUDA on a GPU; the default) or "reference"."""
    global _selected
    if name not in CHOICES:
        raise ValueError(f"kernels must be one of {CHOICES}, got {name!r}")
    _selected = name


def in_use() -> str:
    """The kernels numpy arrays get now: "numba", or "reference" (chosen, or numba missing)."""
    return "numba" if _selected == "numba" and _cpu is not None else "reference"


def accelerated(reference: Callable) -> Callable:
    """Register ``reference`` as the definition of the kernel of its name; return that kernel's dispatcher.

    The dispatcher takes the reference's arguments and returns what the
    reference returns; ``dispatcher.reference`` is the undecorated function.
    """
    name = reference.__name__
    if name in REFERENCES:
        raise ValueError(f"a kernel named {name!r} is registered twice")
    REFERENCES[name] = reference

    @functools.wraps(reference)
    def kernel(*arguments: Any, **options: Any) -> Any:
        return implementation(name, *arguments, *options.values())(*arguments, **options)

    kernel.reference = reference
    return kernel


def implementation(name: str, *arguments: Any) -> Callable:
    """The function that kernel ``name`` runs for these arguments (see the module docstring)."""
    reference = REFERENCES[name]
    if _selected == "reference":
        return reference
    compiled = _cpu is not None
    for a in arguments:
        if isinstance(a, numpy.ndarray):
            compiled = compiled and _compiled_loops_take(a)
        elif hasattr(a, "__cuda_array_interface__"):
            return getattr(cuda_kernels(), name, reference)
    return (numba_kernel(name) or reference) if compiled else reference


def numba_kernel(name: str) -> Callable | None:
    """The numba kernel called ``name``, looked up in its family's module on every call; None where none exists."""
    if name not in _homes:
        _homes[name] = next((module for module in _families if callable(vars(module).get(name))), None)
    home = _homes[name]
    return None if home is None else getattr(home, name)


def _compiled_loops_take(array: numpy.ndarray) -> bool:
    """numba's loops index C-contiguous arrays; floating data must be float32 or float64."""
    return array.flags.c_contiguous and (array.dtype.kind != "f" or array.dtype in (numpy.float32, numpy.float64))


def cuda_kernels() -> types.SimpleNamespace:
    """Every family's CUDA kernels, by name, built the first time a cupy array arrives (it needs cupy)."""
    global _gpu
    if _gpu is None:
        import cupy  # noqa: PLC0415 - optional: only with cupy

        _gpu = build_cuda_kernels(cupy)
    return _gpu


def build_cuda_kernels(cupy: ModuleType) -> types.SimpleNamespace:
    """The CUDA kernels of every family, built on ``cupy`` (or a stand-in with its ``ElementwiseKernel``)."""
    built: dict[str, Callable] = {}
    for module in _families or tuple(importlib.import_module(f"minidl.kernels.{f}") for f in FAMILIES):
        if hasattr(module, "cuda_kernels"):
            built.update(module.cuda_kernels(cupy))
    return types.SimpleNamespace(**built)
