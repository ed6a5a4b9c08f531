"""Parameter estimation: targets scaled and back, conformal intervals that cover, and a CNN that recovers N."""

import json
import os

import numpy as np
import pytest

from genomics.learning import regression
from genomics.cli.main import main


def test_targets_are_logged_only_when_positive_and_come_back_unchanged():
    generator = np.random.default_rng(0)
    values = np.column_stack([generator.uniform(1e3, 1e5, 50), generator.normal(0, 1, 50)])
    scaling = regression.TargetScaling.fit(["N", "shift"], values)
    assert scaling.log == [True, False]
    scaled = scaling.to_network(values)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(axis=0), 1)
    np.testing.assert_allclose(scaling.from_network(scaled), values)


@pytest.mark.parametrize("level", [0.5, 0.9])
def test_conformal_intervals_cover_new_draws_at_their_level(level):
    generator = np.random.default_rng(1)
    truth = generator.normal(size=(20_000, 1))
    predicted = truth + generator.standard_t(3, size=(20_000, 1))  # heavy-tailed errors: no normality assumed
    widths = regression.conformal_half_widths(truth[:10_000], predicted[:10_000], (level,))
    fresh_errors = np.abs(truth[10_000:] - predicted[10_000:])
    assert np.mean(fresh_errors <= widths[f"{level:g}"][0]) == pytest.approx(level, abs=0.02)
    # Fewer calibration replicates than the level needs: an infinite interval, never a falsely narrow one.
    assert regression.conformal_half_widths(truth[:3], predicted[:3], (0.9,))["0.9"] == [np.inf]


def test_scores_of_the_prior_mean_and_of_a_perfect_estimate():
    scaling = regression.TargetScaling(["a"], [False], [0.0], [1.0])
    truth = np.random.default_rng(2).normal(size=(100, 1))
    assert regression.scores(truth, np.zeros_like(truth), scaling, None)["a"]["r2"] == pytest.approx(0.0)
    perfect = regression.scores(truth, truth, scaling, {"0.9": [0.0]})["a"]
    assert perfect["r2"] == 1.0 and perfect["rmse"] == 0.0 and perfect["coverage_0.9"] == 1.0


def test_a_cnn_recovers_the_population_size_that_sets_the_number_of_snps(tmp_path, capsys):
    """Under the constant-size model, the number and spacing of SNPs in a window grow with theta = 4 N mu L."""
    sims, fresh, run = str(tmp_path / "sims"), str(tmp_path / "fresh"), str(tmp_path / "run")
    assert main(["simulate", "constant", "--replicates", "300", "--out", sims, "--workers", "1"]) == 0
    assert main(["simulate", "constant", "--replicates", "60", "--out", fresh, "--simulation-seed", "9",
                 "--workers", "1"]) == 0
    assert main(["train", sims, "--out", run, "--task", "regression", "--targets", "N", "--epochs", "15",
                 "--n-snps", "64", "--patience", "15"]) == 0
    assert "coverage 90%" in capsys.readouterr().out
    assert main(["evaluate", os.path.join(run, "model.npz"), fresh, "--out", str(tmp_path / "e.json")]) == 0
    scores = json.load(open(tmp_path / "e.json"))["scores"]["N"]
    assert scores["r2"] > 0.8 and scores["rmse"] < scores["prior_mean_rmse"] / 2  # measured 0.94
    assert scores["coverage_0.9"] >= 0.75
    assert os.path.exists(os.path.join(run, "estimates.png"))
    assert main(["train", sims, "--out", run, "--task", "regression", "--targets", "T1"]) == 2
    assert "targets ['T1'] are not parameters of these simulations; their parameters: N" in capsys.readouterr().err
    assert main(["train", sims, "--out", run, "--task", "regression"]) == 2
    assert "task regression needs targets" in capsys.readouterr().err


def test_the_estimates_picture_is_in_natural_units_with_each_estimates_interval(tmp_path, monkeypatch):
    from minidl import plot
    from genomics.learning.regression import TargetScaling
    from genomics.pipeline.evaluate import estimates_picture

    natural = np.array([[1e3, 0.2], [5e4, 0.5], [2e5, 0.9]])
    scaling = TargetScaling.fit(["T", "f"], natural)
    scaled = scaling.to_network(natural)
    predicted = scaled + 0.1
    drawn = {}
    monkeypatch.setattr(plot, "predicted_against_true",
                        lambda *args, **kwargs: drawn.update(args=args, kwargs=kwargs) or "drawn")
    estimates_picture(scaling, scaled, predicted, {"0.5": [0.2, 0.2], "0.9": [0.5, 0.5]},
                                   str(tmp_path / "estimates.png"))
    true, estimated, names, _, low, high, log, label = drawn["args"]
    np.testing.assert_allclose(true, natural)  # the scenario's units, not z-scored logs
    np.testing.assert_allclose(estimated, scaling.from_network(predicted))
    assert np.all(low < estimated) and np.all(estimated < high) and "90%" in label
    assert names == ["T", "f"] and log == scaling.log


def test_the_estimates_picture_is_drawn(tmp_path):
    pytest.importorskip("matplotlib")
    from genomics.learning.regression import TargetScaling
    from genomics.pipeline.evaluate import estimates_picture

    rng = np.random.default_rng(0)
    natural = np.column_stack([10 ** rng.uniform(2, 5, 60), rng.uniform(0.1, 0.9, 60)])
    scaling = TargetScaling.fit(["T", "f"], natural)
    scaled = scaling.to_network(natural)
    path = estimates_picture(scaling, scaled, scaled + rng.normal(0, 0.2, scaled.shape),
                                          {"0.9": [0.4, 0.4]}, str(tmp_path / "estimates.png"))
    assert (tmp_path / "estimates.png").stat().st_size > 0 and path.endswith("estimates.png")
