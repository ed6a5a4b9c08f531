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
         "--tasks", "mlp,cnn,layers", "--json", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "nosuchframework: not available" in completed.stdout
    assert "matmul ceiling" in completed.stdout
    report = json.loads(output.read_text())
    assert report["results"]["mlp"]["minidl"]["epoch_seconds"] > 0
    assert report["results"]["cnn"]["minidl"]["peak_rss_mb"] > 0
    assert report["results"]["layers"]["dense_256x1024x1024_gflops"] > 0
    assert "nosuchframework" in report["missing"]
    if "minidl-gpu" in report["missing"]:  # a machine without a usable GPU says why
        assert "minidl on the GPU: not available" in completed.stdout
    else:
        assert report["results"]["mlp"]["minidl-gpu"]["epoch_seconds"] > 0
