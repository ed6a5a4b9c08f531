"""The examples run as documented and reach the accuracy recorded in benchmarks/RESULTS.md."""

import os
import runpy
from pathlib import Path

import pytest

import minidl
from tests.conftest import MNIST_DIR

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.skipif(not os.path.isdir(MNIST_DIR), reason="the real MNIST split is not beside the repository")
def test_the_seeds_mnist_mlp_reaches_95_percent_on_held_out_digits(tmp_path, capsys):
    example = runpy.run_path(str(EXAMPLES / "mnist_mlp.py"))
    result = example["main"](data=MNIST_DIR, epochs=20, out=str(tmp_path), seed=0)
    assert result["test_accuracy"] > 0.95
    printed = capsys.readouterr().out
    assert "Total params: 79,510" in printed and "test accuracy" in printed


def test_the_perez_2022_reproduction_runs_every_step_in_quick_mode(tmp_path, capsys):
    """Simulate the 7 Pilosocereus models, train Perez's network, evaluate, predict the empirical matrix (CLI)."""
    example = runpy.run_path(str(EXAMPLES / "perez2022_pilosocereus" / "run.py"))
    results = example["main"](["--quick", "--out", str(tmp_path), "--workers", "1", "--networks",
                               "perez,exchangeable,perez+permute"])
    run, exchangeable, permuted = results["runs"]
    assert [entry["network"] for entry in results["runs"]] == ["perez", "exchangeable", "perez+permute"]
    assert exchangeable["test_samples"] == permuted["test_samples"] == 7 * 30
    assert run["simulations_per_model"] == 30 and run["test_samples"] == 7 * 30
    assert sum(map(sum, run["confusion_matrix"])) == 210
    assert set(run["empirical_probabilities"]) == {f"model{i}_{name}" for i, name in enumerate(
        ["splitter", "splitter_migration", "lumper", "lumper_migration", "geneland", "bpp", "bpp_migration"], 1)}
    assert 0 <= run["test_ece_calibrated"] <= 1
    assert set(results["comparison"]["accuracy"]) >= {"CNN", "ABC rejection", "ABC mnlogistic", "ABC neuralnet",
                                                      "hybrid ABC neuralnet"}
    assert "Perez et al. 2022" in capsys.readouterr().out


def test_training_on_fresh_pilosocereus_simulations_each_epoch_runs_in_quick_mode(tmp_path, capsys):
    """The on-the-fly learning curve: fresh replicates every epoch, test accuracy at each checkpoint."""
    example = runpy.run_path(str(EXAMPLES / "perez2022_pilosocereus" / "on_the_fly.py"))
    result = example["main"](["--quick", "--out", str(tmp_path), "--workers", "1"])
    assert [row["simulations_per_model"] for row in result["rows"]] == [5, 10]
    assert [row["epochs"] for row in result["rows"]] == [1, 2]
    assert result["test_replicates"] == 35 and all(0 <= row["test_accuracy"] <= 1 for row in result["rows"])
    assert result["fixed_set"][2500] == 0.94  # the fixed-set curve it is printed beside
    assert "on the fly (each seen once)" in capsys.readouterr().out


@pytest.mark.slow
def test_the_perez_2022_reproduction_reaches_perez_accuracy_at_2500_simulations(tmp_path):
    """The learning curve's middle point in full (about 30 minutes on 2 cores): Perez reported 0.892 there."""
    example = runpy.run_path(str(EXAMPLES / "perez2022_pilosocereus" / "run.py"))
    results = example["main"](["--curve", "2500", "--out", str(tmp_path)])
    (run,) = results["runs"]
    assert run["test_samples"] == 7000
    assert run["test_accuracy"] > 0.85


@pytest.mark.slow
def test_the_exchangeable_network_beats_perez_published_accuracy_at_2500_simulations(tmp_path):
    """The efficiency study's middle point (about 40 minutes on 2 cores): Perez reported 0.892 there."""
    example = runpy.run_path(str(EXAMPLES / "perez2022_pilosocereus" / "run.py"))
    results = example["main"](["--curve", "2500", "--networks", "exchangeable", "--no-compare", "--out", str(tmp_path)])
    (run,) = results["runs"]
    assert run["test_samples"] == 7000
    assert run["test_accuracy"] > 0.892


def test_papers_keras_code_runs_with_only_the_imports_changed(tmp_path, capsys):
    """Perez et al.'s create_cnn and a Flagel-style two-branch network train on msprime data and save .keras files."""
    example = runpy.run_path(str(EXAMPLES / "keras_code" / "run.py"))
    results = example["main"](["--quick", "--out", str(tmp_path)])
    assert set(results["accuracy"]) == {"perez_create_cnn", "flagel_two_branch"}
    assert all(0 <= accuracy <= 1 for accuracy in results["accuracy"].values())
    for name in ("perez_create_cnn", "flagel_two_branch"):
        loaded = minidl.load_model(tmp_path / f"{name}.keras")
        assert loaded.count_params() > 0
    printed = capsys.readouterr().out
    assert "concatenate (Concatenate)" in printed and "test accuracy" in printed
