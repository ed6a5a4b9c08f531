"""Posterior predictive checks: draws come from the data set's posterior, a data set of the scenario is
reproduced, and one of a clearly different scenario is flagged."""

import copy
import os
import types

import numpy as np
import pytest

from genomics.baselines import posterior_predictive
from genomics.learning.parameter_space import ParameterSpace
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings, fit_posterior
from genomics.learning.posterior_features import PosteriorDataError
from genomics.scenario.priors import Uniform
from genomics.scenario.scenario import Scenario
from genomics.simulation.replicate import simulate_replicate
from genomics.simulation.run import simulate

WINDOWS = 5


def stand_in_windows(theta, generator):
    """Each of 5 windows gives x_w ~ N(theta, 1) and its square: windows (W, 2)."""
    x = theta + generator.standard_normal(WINDOWS)
    return np.stack([x, x**2], axis=1)


@pytest.fixture(scope="module")
def stand_in_posterior():
    """theta ~ Uniform(-3, 3): the exact posterior given 5 windows is about N(mean x, 1/5) inside [-3, 3]."""
    generator = np.random.default_rng(0)
    theta = generator.uniform(-3, 3, 2000)
    windows = np.stack([stand_in_windows(t, generator) for t in theta])
    space = ParameterSpace.from_priors({"theta": Uniform(-3.0, 3.0)}, ["theta"])
    return PosteriorEstimator.fit(windows, theta[:, None], space, ["x", "x_squared"], PosteriorSettings(
        components=3, hidden=16, epochs=60, patience=5, batch_size=500, learning_rate=1e-2))


STAND_IN_SCENARIO = types.SimpleNamespace(priors={"theta": Uniform(-3.0, 3.0)})


def test_predictive_draws_come_from_the_posterior_not_the_prior(stand_in_posterior):
    asked = []

    def stand_in(parameters, seed):
        asked.append(parameters["theta"])
        return stand_in_windows(parameters["theta"], np.random.default_rng(seed))

    observed = np.stack([[x, x**2] for x in (2.4, 2.6, 2.5, 2.3, 2.7)])
    result = posterior_predictive.check_data_set(stand_in_posterior, STAND_IN_SCENARIO, observed, replicates=200,
                                                 seed=4, simulate=stand_in)
    # the very draws of the posterior, one replicate each; near 2.5 with sd about 1/sqrt(5), not the prior's 0 and 1.73
    np.testing.assert_array_equal(asked, stand_in_posterior.sample(observed, draws=200, seed=4)[:, 0])
    assert abs(np.mean(asked) - 2.5) < 0.15 and 0.3 < np.std(asked) < 0.6
    assert result["drawn_from_prior"] == [] and result["replicates"] == 200
    assert result["reproduced"] and result["flagged"] == []


def test_windows_the_stand_in_model_cannot_make_are_flagged(stand_in_posterior):
    def stand_in(parameters, seed):
        return stand_in_windows(parameters["theta"], np.random.default_rng(seed))

    # mean 0 as the model allows, but a spread of 5 instead of 1: the squares say so
    observed = np.stack([[x, x**2] for x in (-5.0, 5.0, -5.0, 5.0, 0.0)])
    result = posterior_predictive.check_data_set(stand_in_posterior, STAND_IN_SCENARIO, observed, replicates=100,
                                                 seed=1, simulate=stand_in)
    assert "x_squared" in result["flagged"] and "x" not in result["flagged"]
    assert not result["reproduced"] and result["predictive_distance"]["tail_share"] < 0.01
    by_name = {row["statistic"]: row for row in result["statistics"]}
    assert by_name["x_squared"]["quantile"] == 1.0 and by_name["x_squared"]["p_value"] == pytest.approx(2 / 101)


def test_p_values_count_the_observed_set_among_the_replicates():
    predicted = np.array([[1.0], [2.0], [3.0], [4.0]])
    quantile, p_value = posterior_predictive.predictive_p_values(predicted, np.array([2.0]))
    # 2 of 4 at or below, 3 at or above: p = 2 * (2 + 1) / 5, capped at 1; the quantile counts the tie half
    assert quantile[0] == pytest.approx(1.5 / 4) and p_value[0] == 1.0
    quantile, p_value = posterior_predictive.predictive_p_values(predicted, np.array([0.0]))
    assert quantile[0] == 0.0 and p_value[0] == pytest.approx(2 / 5)


