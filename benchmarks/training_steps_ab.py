"""In-process A/B of whole training steps: ``python -m benchmarks.training_steps_ab TASK [--pairs N] [--torch]``.

One minidl model of a ``benchmarks.workloads.FAMILY`` workload trains on batches of its size, one step with
setting A, one with setting B, in turn (the order flips every pair), and the line printed gives the median
step of each and the median of the pair ratios B / A (below 1: B is faster) with their quartiles. On a shared
machine only such ratios, taken seconds apart in one process, mean anything.

The settings, by name (``--switch``):

- ``branch``: A is the code before the 2026-12-07 training-path changes (2 MiB training slices,
  ``conv.TRAINING_SLICE_BYTES``; global average pooling handing back a broadcast view), B this code;
- ``slices``: 2 MiB training slices (A) against ``conv.TRAINING_SLICE_BYTES`` (B);
- ``recompute``: dL/dK from patches built again (A, ``conv.RECOMPUTED_PATCH_WIDTHS``) against patches kept (B);
- ``winograd``: 3 x 3 stride-1 Conv2D and width-3 or -5 stride-1 Conv1D by im2col and products (A) against
  Winograd's F(2 x 2, 3 x 3) and F(4, r) (B, ``functional/winograd.py``, ``functional/winograd_1d.py``);
- ``planes``: Winograd's forward and dL/dx products as one stacked numpy product (A) against in parts of the
  planes with BLAS on one thread each (B, ``winograd.PLANES_IN_PARTS``).

``--torch`` adds PyTorch's step of the same network (``benchmarks.frameworks``, 2 threads) to each round, and
the medians of A / PyTorch and B / PyTorch.
"""

from __future__ import annotations

import minidl  # noqa: F401 - first, as a minidl program: it sets up the BLAS threads (minidl.core.cores)

import argparse
import statistics
import time

import numpy

from benchmarks import frameworks
from benchmarks import workloads as W
from minidl.functional import conv, pool, winograd
from minidl.functional.reduce import Mean

_GAP_BACKWARD = pool.GlobalAvgPool.backward
_WINOGRAD_APPLIES = (conv.winograd_applies, conv.winograd_1d_applies)


def _winograd(on: bool) -> None:
    conv.winograd_applies, conv.winograd_1d_applies = _WINOGRAD_APPLIES if on else (lambda *a: False,) * 2

_TRAINING_SLICES, _RECOMPUTED = conv.TRAINING_SLICE_BYTES, conv.RECOMPUTED_PATCH_WIDTHS


def _before(on: bool) -> None:
    conv.TRAINING_SLICE_BYTES = 2 * 2**20 if on else _TRAINING_SLICES
    pool.GlobalAvgPool.backward = Mean.backward if on else _GAP_BACKWARD


SWITCHES = {  # name: (set up A, set up B)
    "branch": (lambda: _before(True), lambda: _before(False)),
    "slices": (lambda: setattr(conv, "TRAINING_SLICE_BYTES", 2 * 2**20),
               lambda: setattr(conv, "TRAINING_SLICE_BYTES", _TRAINING_SLICES)),
    "recompute": (lambda: setattr(conv, "RECOMPUTED_PATCH_WIDTHS", _RECOMPUTED),
                  lambda: setattr(conv, "RECOMPUTED_PATCH_WIDTHS", range(0))),
    "winograd": (lambda: _winograd(False), lambda: _winograd(True)),
    "planes": (lambda: setattr(winograd, "PLANES_IN_PARTS", False), lambda: setattr(winograd, "PLANES_IN_PARTS", True)),
}


def torch_step(task: str, x: numpy.ndarray, y: numpy.ndarray):
    """A function of a batch index that runs one PyTorch training step (Adam, cross-entropy) of ``task``."""
    import torch  # noqa: PLC0415 - optional

    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = frameworks._torch_family_model(task)
    inputs = torch.from_numpy(x if x.ndim == 2 else numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1)))
    labels, loss = torch.from_numpy(y), torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    batch = W.FAMILY[task]["batch_size"]

    def step(start: int) -> None:
        optimizer.zero_grad()
        loss(model(inputs[start : start + batch]), labels[start : start + batch]).backward()
        optimizer.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(W.FAMILY))
    parser.add_argument("--switch", choices=sorted(SWITCHES), default="branch")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--torch", action="store_true", help="time PyTorch's step in each round too")
    arguments = parser.parse_args()
    batch = W.FAMILY[arguments.task]["batch_size"]
    size = dict(W.SIZES["full"], **{f"{arguments.task}_samples": 4 * batch})
    x, y = W.family_data(arguments.task, size)
    model = frameworks.minidl_models(arguments.task, size[f"{arguments.task}_shape"])
    setups = SWITCHES[arguments.switch]
    runs = [lambda start, setup=setup: (setup(), model.train_on_batch(x[start : start + batch],
                                                                        y[start : start + batch])) for setup in setups]
    if arguments.torch:
        runs.append(torch_step(arguments.task, x, y))
    times: list[list[float]] = [[] for _ in runs]
    for round_ in range(arguments.pairs + 2):  # two rounds of warm-up: compiled kernels, buffers
        start = (round_ % 4) * batch
        for which in (range(len(runs)) if round_ % 2 == 0 else reversed(range(len(runs)))):
            began = time.perf_counter()
            runs[which](start)
            if round_ >= 2:
                times[which].append(time.perf_counter() - began)
    setups[1]()

    def ratios(top: list[float], bottom: list[float]) -> str:
        values = [a / b for a, b in zip(top, bottom)]
        low, _, high = statistics.quantiles(values, n=4)
        return f"{statistics.median(values):.3f} (quartiles {low:.2f}-{high:.2f})"

    line = (f"{arguments.task} {arguments.switch}: A {1e3 * statistics.median(times[0]):.0f} ms, "
            f"B {1e3 * statistics.median(times[1]):.0f} ms per step; B / A {ratios(times[1], times[0])}")
    if arguments.torch:
        line += (f"; PyTorch {1e3 * statistics.median(times[2]):.0f} ms, A / PyTorch {ratios(times[0], times[2])}, "
                 f"B / PyTorch {ratios(times[1], times[2])}")
    print(f"{line}; {arguments.pairs} pairs")


if __name__ == "__main__":
    main()
