"""One minidl process's figures on one workload, for A/B runs of two checkouts: ``python benchmarks/ab.py TREE TASK``.

minidl is imported from checkout ``TREE`` (an older one, main's say, or this one), the workload's data and network
from this file's checkout (``benchmarks.workloads``, ``benchmarks.frameworks``), so two checkouts run the same
workload. Prints one JSON line: seconds of one training epoch over ``--train-samples`` and of one ``predict`` over
``--predict-samples`` (each the median of ``--repeats`` after a warm-up). Run the two checkouts in turn, A B A B,
and compare the figures pair by pair: the machine is shared, and only ratios taken close in time mean anything.

``--pairs N`` measures in one process instead: N pairs of (fused, unfused) calls, ``minidl.models.fusion.ENABLED``
True then False, each call timed alone, and prints the median of the N ratios fused / unfused for an epoch and for
a predict. With fusion off every layer runs on its own, which is the code before the BatchNormalization fold and
the BatchNormalization + ReLU function (and also without the Conv2D + ReLU + MaxPooling2D pair: compare workloads
without that pair only). With ``--switch winograd`` the pairs are (Winograd, im2col) instead: the training
convolutions by ``functional/winograd.py`` and ``winograd_1d.py`` against im2col and products (prediction does
not use them, so only the epoch ratio means something then).
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", help="the checkout whose minidl is measured")
    parser.add_argument("task", help="a workload of benchmarks.workloads.FAMILY")
    parser.add_argument("--train-samples", type=int, default=512)
    parser.add_argument("--predict-samples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=0, help="in-process A/B of fusion on and off, this many pairs")
    parser.add_argument("--switch", choices=("fusion", "winograd"), default="fusion",
                        help="what --pairs turns on and off")
    arguments = parser.parse_args()
    sys.path.insert(0, os.path.abspath(arguments.tree))
    import minidl  # noqa: PLC0415 - from the checkout under test

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in [name for name in sys.modules if name == "benchmarks" or name.startswith("benchmarks.")]:
        del sys.modules[name]
    from benchmarks import frameworks  # noqa: PLC0415 - this checkout's workloads
    from benchmarks import workloads as W  # noqa: PLC0415

    size = dict(W.SIZES["full"], **{f"{arguments.task}_samples": max(arguments.train_samples,
                                                                      arguments.predict_samples)})
    model = frameworks.minidl_models(arguments.task, size[f"{arguments.task}_shape"])
    x, y = W.family_data(arguments.task, size)
    batch = W.FAMILY[arguments.task]["batch_size"]
    train_x, train_y, sample = x[: arguments.train_samples], y[: arguments.train_samples], x[: arguments.predict_samples]
    if arguments.pairs:
        print(json.dumps(fusion_pairs(model, train_x, train_y, sample, batch, arguments.pairs, arguments.task,
                                      arguments.switch)))
        return
    epoch, _ = W.median_seconds(lambda: model.fit(train_x, train_y, batch_size=batch, epochs=1, verbose=0),
                                arguments.repeats)
    predict, _ = W.median_seconds(lambda: model.predict(sample, batch_size=frameworks.PREDICT_BATCH, verbose=0),
                                  arguments.repeats)
    print(json.dumps({"minidl": minidl.__file__, "task": arguments.task, "epoch_seconds": epoch,
                      "predict_seconds": predict}))


def fusion_pairs(model, train_x, train_y, sample, batch: int, pairs: int, task: str, switch: str = "fusion") -> dict:
    """Median over ``pairs`` of (seconds with fusion) / (seconds without), for one epoch and one predict; with
    ``switch="winograd"``, with the Winograd convolutions against without them."""
    import statistics  # noqa: PLC0415
    import time  # noqa: PLC0415

    from minidl.functional import conv  # noqa: PLC0415
    from minidl.models import fusion  # noqa: PLC0415

    winograd = (conv.winograd_applies, getattr(conv, "winograd_1d_applies", None))

    def set_switch(enabled):
        if switch == "fusion":
            fusion.ENABLED = enabled
        else:
            conv.winograd_applies, conv.winograd_1d_applies = winograd if enabled else (lambda *a: False,) * 2

    def seconds(run, enabled):
        set_switch(enabled)
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    def epoch():
        model.fit(train_x, train_y, batch_size=batch, epochs=1, verbose=0)

    def predict():
        model.predict(sample, batch_size=1000, verbose=0)

    result = {"task": task}
    for name, run in (("epoch", epoch), ("predict", predict)):
        seconds(run, True), seconds(run, False)  # warm-up: compiled kernels, buffers
        timed = [(seconds(run, True), seconds(run, False)) for _ in range(pairs)]
        result[f"{name}_ratio_{switch}_on_over_off"] = statistics.median(a / b for a, b in timed)
        result[f"{name}_seconds_pairs"] = timed
    set_switch(True)
    return result


if __name__ == "__main__":
    main()
