"""The README's main job: a small version in the default suite, the full size as a slow test."""

import json
import os

import pytest

from genomics.cli.main import main


def run_demo(tmp_path, capsys, *options):
    assert main(["demo", "--out", str(tmp_path / "demo"), *options]) == 0
    printed = capsys.readouterr().out
    assert "confusion matrix" in printed and "highest mean" in printed
    assert "calibrated probabilities (T = " in printed
    assert os.path.exists(tmp_path / "demo" / "run" / "confusion_matrix.png")
    assert os.path.exists(tmp_path / "demo" / "run" / "reliability.png")
    assert os.path.exists(tmp_path / "demo" / "example.vcf")
    return json.load(open(tmp_path / "demo" / "run" / "evaluation.json"))


def test_a_small_genomics_demo_runs_end_to_end_beats_chance_and_reads_its_folder_and_bundle_once(
        tmp_path, capsys, monkeypatch):
    """200 replicates per scenario, 10 epochs, the ensemble of 3 (about 30 s): measured 0.833 on 120 test
    replicates; chance 0.333. Every function bound to the name ``load_simulations`` in any module (the folder
    reader, also behind ``ShardReader``) and ``Bundle.load`` (the only bundle reader, also behind
    ``bundle_design``) count their calls: the demo makes one of each."""
    import sys

    from genomics.bundle import Bundle
    from genomics.simulation.run import load_simulations

    reads = {"simulations": [], "bundle": []}

    def counted_folder(directory, *args, **kwargs):
        reads["simulations"].append(directory)
        return load_simulations(directory, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("genomics") and \
                getattr(module, "load_simulations", None) is load_simulations:
            monkeypatch.setattr(module, "load_simulations", counted_folder)
    load_bundle = Bundle.load.__func__

    def counted_bundle(cls, path, *args, **kwargs):
        reads["bundle"].append(path)
        return load_bundle(cls, path, *args, **kwargs)

    monkeypatch.setattr(Bundle, "load", classmethod(counted_bundle))
    evaluation = run_demo(tmp_path, capsys, "--replicates", "200", "--epochs", "10")
    assert evaluation["samples"] == 120
    assert evaluation["accuracy"] > 0.5
    out = tmp_path / "demo"
    assert reads == {"simulations": [str(out / "simulations")], "bundle": [str(out / "run" / "model.npz")]}


@pytest.mark.slow
def test_genomics_demo_runs_end_to_end_and_beats_chance_by_far(tmp_path, capsys):
    """The full demo (about 150 s on 2 cores)."""
    evaluation = run_demo(tmp_path, capsys)
    assert evaluation["samples"] == 900
    assert evaluation["accuracy"] > 0.88  # measured 0.924; chance is 0.33
