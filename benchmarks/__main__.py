"""``python -m benchmarks [--vs keras,torch] [--tasks mlp,cnn,perez,perez_small,preset_cnn1d,preset_cnn2d,preset_spectrum,layers,mnist] [--rounds 2] [--size full|quick] [--gpu auto|off] [--json FILE]``

Prints a table of medians and the ratios minidl / Keras and minidl / PyTorch
measured in this run, checks them against the targets, and writes every
figure to a JSON file. A framework that is not installed is reported and
skipped (install them with ``pip install -e ".[bench]"``). Where cupy and a
CUDA device are present, the MLP and CNN tables gain GPU rows (minidl on
cupy, PyTorch on CUDA); where not, the reason is printed and recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from benchmarks import workloads as W

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MNIST = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "mnist"))
TARGETS = {"epoch_vs_keras": 1.0, "epoch_vs_torch": 1.5, "dense_fraction_of_ceiling": 0.70, "mnist_points": 0.5}


def child(framework: str, task: str, size: str, *extra: str) -> dict:
    """Run one workload in a fresh process; its JSON result, or {"error": ...}."""
    command = [sys.executable, "-m", "benchmarks.run", framework, task, size, *extra]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def available(framework: str) -> str | None:
    """None if the framework imports, else why not."""
    result = child(framework, "import", "quick")
    return result.get("error")


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def over_rounds(rounds: list[dict]) -> dict:
    """One framework's figures over the rounds: the round of median s/epoch, with every round's figures and the
    minimum; the first error when no round ran."""
    good = sorted((r for r in rounds if "error" not in r), key=lambda r: r["epoch_seconds"])
    if not good:
        return rounds[0]
    middle = dict(good[(len(good) - 1) // 2])
    middle.update({"epoch_seconds": statistics.median(r["epoch_seconds"] for r in good),
                   "epoch_seconds_min": good[0]["epoch_seconds"],
                   "epoch_seconds_rounds": [r["epoch_seconds"] for r in good],
                   "predict_per_second_rounds": [r["predict_per_second"] for r in good],
                   "peak_rss_mb_rounds": [r["peak_rss_mb"] for r in good]})
    return middle


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--vs", default="keras,torch", help="comparison frameworks, comma-separated ('' for none)")
    parser.add_argument("--tasks", default="mlp,cnn,perez,perez_small,preset_cnn1d,preset_cnn2d,preset_spectrum,"
                                           + ",".join(W.FAMILY) + ",layers,mnist",
                        help="any of mlp, cnn, perez (Perez et al.'s Conv1D network on 14k x 195 SNPs x 64 "
                             "haplotypes), perez_small (the same on 15k x 108 x 6), preset_cnn1d, preset_cnn2d (genomics "
                             "train's presets on 10k images of 60 haplotypes x 128 SNPs x 2 channels), "
                             "preset_spectrum (cnn2d on 10k joint spectra of 21 x 21 x 21, the demo's), layers, "
                             "mnist; the family of networks users build: cifar_bn ([Conv2D 3x3 same, "
                             "BatchNormalization, ReLU] x 2, max pooling, twice, on 32x32x3), resnet_block (a "
                             "residual block with Add), conv1d_bn, pggan (pg-gan's discriminator), mlp_bn")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of the training tasks, the frameworks interleaved (A B C A B C)")
    parser.add_argument("--size", choices=sorted(W.SIZES), default="full", help="quick: small data, to check the suite")
    parser.add_argument("--mnist", default=DEFAULT_MNIST, help="MNIST directory for the real-data task")
    parser.add_argument("--epochs", type=int, default=20, help="epochs of the MNIST task")
    parser.add_argument("--json", default=os.path.join(ROOT, "benchmarks", "results.json"), help="where to write figures")
    parser.add_argument("--gpu", choices=["auto", "off"], default="auto", help="auto: GPU rows where a GPU is usable")
    arguments = parser.parse_args()
    tasks = [t for t in arguments.tasks.split(",") if t]
    others = [f for f in arguments.vs.split(",") if f]
    report: dict = {"size": arguments.size, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                       "platform": platform.platform()},
                    "started": time.strftime("%Y-%m-%d %H:%M:%S"), "missing": {}, "results": {}}
    for framework in others:
        why = available(framework)
        if why:
            report["missing"][framework] = why
            print(f"{framework}: not available ({why}); skipped")
    others = [f for f in others if f not in report["missing"]]
    frameworks = ["minidl", *others]
    on_gpu = []  # frameworks that train on the GPU in this run
    if arguments.gpu == "auto" and ({"mlp", "cnn"} & set(tasks)):
        for framework in ["minidl", *[f for f in others if f == "torch"]]:
            why = child(framework, "gpu", arguments.size).get("error")
            if why:
                report["missing"][f"{framework}-gpu"] = why
                print(f"{framework} on the GPU: not available ({why}); skipped")
            else:
                on_gpu.append(framework)
    ceiling = W.matmul_ceiling()
    report["matmul_ceiling_gflops"] = ceiling
    print(f"numpy float32 matmul ceiling: {ceiling['1024']:.1f} GFLOP/s at n=1024, {ceiling['2048']:.1f} at n=2048")

    for task in W.TRAINING_TASKS:
        if task not in tasks:
            continue
        runs: dict = {framework: [] for framework in frameworks}
        for _ in range(max(1, arguments.rounds)):  # A B C A B C: a slow spell of the machine hits every framework
            for framework in frameworks:
                runs[framework].append(child(framework, task, arguments.size))
        results = {framework: over_rounds(rounds) for framework, rounds in runs.items()}
        for framework in on_gpu if task in ("mlp", "cnn") else []:
            results[f"{framework}-gpu"] = child(framework, task, arguments.size, "--device", "gpu")
        floor = W.training_flops(task, W.SIZES[arguments.size]) / (ceiling["best"] * 1e9)
        report["results"][task] = results
        report["results"][task + "_flop_floor_seconds"] = floor
        print(f"\n{task.upper()}: seconds per epoch (each round: median of 3 after a warm-up; median and min over "
              f"{arguments.rounds} interleaved rounds), predictions per second; FLOP floor {floor:.2f} s/epoch")
        print(f"{'framework':<12}{'s/epoch':>10}{'min':>8}{'predict/s':>12}{'peak MB':>10}{'minidl / it':>14}"
              f"{'/ floor':>9}{'predict minidl / it':>21}")
        for framework, result in results.items():
            if "error" in result:
                print(f"{framework:<12} failed: {result['error']}")
                continue
            same_device = "minidl-gpu" if framework.endswith("-gpu") else "minidl"
            mine = results.get(same_device, {}).get("epoch_seconds")
            mine_per_second = results.get(same_device, {}).get("predict_per_second")  # time ratio = rate ratio inverted
            print(f"{framework:<12}{result['epoch_seconds']:>10.3f}{result.get('epoch_seconds_min', float('nan')):>8.3f}"
                  f"{result['predict_per_second']:>12.0f}{result['peak_rss_mb']:>10.0f}"
                  f"{fmt(ratio(mine, result['epoch_seconds'])):>14}{result['epoch_seconds'] / floor:>9.2f}"
                  f"{fmt(ratio(result['predict_per_second'], mine_per_second)):>21}")

    if "layers" in tasks:
        layers = child("minidl", "layers", arguments.size)
        report["results"]["layers"] = layers
        if "error" not in layers:
            fraction = layers["dense_256x1024x1024_gflops"] / ceiling["best"]
            layers["dense_fraction_of_ceiling"] = fraction
            print(f"\nLAYERS (minidl, forward + backward): Dense 256x1024->1024 "
                  f"{layers['dense_256x1024x1024_gflops']:.1f} GFLOP/s = {fraction:.0%} of the ceiling; "
                  f"Conv2D 3x3 32->64 {layers['conv2d_3x3_32to64_gflops']:.1f} GFLOP/s; "
                  f"MaxPooling2D {layers['maxpool2d_forward_backward_melements_per_s']:.1f} M elements/s; "
                  f"first call of every {layers['kernels']} kernel {layers['kernels_first_call_seconds']:.2f} s")

    if "mnist" in tasks:
        if not os.path.isdir(arguments.mnist):
            print(f"\nMNIST: no data at {arguments.mnist}; skipped")
        else:
            weights = os.path.join(ROOT, "benchmarks", ".keras_initial_weights.npz")
            mnist = {}
            if "keras" in others:
                mnist["keras"] = child("keras", "mnist", arguments.size, "--data", arguments.mnist,
                                       "--epochs", str(arguments.epochs), "--weights", weights)
            shared = ("--weights", weights) if "keras" in mnist and "error" not in mnist["keras"] else ()
            mnist["minidl"] = child("minidl", "mnist", arguments.size, "--data", arguments.mnist,
                                    "--epochs", str(arguments.epochs), *shared)
            report["results"]["mnist"] = mnist
            print(f"\nMNIST (real, first 8,000 train / last 2,000 test, {arguments.epochs} epochs"
                  + (", same initial weights)" if shared else ")"))
            for framework, result in mnist.items():
                print(f"{framework:<10}" + (f"test accuracy {result['test_accuracy']:.4f}" if "error" not in result
                                             else f"failed: {result['error']}"))
            if os.path.exists(weights):
                os.remove(weights)

    with open(arguments.json, "w") as handle:
        json.dump(report, handle, indent=1)
    print(f"\nall figures: {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