def test_undefined_statistics_are_left_out_of_the_counts_and_never_flagged():
    predicted = np.array([[1.0, np.nan], [2.0, np.nan], [np.nan, np.nan], [4.0, np.nan]])
    quantile, p_value = posterior_predictive.predictive_p_values(predicted, np.array([5.0, 1.0]))
    assert quantile[0] == 1.0 and p_value[0] == pytest.approx(2 / 4)  # 3 defined replicates, all below
    assert np.isnan(quantile[1]) and np.isnan(p_value[1])
    quantile, p_value = posterior_predictive.predictive_p_values(predicted[:, :1], np.array([np.nan]))
    assert np.isnan(quantile[0]) and np.isnan(p_value[0])


def test_too_few_replicates_and_foreign_statistics_are_refused(stand_in_posterior):
    with pytest.raises(PosteriorDataError, match="at least 20 replicates, got 5"):
        posterior_predictive.check_data_set(stand_in_posterior, STAND_IN_SCENARIO, np.zeros((5, 2)), replicates=5)
    with pytest.raises(PosteriorDataError, match="the data give 3 statistics per window, but the posterior was "
                                                 "trained on 2"):
        posterior_predictive.check_data_set(stand_in_posterior, STAND_IN_SCENARIO, np.zeros((5, 3)))


# ---------------------------------------------------------------- a genomics scenario, simulated with msprime
SCENARIO = {
    "name": "shrink", "description": "size N * f today, N before T generations ago",
    "priors": {"N": {"log_uniform": [500, 20000]}, "T": {"log_uniform": [50, 2000]}, "f": {"uniform": [0.05, 1.0]},
               "mu": 1e-7},
    "design": {"populations": ["POP"], "samples": [6], "ploidy": 2,
               "loci": [{"name": "w", "count": 4, "sequence_length": 5000, "mutation_rate": "mu",
                         "recombination_rate": 1e-8}]},
    "demes": [{"name": "POP", "initial_size": "N * f"}],
    "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N"}],
}


@pytest.fixture(scope="module")
def shrink_posterior(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("predictive") / "sims")
    simulate([Scenario(SCENARIO)], 200, folder, workers=1, progress=False)
    return fit_posterior(folder, settings=PosteriorSettings(components=2, hidden=16, epochs=40, patience=5,
                                                             batch_size=64))


def test_a_data_set_of_the_scenario_is_reproduced_and_one_of_another_is_flagged(shrink_posterior, tmp_path):
    scenario = Scenario(SCENARIO)
    same = simulate_replicate(scenario, 987654, {"N": 5000.0, "T": 300.0, "f": 0.4, "mu": 1e-7})["replicate"]
    other_spec = copy.deepcopy(SCENARIO)  # ten times the mutation rate and a larger population: far more diversity
    other_spec["priors"].update({"N": 60000, "T": 100, "f": 1.0, "mu": 1e-6})
    other = simulate_replicate(Scenario(other_spec), 42, None)["replicate"]
    reference = shrink_posterior.reference_statistics
    assert reference.shape == (180, 12)  # the training replicates (10% held out), one row of 12 statistics each
    passed = posterior_predictive.check_data_set(shrink_posterior, scenario, same, replicates=60, seed=2,
                                                 reference=reference)
    failed = posterior_predictive.check_data_set(shrink_posterior, scenario, other, replicates=60, seed=2,
                                                 reference=reference)
    assert passed["reproduced"] and np.nanmin([row["p_value"] for row in passed["statistics"]]) > 0.05
    assert passed["prior_predictive_distance"]["tail_share"] > 0.05
    assert not failed["reproduced"] and {"S", "pi", "theta_w"} <= set(failed["flagged"])
    assert failed["prior_predictive_distance"]["tail_share"] < 0.01
    rows = posterior_predictive.rows([passed, failed], ["same", "other"])
    assert len(rows) == 24 and rows[0]["data_set"] == "same" and rows[0]["statistic"] == "S"
    assert os.path.exists(posterior_predictive.plot_predictive(failed, str(tmp_path / "predictive.png")))
    assert "predicted" not in posterior_predictive.summary(failed)


def test_priors_left_out_of_the_targets_are_drawn_from_their_priors_and_named(shrink_posterior):
    generator = np.random.default_rng(0)
    priors = Scenario(SCENARIO).priors
    draws, from_prior = posterior_predictive.parameter_draws(np.array([[1000.0, 20.0], [2000.0, 30.0]]),
                                                             ["N", "T * f"], priors, generator)
    assert from_prior == ["T", "f"] and [d["N"] for d in draws] == [1000.0, 2000.0]
    assert all(d["mu"] == 1e-7 and 50 <= d["T"] <= 2000 and 0.05 <= d["f"] <= 1.0 for d in draws)
