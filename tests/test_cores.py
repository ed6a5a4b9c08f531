"""Kernels use several threads only where numpy's BLAS was started to yield the cores (see minidl.core.cores)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cores_in_a_fresh_process(code, **environment):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT", "MINIDL_PARALLEL_KERNELS")}
    env.update(environment)
    completed = subprocess.run([sys.executable, "-c", code + "\nfrom minidl import cores\n"
                                "import os\nprint(cores.parallel_kernels, os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n"
                                "print(cores.serial_reason)"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


def test_minidl_imported_first_sets_a_short_blas_spin_and_threads_the_kernels():
    assert cores_in_a_fresh_process("import minidl")[0] == "True 4"


def test_numpy_imported_first_keeps_the_kernels_on_one_thread_and_says_why():
    lines = cores_in_a_fresh_process("import numpy, minidl")
    assert lines[0] == "False None"
    assert "import minidl first or set OPENBLAS_THREAD_TIMEOUT=4" in lines[1]


def test_a_short_spin_set_by_the_user_counts_and_the_switch_turns_threads_off():
    assert cores_in_a_fresh_process("import numpy, minidl", OPENBLAS_THREAD_TIMEOUT="6")[0] == "True 6"
    assert cores_in_a_fresh_process("import numpy, minidl", OPENBLAS_THREAD_TIMEOUT="28")[0] == "False 28"
    lines = cores_in_a_fresh_process("import minidl", MINIDL_PARALLEL_KERNELS="0")
    assert lines[0] == "False 4" and lines[1] == "MINIDL_PARALLEL_KERNELS=0"


@pytest.mark.parametrize("count", [1, 2, 4])
def test_cache_slices_hold_a_whole_number_of_samples_per_core(count, monkeypatch):
    import numpy

    from minidl.core import backend, cores

    monkeypatch.setattr(cores, "COUNT", count)
    monkeypatch.setattr(backend, "CACHE_SLICE_BYTES", 1000)
    like = numpy.zeros(1)
    for per_sample in (1, 7, 90, 150, 260, 400, 999, 1000, 5000):
        step = backend.samples_per_cache_slice(like, per_sample, 64)
        assert step % count == 0 and step >= count
        fits = 1000 // per_sample  # the slices nearest to the budget: within half a core's share of it
        assert abs(step - fits) <= count / 2 or (fits < count and step == count) or step == 64
        assert backend.samples_per_cache_slice(like, per_sample, 64, budget=1000) == step  # a budget of one's own
    assert backend.samples_per_cache_slice(like, 1, 3) == 3  # never more than the batch
