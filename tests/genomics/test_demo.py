"""The README's main job, at full size (slow: about 2-3 minutes on 2 cores)."""

import json
import os

import pytest

from genomics.cli import main


@pytest.mark.slow
def test_genomics_demo_runs_end_to_end_and_beats_chance_by_far(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    printed = capsys.readouterr().out
    assert "confusion matrix" in printed and "most probable scenario" in printed
    evaluation = json.load(open(tmp_path / "demo" / "run" / "evaluation.json"))
    assert evaluation["samples"] == 900
    assert evaluation["accuracy"] > 0.75  # measured 0.80 and 0.83; chance is 0.33
    assert os.path.exists(tmp_path / "demo" / "run" / "confusion_matrix.png")
