"""Run the CUDA bodies of ``minidl/kernels/`` (each family's ``cuda_kernels``) on the CPU, where no GPU is.

``load_gpu_kernels()`` builds them against a stand-in ``cupy`` whose
``ElementwiseKernel`` turns each kernel's parameter lists and body into a
C++ function, ``for (i = 0; i < n; ++i) { body }``, compiled with the
system's C++ compiler, and whose arrays are numpy arrays. The bodies, the
index arithmetic and the Python wrappers around them are then exactly those
a GPU runs, one element after the other instead of in parallel; what this
cannot check is CUDA itself (launch configuration, device memory).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import types
from pathlib import Path

import numpy

from minidl import kernels

COMPILER = shutil.which("g++") or shutil.which("c++")
C_TYPES = {"float32": "float", "float64": "double", "uint8": "unsigned char", "int32": "int", "int64": "long long",
           "bool": "bool"}
PRELUDE = """
#include <algorithm>
#include <cmath>
using std::max; using std::min; using std::sqrt;
#define __device__
"""
_BUILD = Path(tempfile.gettempdir()) / "minidl-cuda-on-cpu"


class _Parameter:
    def __init__(self, text: str) -> None:
        words = text.split()
        self.raw = words[0] == "raw"
        self.type, self.name = words[-2], words[-1]


class HostElementwiseKernel:
    """The part of ``cupy.ElementwiseKernel`` that gpu.py uses, run as compiled C++ on numpy arrays."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str, preamble: str = "") -> None:
        self.inputs = [_Parameter(p) for p in in_params.split(",")]
        self.outputs = [_Parameter(p) for p in out_params.split(",")]
        self.operation, self.name, self.preamble = operation, name, preamble
        self.compiled: dict = {}

    def __call__(self, *args):
        given_outputs = args[len(self.inputs):]
        inputs = args[: len(self.inputs)]
        if len(given_outputs) != len(self.outputs):  # cupy allocates missing outputs like the first array input
            first = next(a for a in inputs if isinstance(a, numpy.ndarray))
            given_outputs = tuple(numpy.empty_like(first) for _ in self.outputs)
        types_ = self._placeholders(inputs, given_outputs)
        function = self._function(inputs, given_outputs, types_)
        size = given_outputs[0].size
        arguments = []
        for parameter, value in zip(self.inputs + self.outputs, inputs + given_outputs):
            if isinstance(value, numpy.ndarray):
                assert value.flags.c_contiguous, f"{self.name}: {parameter.name} is not contiguous"
                arguments.append(ctypes.c_void_p(value.ctypes.data))
            else:
                arguments.append(self._scalar(parameter, value, types_))
        function(*arguments, ctypes.c_longlong(size))
        return given_outputs[0] if len(given_outputs) == 1 else given_outputs

    def _placeholders(self, inputs, outputs) -> dict:
        found = {}
        for parameter, value in zip(self.inputs + self.outputs, inputs + outputs):
            if parameter.type not in C_TYPES and isinstance(value, numpy.ndarray):
                found.setdefault(parameter.type, value.dtype.name)
        return found

    def _ctype(self, parameter: _Parameter, types_: dict) -> str:
        return C_TYPES[types_.get(parameter.type, parameter.type)]

    def _scalar(self, parameter: _Parameter, value, types_: dict):
        name = types_.get(parameter.type, parameter.type)
        return {"float": ctypes.c_float, "double": ctypes.c_double, "int": ctypes.c_int, "bool": ctypes.c_bool,
                "unsigned char": ctypes.c_ubyte, "long long": ctypes.c_longlong}[C_TYPES[name]](value)

    def _function(self, inputs, outputs, types_):
        shape = tuple(isinstance(v, numpy.ndarray) for v in inputs + outputs)
        key = (tuple(sorted(types_.items())), shape)
        if key not in self.compiled:
            self.compiled[key] = self._compile(inputs, outputs, types_)
        return self.compiled[key]

    def _compile(self, inputs, outputs, types_):
        signature, per_element = [], []
        for parameter, value in zip(self.inputs, inputs):
            ctype = self._ctype(parameter, types_)
            if parameter.raw:
                signature.append(f"const {ctype}* {parameter.name}")
            elif isinstance(value, numpy.ndarray):
                signature.append(f"const {ctype}* {parameter.name}_array")
                per_element.append(f"const {ctype} {parameter.name} = {parameter.name}_array[i];")
            else:
                signature.append(f"{ctype} {parameter.name}")
        for parameter in self.outputs:
            ctype = self._ctype(parameter, types_)
            signature.append(f"{ctype}* {parameter.name}_array")
            per_element.append(f"{ctype}& {parameter.name} = {parameter.name}_array[i];")
        typedefs = "".join(f"typedef {C_TYPES[dtype]} {placeholder};\n" for placeholder, dtype in types_.items())
        source = (PRELUDE + typedefs + self.preamble + f'\nextern "C" void {self.name}('
                  + ", ".join(signature + ["long long n"]) + ") {\n  for (long long i = 0; i < n; ++i) {\n    "
                  + "\n    ".join(per_element) + "\n" + self.operation + ";\n  }\n}\n")  # cupy adds the ;
        digest = hashlib.sha1(source.encode()).hexdigest()[:16]
        _BUILD.mkdir(exist_ok=True)
        library = _BUILD / f"{self.name}-{digest}.so"
        if not library.exists():
            source_path = _BUILD / f"{self.name}-{digest}.cpp"
            source_path.write_text(source)
            partial = library.with_suffix(f".{os.getpid()}.partial")
            subprocess.run([COMPILER, "-O1", "-shared", "-fPIC", "-o", str(partial), str(source_path)], check=True,
                           capture_output=True, text=True)
            os.replace(partial, library)
        function = getattr(ctypes.CDLL(str(library)), self.name)
        function.restype = None
        return function


def _stand_in_cupy() -> types.ModuleType:
    module = types.ModuleType("cupy")
    module.ElementwiseKernel = HostElementwiseKernel
    for name in ("empty", "empty_like", "zeros", "ascontiguousarray", "uint8", "int32", "inf", "ndarray"):
        setattr(module, name, getattr(numpy, name))
    return module


def load_gpu_kernels() -> types.SimpleNamespace:
    """Every family's CUDA kernels (``minidl.kernels.build_cuda_kernels``), built on a stand-in cupy whose
    kernels run on numpy arrays (cupy itself is left alone)."""
    return kernels.build_cuda_kernels(_stand_in_cupy())
