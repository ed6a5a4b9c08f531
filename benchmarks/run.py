"""Child-process entry: ``python -m benchmarks.run FRAMEWORK TASK SIZE [options]`` prints one JSON line."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

if sys.argv[1:2] == ["minidl"]:
    import minidl  # noqa: F401 - before numpy, as a minidl program would: it sets up the BLAS threads (minidl.core.cores)

from benchmarks import frameworks
from benchmarks import workloads as W


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("framework", choices=["minidl", "keras", "torch"])
    parser.add_argument("task", choices=[*W.TRAINING_TASKS, "layers", "mnist", "import", "gpu"])
    parser.add_argument("size", choices=sorted(W.SIZES))
    parser.add_argument("--data", default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--weights", default=None)
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    arguments = parser.parse_args()
    size = W.SIZES[arguments.size]
    start = time.perf_counter()
    if arguments.task == "import":
        __import__({"minidl": "minidl", "keras": "keras", "torch": "torch"}[arguments.framework])
        result = {}
    elif arguments.task == "gpu":
        result = frameworks.gpu_check(arguments.framework)
    elif arguments.task in W.TRAINING_TASKS:
        train = getattr(frameworks, f"{arguments.framework}_train")
        result = train(arguments.task, size) if arguments.device == "cpu" else train(arguments.task, size, "gpu")
    elif arguments.task == "layers":
        result = frameworks.minidl_layers(size)
    elif arguments.framework == "keras":
        result = frameworks.keras_mnist(arguments.data, arguments.epochs, arguments.weights)
    else:
        result = frameworks.minidl_mnist(arguments.data, arguments.epochs, arguments.weights)
    result["wall_seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
