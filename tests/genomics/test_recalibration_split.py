"""The recalibration split: a share of the simulations held out of training AND of early stopping, on which alone
the posterior's recalibration map is fitted (early stopping picks the weights on the validation split, where the
raw posterior looks better calibrated than on fresh simulations, so a map fitted there under-corrects)."""

import numpy as np
import pytest

import minidl
from genomics.learning.parameter_space import ParameterSpace
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings, PosteriorTargetError
from genomics.learning.quantile_recalibration import (RECALIBRATION_FEWEST, RECALIBRATION_SHARE, fit_recalibration,
                                                      recalibration_count, split_sentence)
from genomics.scenario.priors import Uniform
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import simulate

TINY = PosteriorSettings(components=2, hidden=8, epochs=3, patience=2, batch_size=100)


def gaussian_problem(simulations, seed=3):
    """theta ~ Uniform(-3, 3); windows (simulations, 3, 2): theta plus noise, and pure noise."""
    generator = np.random.default_rng(seed)
    theta = generator.uniform(-3, 3, simulations)
    windows = np.stack([theta[:, None] + generator.standard_normal((simulations, 3)),
                        generator.standard_normal((simulations, 3))], axis=-1)
    return windows, theta[:, None], ParameterSpace.from_priors({"theta": Uniform(-3.0, 3.0)}, ["theta"])


def test_the_map_is_fitted_on_simulations_neither_trained_on_nor_used_for_early_stopping(tmp_path):
    windows, theta, space = gaussian_problem(500)
    settings = PosteriorSettings(**{**TINY.__dict__, "validation_fraction": 0.2, "recalibration_fraction": 0.3,
                                    "recalibration": "probit-affine"})
    estimator = PosteriorEstimator.fit(windows, theta, space, ["x", "noise"], settings)
    train, validation, held = (set(estimator.split_indices[name].tolist())
                               for name in ("train", "validation", "recalibration"))
    assert (len(train), len(validation), len(held)) == (250, 100, 150)
    assert not train & validation and not train & held and not validation & held
    assert train | validation | held == set(range(500))
    assert estimator.recalibration_split == {"split": "recalibration", "simulations": 150}
    # the map is the one fitted here on exactly the held-out simulations
    held_out = estimator.split_indices["recalibration"]
    np.testing.assert_array_equal(estimator.recalibration_data[0], windows[held_out])
    raw = estimator.sample_windows(windows[held_out], draws=999, seed=settings.seed, recalibrated=False)
    assert estimator.recalibration == fit_recalibration(raw, theta[held_out], ["theta"], "probit-affine",
                                                        settings.seed)
    loaded = PosteriorEstimator.load(estimator.save(str(tmp_path / "posterior.npz")))
    assert loaded.recalibration_split == estimator.recalibration_split
    assert "fitted on 150 simulations held out of training and of early stopping" in \
        split_sentence(loaded.recalibration_split)


def test_the_default_holds_out_three_tenths_only_where_that_leaves_the_map_2000_simulations():
    assert (RECALIBRATION_SHARE, RECALIBRATION_FEWEST) == (0.3, 2000)
    assert recalibration_count(None, 10_000) == 3000
    assert recalibration_count(None, 6_700) == 2010
    assert recalibration_count(None, 6_660) == 0  # 3/10 is 1,998: the validation split is used
    assert recalibration_count(0.0, 50_000) == 0
    assert recalibration_count(0.25, 100) == 25
    windows, theta, space = gaussian_problem(300)
    estimator = PosteriorEstimator.fit(windows, theta, space, ["x", "noise"], TINY)
    assert len(estimator.split_indices["recalibration"]) == 0 and len(estimator.split_indices["validation"]) == 30
    assert estimator.recalibration_split == {"split": "validation", "simulations": 30}
    assert estimator.recalibration.simulations == 30
    said = split_sentence(estimator.recalibration_split)
    assert said.startswith("the map was fitted on the 30 validation simulations, which early stopping also used")
    assert "30% of the simulations would be fewer than 2000" in said


def test_a_file_written_before_the_recalibration_split_still_loads(tmp_path):
    windows, theta, space = gaussian_problem(300)
    estimator = PosteriorEstimator.fit(windows, theta, space, ["x", "noise"], TINY)
    metadata = estimator.metadata()
    del metadata["recalibration_split"]  # what every file of version 1 held until now
    path = str(tmp_path / "old.npz")
    estimator.model.save(path, metadata=metadata, include_optimizer=False)
    loaded = PosteriorEstimator.load(path)
    assert loaded.recalibration_split is None and loaded.recalibration == estimator.recalibration
    assert split_sentence(None) == ("the map was fitted on the validation split (a file written before the "
                                    "recalibration split)")
    assert minidl.saving.read_metadata(path).get("recalibration_split", "absent") == "absent"


@pytest.mark.parametrize("share", [-0.1, 0.5, 0.45])
def test_a_recalibration_share_that_leaves_too_little_to_train_on_is_refused(share):
    settings = PosteriorSettings(validation_fraction=0.2, recalibration_fraction=share)
    with pytest.raises(PosteriorTargetError, match=f"recalibration_fraction must lie in \\[0, 0.5\\) and leave 0.4 "
                                                   f"of the simulations for training with the validation share, got "
                                                   f"{share}"):
        settings.check()


SHRINK = {  # as tests/genomics/test_cli_wiring.py's, two loci
    "name": "shrink", "priors": {"N": {"log_uniform": [500, 20000]}, "T": {"log_uniform": [50, 2000]}, "mu": 1e-7},
    "design": {"populations": ["POP"], "samples": [6], "ploidy": 2,
               "loci": [{"name": "w", "count": 2, "sequence_length": 3000, "mutation_rate": 1e-7,
                         "recombination_rate": 1e-8}]},
    "demes": [{"name": "POP", "initial_size": "N"}],
    "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N"}],
}


def test_genomics_posterior_passes_the_share_on_and_says_where_the_map_was_fitted(tmp_path, capsys):
    from genomics.cli import commands
    from genomics.cli.main import main
    from genomics.cli.parser import parser

    chosen = parser().parse_args(["posterior", "sims", "--out", "out", "--recalibration-fraction", "0.25"])
    assert commands._posterior_settings(chosen).recalibration_fraction == 0.25
    default = parser().parse_args(["posterior", "sims", "--out", "out"])
    assert commands._posterior_settings(default).recalibration_fraction is None
    with pytest.raises(SystemExit):
        parser().parse_args(["posterior", "sims", "--out", "out", "--recalibration-fraction", "0.7"])
    assert "--recalibration-fraction: expected a share in [0, 0.5), got '0.7'" in capsys.readouterr().err
    folder = str(tmp_path / "sims")
    simulate([Scenario(SHRINK)], 250, folder, workers=1, progress=False)
    common = ["--targets", "N", "--components", "2", "--hidden", "8", "--epochs", "3", "--patience", "2",
              "--held-out", "0.1", "--quiet"]
    assert main(["posterior", folder, "--out", str(tmp_path / "a"), *common]) == 0
    assert ("the map was fitted on the 22 validation simulations, which early stopping also used: no recalibration "
            "split") in capsys.readouterr().out  # 225 kept: 3/10 is far below 2,000
    assert main(["posterior", folder, "--out", str(tmp_path / "b"), *common, "--recalibration-fraction", "0.2"]) == 0
    assert ("the map was fitted on 45 simulations held out of training and of early stopping"
            in capsys.readouterr().out)
    saved = PosteriorEstimator.load(str(tmp_path / "b" / "posterior.npz"))
    assert saved.recalibration_split == {"split": "recalibration", "simulations": 45}
