"""minidl's predict against Keras's, in one process: ``python -m benchmarks.predict_keras``.

For each workload the same network is built in both (``benchmarks.frameworks``' builders), Keras's weights are
copied into minidl's model (batch normalisation's moving statistics first set to random values, so that folding
them is tested), the two predictions are compared, and then ``--pairs`` pairs of ``predict`` calls (batch 1,000,
as the suite's) are timed alternately: minidl, Keras, minidl, Keras... Prints one JSON line per workload with the
median of the per-pair ratios minidl / Keras and the largest difference between the two predictions. On a shared
machine only ratios of calls taken seconds apart mean anything; the median over pairs resists a burst of load.

``--unsplit`` times a third call in each round, minidl with ``MINIDL_BATCH_THREADS=0`` (the batch not split over
the cores, ``minidl.core.batch_threads``), for an in-process A/B of that split.

``--code TREE`` imports minidl from another checkout (main's, say) for an A/B of two minidl versions: run the
script once per checkout and compare the ratios, each against the same Keras.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TASKS = ("mlp", "cnn", "perez", "perez_small", "preset_cnn1d", "preset_cnn2d", "preset_spectrum", "cifar_bn",
         "resnet_block", "conv1d_bn", "pggan", "mlp_bn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--samples", type=int, default=2000, help="samples per predict call")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--unsplit", action="store_true", help="also time minidl with the batch split off")
    parser.add_argument("--code", default=None, help="the checkout whose minidl is measured (default: this one)")
    arguments = parser.parse_args()
    if arguments.code:
        sys.path.insert(0, os.path.abspath(arguments.code))
    import minidl  # noqa: PLC0415, F401 - first: it sets up the BLAS threads

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if arguments.code:
        sys.path.insert(1, here)
    from benchmarks import frameworks  # noqa: PLC0415
    from benchmarks import workloads as W  # noqa: PLC0415

    for task in arguments.tasks.split(","):
        result = compare(task, arguments.samples, arguments.pairs, frameworks, W, arguments.unsplit)
        print(json.dumps(result), flush=True)


def compare(task: str, samples: int, pairs: int, frameworks, W, unsplit: bool = False) -> dict:
    """The ratios minidl / Keras of ``pairs`` alternated predict calls on ``samples`` samples of ``task``."""
    import keras  # noqa: PLC0415
    import numpy  # noqa: PLC0415

    import minidl  # noqa: PLC0415

    size = dict(W.SIZES["full"])
    size.update({key: samples for key in size if key.endswith("_samples")})
    x, _ = frameworks._data(task, size)
    shape = frameworks._shape(task, size)
    ours, theirs = frameworks.minidl_models(task, shape), frameworks.keras_models(task, shape)
    generator = numpy.random.default_rng(1)
    weights = []
    for variable in theirs.weights:  # moving statistics away from 0 and 1, so that the fold is exercised
        value = keras.ops.convert_to_numpy(variable)
        if "moving_mean" in variable.path or "beta" in variable.path:
            value = generator.normal(0, 0.3, value.shape).astype(value.dtype)
        elif "moving_variance" in variable.path or "gamma" in variable.path:
            value = generator.uniform(0.5, 2.0, value.shape).astype(value.dtype)
        variable.assign(value)
        weights.append(value)
    ours.set_weights(weights)
    batch = frameworks.PREDICT_BATCH

    def run_ours():
        return ours.predict(x, batch_size=batch, verbose=0)

    def run_theirs():
        return theirs.predict(x, batch_size=batch, verbose=0)

    difference = float(numpy.max(numpy.abs(run_ours() - numpy.asarray(run_theirs()))))
    def run_unsplit():
        before = os.environ.get("MINIDL_BATCH_THREADS")
        os.environ["MINIDL_BATCH_THREADS"] = "0"
        try:
            return run_ours()
        finally:
            if before is None:
                del os.environ["MINIDL_BATCH_THREADS"]
            else:
                os.environ["MINIDL_BATCH_THREADS"] = before

    def seconds(run):
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    if unsplit:
        run_unsplit()
    timed = [(seconds(run_ours), seconds(run_theirs), seconds(run_unsplit) if unsplit else None) for _ in range(pairs)]
    result = {"task": task, "samples": len(x),
              "minidl_over_keras": round(statistics.median(a / b for a, b, _ in timed), 3),
              "minidl_seconds": round(statistics.median(a for a, _, _ in timed), 4),
              "keras_seconds": round(statistics.median(b for _, b, _ in timed), 4),
              "largest_difference": difference, "load": os.getloadavg()[0], "minidl": minidl.__file__}
    if unsplit:
        result["unsplit_over_keras"] = round(statistics.median(c / b for _, b, c in timed), 3)
        result["split_over_unsplit"] = round(statistics.median(a / c for a, _, c in timed), 3)
    return result


if __name__ == "__main__":
    main()
