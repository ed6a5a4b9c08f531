"""In-process A/B of one convolution layer's training work: ``python -m benchmarks.conv_layers_ab [--torch]``.

For each 3 x 3 'same' convolution of the ``cifar_bn`` / ``resnet_block`` networks (batch 64), forward and backward
of ``functional.conv2d`` (with bias, every gradient) are timed with the Winograd path (B) and with im2col and
products (A, ``conv.winograd_applies`` switched off), alternately in one process, the order flipped every pair.
Printed: the median milliseconds of each and the median of the pair ratios B / A (below 1: B faster), forward
and forward + backward. ``--torch`` adds ``torch.nn.functional.conv2d`` and its autograd backward on the same
shapes (NCHW, 2 threads) to each round, and the ratio B / PyTorch.
"""

from __future__ import annotations

import minidl  # noqa: F401 - first, as a minidl program: it sets up the BLAS threads (minidl.core.cores)

import argparse
import statistics
import time

import numpy

from minidl.autodiff.tensor import Tensor
from minidl.functional import conv

#: (height = width, input channels, filters) of the 3 x 3 convolutions of cifar_bn and resnet_block
LAYERS = ((32, 3, 32), (32, 32, 32), (16, 32, 64), (16, 64, 64))
_APPLIES = conv.winograd_applies


def layer_runs(size: int, channels: int, filters: int, batch: int, seed: int = 0) -> dict:
    """Functions of no argument: 'forward' and 'training' (forward and backward) of one layer."""
    generator = numpy.random.default_rng(seed)
    x = Tensor(generator.standard_normal((batch, size, size, channels), dtype=numpy.float32), requires_grad=True)
    kernel = Tensor(0.1 * generator.standard_normal((3, 3, channels, filters), dtype=numpy.float32),
                    requires_grad=True)
    bias = Tensor(numpy.zeros(filters, numpy.float32), requires_grad=True)
    gy = generator.standard_normal((batch, size, size, filters), dtype=numpy.float32)

    def training():
        conv.conv2d(x, kernel, bias, padding="same").backward(gy)

    return {"forward": lambda: conv.conv2d(x, kernel, bias, padding="same"), "training": training}


def torch_runs(size: int, channels: int, filters: int, batch: int) -> dict:
    import torch  # noqa: PLC0415 - optional

    torch.set_num_threads(2)
    x = torch.randn(batch, channels, size, size, requires_grad=True)
    kernel = torch.randn(filters, channels, 3, 3, requires_grad=True)
    bias = torch.zeros(filters, requires_grad=True)
    gy = torch.randn(batch, filters, size, size)

    def training():
        torch.nn.functional.conv2d(x, kernel, bias, padding=1).backward(gy)

    return {"forward": lambda: torch.nn.functional.conv2d(x, kernel, bias, padding=1), "training": training}


def switch(winograd: bool) -> None:
    conv.winograd_applies = _APPLIES if winograd else (lambda *arguments: False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--torch", action="store_true")
    arguments = parser.parse_args()
    for size, channels, filters in LAYERS:
        runs = layer_runs(size, channels, filters, arguments.batch)
        others = torch_runs(size, channels, filters, arguments.batch) if arguments.torch else None
        line = f"{size}x{size}x{channels} -> {filters}:"
        for name in ("forward", "training"):
            candidates = [(lambda run=runs[name]: (switch(False), run())),
                          (lambda run=runs[name]: (switch(True), run()))]
            if others:
                candidates.append(others[name])
            times: list[list[float]] = [[] for _ in candidates]
            for round_ in range(arguments.pairs + 1):
                for which in (range(len(candidates)) if round_ % 2 == 0 else reversed(range(len(candidates)))):
                    began = time.perf_counter()
                    candidates[which]()
                    if round_:
                        times[which].append(time.perf_counter() - began)
            ratio = statistics.median(b / a for a, b in zip(times[0], times[1]))
            line += (f"  {name} A {1e3 * statistics.median(times[0]):.1f} B {1e3 * statistics.median(times[1]):.1f} ms"
                     f" B/A {ratio:.2f}")
            if others:
                line += f" torch {1e3 * statistics.median(times[2]):.1f} B/torch " \
                        f"{statistics.median(b / t for b, t in zip(times[1], times[2])):.2f}"
        switch(True)
        print(line, flush=True)


if __name__ == "__main__":
    main()
