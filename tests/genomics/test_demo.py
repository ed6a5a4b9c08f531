"""The README's main job: a small version in the default suite, the full size as a slow test; the report of
each demo's run opened in headless Chromium."""

import contextlib
import io
import json
import os
import sys

import pytest

from genomics.cli.main import main
from tests.genomics.test_report import check_in_headless_chromium


def check_demo_folder(folder, printed):
    """What every demo prints and writes; returns its evaluation.json."""
    assert "confusion matrix" in printed and "highest mean" in printed
    assert "calibrated probabilities (T = " in printed
    assert os.path.exists(folder / "run" / "confusion_matrix.png")
    assert os.path.exists(folder / "run" / "reliability.png")
    assert os.path.exists(folder / "example.vcf")
    return json.load(open(folder / "run" / "evaluation.json"))


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """200 replicates per scenario, 10 epochs, the ensemble of 3 (about 30 s), run once for this module:
    (output folder, what it printed, the folders and bundles it read). Every function bound to the name
    ``load_simulations`` in any module (the folder reader, also behind ``ShardReader``) and ``Bundle.load``
    (the only bundle reader, also behind ``bundle_design``) count their calls."""
    from genomics.bundle import Bundle
    from genomics.simulation.run import load_simulations

    reads = {"simulations": [], "bundle": []}

    def counted_folder(directory, *args, **kwargs):
        reads["simulations"].append(directory)
        return load_simulations(directory, *args, **kwargs)

    load_bundle = Bundle.load.__func__

    def counted_bundle(cls, path, *args, **kwargs):
        reads["bundle"].append(path)
        return load_bundle(cls, path, *args, **kwargs)

    folder = tmp_path_factory.mktemp("small_demo") / "demo"
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(printed):
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("genomics") and \
                    getattr(module, "load_simulations", None) is load_simulations:
                monkeypatch.setattr(module, "load_simulations", counted_folder)
        monkeypatch.setattr(Bundle, "load", classmethod(counted_bundle))
        assert main(["demo", "--out", str(folder), "--replicates", "200", "--epochs", "10"]) == 0
    return folder, printed.getvalue(), reads


def test_a_small_genomics_demo_runs_end_to_end_beats_chance_and_reads_its_folder_and_bundle_once(small_demo):
    """Measured 0.833 on 120 test replicates; chance 0.333. The demo reads its simulations and its bundle once."""
    folder, printed, reads = small_demo
    evaluation = check_demo_folder(folder, printed)
    assert evaluation["samples"] == 120
    assert evaluation["accuracy"] > 0.5
    assert reads == {"simulations": [str(folder / "simulations")], "bundle": [str(folder / "run" / "model.npz")]}


def report_in_browser(folder, tmp_path, capsys):
    """``genomics report DEMO`` (the page inside DEMO/run), then opened in headless Chromium."""
    assert main(["report", str(folder), "--out", str(tmp_path / "report.html")]) == 0
    assert "report.html" in capsys.readouterr().out
    profile = tmp_path / "profile"
    profile.mkdir()
    check_in_headless_chromium(str(tmp_path / "report.html"), str(profile))


def test_the_report_of_a_small_demos_run_opens_in_headless_chromium(small_demo, tmp_path, capsys):
    report_in_browser(small_demo[0], tmp_path, capsys)


@pytest.mark.slow
def test_genomics_demo_runs_end_to_end_and_beats_chance_by_far(full_demo):
    """The full demo (about 150 s on 2 cores), run once by the session's ``full_demo`` fixture."""
    evaluation = check_demo_folder(*full_demo)
    assert evaluation["samples"] == 900
    assert evaluation["accuracy"] > 0.88  # measured 0.924; chance is 0.33


@pytest.mark.slow
def test_the_report_of_the_full_demos_run_opens_in_headless_chromium(full_demo, tmp_path, capsys):
    report_in_browser(full_demo[0], tmp_path, capsys)
