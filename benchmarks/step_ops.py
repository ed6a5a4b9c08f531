"""Where one training step of a family workload goes, operation by operation: ``python -m benchmarks.step_ops TASK``.

Every ``Function`` subclass's ``forward`` and ``backward``, the convolution kernels (im2col, col2im, dL/dK, the
products) and the optimizer's update are wrapped with timers; ``--steps`` training steps of batch size run after
two warm-up steps, and the table printed gives, per label, milliseconds per step (inclusive: a Conv2D forward
contains its im2col and product), calls per step and, for the products, GFLOP/s. ``--torch`` adds PyTorch's
forward and backward of each of the workload's convolutions on the same shapes (2 threads) for comparison.
"""

from __future__ import annotations

import minidl  # noqa: F401 - first, as a minidl program: it sets up the BLAS threads (minidl.core.cores)

import argparse
import collections
import functools
import time

from benchmarks import frameworks
from benchmarks import workloads as W
from minidl.autodiff import function as function_module
from minidl.core import backend
from minidl.functional import conv as conv_module

TOTALS: dict = collections.defaultdict(float)
CALLS: dict = collections.defaultdict(int)
FLOPS: dict = collections.defaultdict(float)


def timed(label: str, run, flops=None):
    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        result = run(*args, **kwargs)
        TOTALS[label] += time.perf_counter() - began
        CALLS[label] += 1
        if flops is not None:
            FLOPS[label] += flops(*args)
        return result
    return wrapper


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def instrument(model) -> None:
    for cls in set(all_subclasses(function_module.Function)):
        for method in ("forward", "backward"):
            if method in vars(cls):
                setattr(cls, method, timed(f"{cls.__name__}.{method}", vars(cls)[method]))
    for name in ("im2col", "col2im", "kernel_gradient"):
        setattr(conv_module, name, timed(f"  kernel {name}", getattr(conv_module, name),
                                         (lambda c, g: 2.0 * c.shape[0] * c.shape[1] * g.shape[1])
                                         if name == "kernel_gradient" else None))
    from minidl.functional import winograd, winograd_1d  # noqa: PLC0415

    for module, prefix, convolution in ((winograd_1d, "winograd1d", winograd_1d.WinogradConvolution1D),
                                        (winograd, "winograd", winograd.WinogradConvolution)):
        for name in (f"{prefix}_{step}" for step in ("input_tiles", "output", "output_gradient_tiles",
                                                      "input_gradient")):
            setattr(module, name, timed(f"  kernel {name}", getattr(module, name)))
        for method in ("forward", "backward"):
            setattr(convolution, method,
                    timed(f" {convolution.__name__}.{method}", getattr(convolution, method)))
    backend.matmul = timed("  kernel matmul", backend.matmul, lambda a, b, out=None: 2.0 * a.shape[0] * a.shape[1]
                           * b.shape[1])
    optimizer = model.optimizer
    optimizer.apply_gradients = timed("optimizer.apply_gradients", optimizer.apply_gradients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(W.FAMILY))
    parser.add_argument("--steps", type=int, default=4)
    arguments = parser.parse_args()
    batch = W.FAMILY[arguments.task]["batch_size"]
    size = dict(W.SIZES["full"], **{f"{arguments.task}_samples": 4 * batch})
    x, y = W.family_data(arguments.task, size)
    model = frameworks.minidl_models(arguments.task, size[f"{arguments.task}_shape"])
    for start in (0, batch):
        model.train_on_batch(x[start : start + batch], y[start : start + batch])
    instrument(model)
    began = time.perf_counter()
    for step in range(arguments.steps):
        start = (step % 4) * batch
        model.train_on_batch(x[start : start + batch], y[start : start + batch])
    whole = (time.perf_counter() - began) / arguments.steps
    print(f"{arguments.task}: {1e3 * whole:.1f} ms per step of {batch}")
    for label in sorted(TOTALS, key=TOTALS.get, reverse=True):
        ms = 1e3 * TOTALS[label] / arguments.steps
        rate = f"  {FLOPS[label] / TOTALS[label] / 1e9:6.1f} GFLOP/s" if FLOPS[label] else ""
        print(f"{label:45s} {ms:8.1f} ms  {CALLS[label] / arguments.steps:5.1f} calls{rate}")


if __name__ == "__main__":
    main()
