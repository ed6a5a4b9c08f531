"""The benchmark suite runs (on tiny data) and writes its figures; speed itself is never asserted here."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_suite_runs_on_small_data_and_reports_a_missing_framework(tmp_path):
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--size", "quick", "--vs", "nosuchframework",
         "--tasks", "mlp,cnn,perez,preset_spectrum,layers", "--rounds", "2", "--json", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "nosuchframework: not available" in completed.stdout
    assert "matmul ceiling" in completed.stdout
    report = json.loads(output.read_text())
    assert report["results"]["mlp"]["minidl"]["epoch_seconds"] > 0
    assert report["results"]["cnn"]["minidl"]["peak_rss_mb"] > 0
    assert report["results"]["layers"]["dense_256x1024x1024_gflops"] > 0
    perez = report["results"]["perez"]["minidl"]
    assert len(perez["epoch_seconds_rounds"]) == 2 and perez["epoch_seconds_min"] <= perez["epoch_seconds"]
    assert report["results"]["perez_flop_floor_seconds"] > 0 and "/ floor" in completed.stdout
    assert report["results"]["preset_spectrum"]["minidl"]["predict_per_second"] > 0
    assert "nosuchframework" in report["missing"]
    if "minidl-gpu" in report["missing"]:  # a machine without a usable GPU says why
        assert "minidl on the GPU: not available" in completed.stdout
    else:
        assert report["results"]["mlp"]["minidl-gpu"]["epoch_seconds"] > 0


def test_the_flop_count_of_a_training_epoch_is_three_forward_passes_of_its_products():
    from benchmarks import workloads

    size = {"mlp_samples": 10}
    assert workloads.training_flops("mlp", size) == 3 * 2 * (784 * 100 + 100 * 10) * 10
    # Perez's network on 9 SNPs x 4 haplotypes: convolutions of lengths 8, 7 and 2, a dense input of 125
    perez = {"perez_shape": (9, 4), "perez_samples": 1}
    forward = 2 * (8 * 2 * 4 * 250 + 7 * 2 * 250 * 125 + 2 * 2 * 125 * 125 + 125 * 125 + 125 * 125 + 125 * 7)
    assert workloads.training_flops("perez", perez) == 3 * forward


def test_the_streaming_benchmark_runs_on_a_few_simulations(tmp_path):
    output = tmp_path / "streaming.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.streaming", "--quick", "--work", str(tmp_path / "work"),
         "--json", str(output)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(output.read_text())["summary"]
    assert {"stream 70", "memory 70", "stream 280", "memory 280"} <= set(summary)
    assert summary["stream 280"]["replicates"] == 280 and summary["stream 280"]["peak_rss_mb_max"] > 0
    assert "stream_over_memory_at_smallest" in summary and not (tmp_path / "work").exists()


def test_the_flop_count_of_each_genomics_preset_matches_the_network_genomics_builds():
    # counted from the built network's layers: each kernel weight is one multiply-add per output position
    import numpy

    from benchmarks import workloads
    from genomics.learning import networks as models
    from minidl.layers import Conv1D, Conv2D, Dense

    for task, (kind, shape) in workloads.PRESETS.items():
        model = models.build(kind, shape, workloads.PRESET["classes"])
        forward, current = 0, model.input_shape[1:]
        for layer in model.layers:
            current = layer.compute_output_shape(current)
            if isinstance(layer, (Conv1D, Conv2D, Dense)):
                positions = int(numpy.prod(current[:-1]))  # output positions (1 for a dense layer)
                forward += 2 * positions * layer.kernel.numpy().size
        size = {f"{task}_shape": shape, f"{task}_samples": 7}
        assert workloads.training_flops(task, size) == 3 * forward * 7, task


def test_each_family_network_has_the_same_parameters_in_minidl_keras_and_pytorch():
    import numpy

    from benchmarks import frameworks, workloads

    keras = __import__("pytest").importorskip("keras")
    size = workloads.SIZES["quick"]
    for task, spec in workloads.FAMILY.items():
        mine = frameworks.minidl_models(task, size[f"{task}_shape"])
        theirs = frameworks.keras_models(task, size[f"{task}_shape"])
        assert [w.shape for w in mine.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()], task
        x = workloads.family_data(task, dict(size, **{f"{task}_samples": 3}))[0]
        assert mine.predict(x, verbose=0).shape == (3, spec["classes"]) == theirs.predict(x, verbose=0).shape
        try:
            import torch  # noqa: F401
        except ImportError:
            continue
        count = sum(p.numel() for p in frameworks._torch_family_model(task).parameters())
        trainable = sum(int(numpy.prod(w.shape)) for w in mine.trainable_weights)
        assert count == trainable, task


def test_the_posterior_coverage_benchmark_runs_on_both_designs(tmp_path):
    output = tmp_path / "coverage.json"
    completed = subprocess.run([sys.executable, "-m", "benchmarks.posterior_coverage", "--quick", "--json", str(output),
                                "--held-out-seed", "2,3"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(output.read_text())["designs"]
    assert sorted(report) == ["demo", "demo, held-out seed 3", "perez", "perez, held-out seed 3"]
    for name in ("demo", "perez"):  # one fit, assessed on two independent held-out sets
        first, second = report[name], report[f"{name}, held-out seed 3"]
        assert (first["held_out_seed"], second["held_out_seed"]) == (2, 3)
        assert first["recalibration"] == second["recalibration"] and first["epochs_run"] == second["epochs_run"]
        assert first["coverage_raw"] != second["coverage_raw"]
    assert sorted(report["demo"]["targets"]) == ["N_A", "N_AB", "N_ANC", "N_B", "N_C", "T1", "dT"]
    assert sorted(report["perez"]["targets"]) == ["f1", "f2", "f3", "root"]
    for design in report.values():
        for target, levels in design["coverage"]["by_target"].items():
            assert set(levels) == {"0.5", "0.8", "0.9", "0.95"}
            for level, row in levels.items():
                assert row["deviation"] == row["coverage"] - float(level)
                assert row["binomial_sd"] == (float(level) * (1 - float(level)) / 20) ** 0.5
        assert design["sbc"]["test"]["threshold"] == 0.05 / len(design["targets"])
        assert len(design["predictive"]) == 1 and 0 < design["predictive"][0]["smallest_p_value"] <= 1
    assert "largest deviation" in completed.stdout and "posterior predictive check of held-out replicate 0" in \
        completed.stdout


def test_the_streaming_memory_benchmark_runs_on_the_steppe_design(tmp_path):
    output = tmp_path / "streaming_memory.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.streaming_memory", "--quick", "--json", str(output)], cwd=ROOT,
        capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(output.read_text())["rows"]
    assert [row["replicates"] for row in rows] == [12, 24]
    for row in rows:
        for command in ("train --stream", "calibrate", "evaluate"):
            assert row[command]["code"] == 0 and row[command]["peak_rss_mb"] > 0


def test_the_training_step_ab_prints_the_median_ratio_of_two_settings_and_pytorch():
    __import__("pytest").importorskip("torch")  # the bench extra
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.training_steps_ab", "conv1d_bn", "--switch", "slices", "--pairs", "2",
         "--torch"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    line = completed.stdout.strip()
    assert line.startswith("conv1d_bn slices: A ") and "B / A " in line and "B / PyTorch " in line, line
    assert line.endswith("; 2 pairs")
