"""Where the time of the benchmark CNN goes: cProfile of 10 training batches (``python -m benchmarks.profile_cnn``)."""

import minidl  # noqa: F401 - first, as a minidl program: it sets up the BLAS threads (minidl.core.cores)
import cProfile
import pstats
import time

from benchmarks import frameworks
from benchmarks import workloads as W

if __name__ == "__main__":
    size = dict(W.SIZES["full"])
    x, y = W.cnn_data(640, size["cnn_shape"])
    model = frameworks.minidl_models("cnn", size["cnn_shape"])
    model.fit(x[:64], y[:64], batch_size=64, epochs=1, verbose=0)  # compile or load the kernels first
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    profiler.disable()
    print(f"10 batches of 64: {time.perf_counter() - start:.2f} s")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
