"""Neural posterior estimation: targets mapped into their prior's support, calibration checks against closed forms,
a posterior that matches an exact one, and a tiny genomics scenario from simulations to a saved posterior."""

import math
import os

import minidl
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.learning import posterior_checks
from genomics.learning.parameter_space import ParameterSpace, PosteriorTargetError
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings, fit_posterior
from genomics.learning.posterior_features import PosteriorDataError
from genomics.scenario.priors import Fixed, LogUniform, TruncatedNormal, Uniform
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations, simulate
from genomics.simulation.store import simulated_genotypes

PRIORS = {"N": LogUniform(500.0, 20000.0), "f": Uniform(0.05, 1.0), "T": LogUniform(50.0, 2000.0),
          "s": TruncatedNormal(0.0, 1.0, -2.0, 3.0), "mu": Fixed(1e-7)}


# ---------------------------------------------------------------- the parameter space
@settings(max_examples=50, deadline=None)
@given(t=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=4, max_size=4))
def test_every_real_number_maps_inside_the_prior_support(t):
    space = ParameterSpace.from_priors(PRIORS, ["N", "f", "s", "T * f"])
    natural = space.to_natural(np.array(t))
    assert np.all(natural >= np.array(space.low)) and np.all(natural <= np.array(space.high))


def test_targets_come_back_from_the_unbounded_space_unchanged():
    space = ParameterSpace.from_priors(PRIORS, ["N", "f", "s", "T * f"])
    generator = np.random.default_rng(0)
    draws = [{name: prior.draw(generator) for name, prior in PRIORS.items()} for _ in range(200)]
    values = space.values(draws)
    np.testing.assert_allclose(values[:, 3], [d["T"] * d["f"] for d in draws])
    np.testing.assert_allclose(space.to_natural(space.to_unbounded(values)), values, rtol=1e-9)
    # log-uniform priors on the log scale; an expression of a positive support spanning 800x too
    assert space.scales == ["log", "linear", "linear", "log"]
    assert space.low[3] == pytest.approx(2.5) and space.high[3] == pytest.approx(2000.0)
    assert ParameterSpace.from_dict(space.to_dict()) == space


@pytest.mark.parametrize("targets, message", [
    (["mu"], "target 'mu' is fixed at 1e-07 by the priors; there is no posterior to estimate"),
    (["N", "M"], "target 'M' names M, which the scenario has no prior for; its priors: N, f, T, s, mu"),
    (["N / (f - f)"], "target 'N / \\(f - f\\)': "),
    ([], "no targets were given"),
])
def test_targets_that_cannot_be_estimated_are_refused_in_one_sentence(targets, message):
    with pytest.raises(PosteriorTargetError, match=message):
        ParameterSpace.from_priors(PRIORS, targets)


def test_a_value_outside_the_support_is_refused_naming_the_target():
    space = ParameterSpace.from_priors(PRIORS, ["N"])
    with pytest.raises(PosteriorTargetError, match=r"target 'N' has the value 1e\+06, outside its support \[500, 2"):
        space.to_unbounded(np.array([[1e6]]))


# ---------------------------------------------------------------- the calibration checks, on exact posteriors
@pytest.mark.parametrize("statistic, degrees, p_value", [
    (3.841459, 1, 0.05), (6.634897, 1, 0.01), (5.991465, 2, 0.05), (16.918978, 9, 0.05), (21.665994, 9, 0.01),
    (18.307038, 10, 0.05), (0.0, 3, 1.0), (9.0, 9, 0.43727418)])
def test_chi_square_tail_matches_the_tabulated_quantiles(statistic, degrees, p_value):
    assert posterior_checks.chi_square_sf(statistic, degrees) == pytest.approx(p_value, rel=1e-5)


def conjugate_normal_samples(simulations, draws, sd_factor, seed):
    """theta ~ N(0, 1), x ~ N(theta, 1): the posterior is N(x / 2, 1/2); sd_factor < 1 makes it over-confident."""
    generator = np.random.default_rng(seed)
    theta = generator.standard_normal(simulations)
    x = theta + generator.standard_normal(simulations)
    samples = x[:, None] / 2 + sd_factor * math.sqrt(0.5) * generator.standard_normal((simulations, draws))
    return samples[:, :, None], theta[:, None]


def test_an_exact_posterior_covers_at_every_level_and_its_ranks_are_uniform():
    samples, truth = conjugate_normal_samples(4000, 99, 1.0, seed=1)
    report = posterior_checks.calibration_report(samples, truth, ["theta"])
    entry = report["targets"]["theta"]
    for level in ("0.5", "0.8", "0.9", "0.95"):
        # 99 draws give slightly wide sample intervals: coverage within 4 binomial standard errors + 0.01
        assert abs(entry["coverage"][level] - float(level)) < 4 * entry["coverage_standard_error"][level] + 0.01
    assert entry["sbc"]["p_value"] > 0.001 and sum(entry["sbc"]["counts"]) == 4000
    assert entry["sbc"]["uniform"] and report["sbc_test"]["all_uniform"]


def test_an_over_confident_posterior_undercovers_and_fails_the_rank_test():
    samples, truth = conjugate_normal_samples(4000, 99, 0.5, seed=2)
    entry = posterior_checks.calibration_report(samples, truth, ["theta"])["targets"]["theta"]
    assert entry["coverage"]["0.9"] < 0.65 and entry["sbc"]["p_value"] < 1e-10
    counts = entry["sbc"]["counts"]
    assert counts[0] > 2 * counts[5] and counts[-1] > 2 * counts[5]  # the U shape of a too-narrow posterior


@settings(max_examples=60, deadline=None)
@given(statistic=st.floats(0.0, 400.0), degrees=st.integers(1, 60))
def test_chi_square_tail_matches_scipy(statistic, degrees):
    stats = pytest.importorskip("scipy.stats")
    assert posterior_checks.chi_square_sf(statistic, degrees) == pytest.approx(stats.chi2.sf(statistic, degrees),
                                                                               rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("shape", ["uniform", "u_shape", "hump", "slope"])
def test_the_rank_test_matches_scipy_chisquare_on_synthetic_ranks(shape):
    """Ranks in {0..99} (99 draws) of 2000 simulations: uniform, or drawn from scipy's beta-binomial."""
    stats = pytest.importorskip("scipy.stats")
    shapes = {"uniform": (1.0, 1.0), "u_shape": (0.7, 0.7), "hump": (1.5, 1.5), "slope": (1.0, 1.3)}
    a, b = shapes[shape]
    ranks = stats.betabinom(99, a, b).rvs(2000, random_state=np.random.default_rng(7))
    result = posterior_checks.rank_uniformity(ranks, draws=99, bins=10)
    reference = stats.chisquare(np.bincount(ranks // 10, minlength=10))
    assert result["chi_square"] == pytest.approx(reference.statistic, rel=1e-12)
    assert result["p_value"] == pytest.approx(reference.pvalue, rel=1e-8, abs=1e-300)
    verdict = posterior_checks.sbc_verdicts([result["p_value"]])
    assert verdict["all_uniform"] is (shape == "uniform")


def test_uniform_ranks_pass_the_stated_test_at_its_level():
    """Under uniform ranks, the test of one target at alpha = 0.05 rejects about 5% of the time (400 trials)."""
    generator = np.random.default_rng(3)
    rejected = [not posterior_checks.sbc_verdicts([posterior_checks.rank_uniformity(
        generator.integers(0, 100, 500), draws=99, bins=10)["p_value"]])["all_uniform"] for _ in range(400)]
    assert 0.02 < np.mean(rejected) < 0.08  # binomial sd of the share: sqrt(0.05 * 0.95 / 400) = 0.011


def test_the_sbc_test_divides_its_level_among_the_targets():
    verdict = posterior_checks.sbc_verdicts([0.5, 0.02, 0.3], alpha=0.05)
    assert verdict["threshold"] == pytest.approx(0.05 / 3) and verdict["all_uniform"]
    assert verdict["uniform"] == [True, True, True] and "Bonferroni" in verdict["rule"]
    assert posterior_checks.sbc_verdicts([0.5, 0.01, 0.3])["uniform"] == [True, False, True]


def test_rank_bins_must_divide_the_possible_ranks():
    with pytest.raises(ValueError, match="7 bins must divide the 100 possible ranks"):
        posterior_checks.rank_uniformity(np.zeros(10, dtype=int), 99, 7)


# ---------------------------------------------------------------- a network posterior against an exact one
WINDOWS = 5


def gaussian_windows(simulations, generator):
    """theta ~ Uniform(-3, 3); each of 5 windows gives one statistic x_w ~ N(theta, 1)."""
    theta = generator.uniform(-3, 3, simulations)
    return (theta[:, None] + generator.standard_normal((simulations, WINDOWS)))[:, :, None], theta[:, None]


def exact_posterior_means(windows):
    """p(theta | x) proportional to exp(-W (theta - mean x)^2 / 2) on [-3, 3], integrated on a grid."""
    grid = np.linspace(-3, 3, 4001)
    log_density = -WINDOWS / 2 * (grid[None, :] - windows[:, :, 0].mean(axis=1)[:, None]) ** 2
    density = np.exp(log_density - log_density.max(axis=1, keepdims=True))
    return (density * grid).sum(axis=1) / density.sum(axis=1)


def test_the_posterior_of_averaged_windows_matches_the_exact_gaussian_posterior():
    generator = np.random.default_rng(0)
    windows, theta = gaussian_windows(2000, generator)
    space = ParameterSpace.from_priors({"theta": Uniform(-3.0, 3.0)}, ["theta"])
    estimator = PosteriorEstimator.fit(windows, theta, space, ["x"], PosteriorSettings(
        components=3, hidden=16, epochs=60, patience=5, batch_size=500, learning_rate=1e-2))
    held_windows, held_theta = gaussian_windows(500, generator)
    means = estimator.sample_windows(held_windows, draws=1000).mean(axis=1)[:, 0]
    # the exact posterior sd is about 1 / sqrt(5) = 0.45: means agree to a tenth of it on average (measured 0.054)
    assert np.mean(np.abs(means - exact_posterior_means(held_windows))) < 0.1
    report = estimator.assess(held_windows, held_theta, draws=199)["targets"]["theta"]
    for level in ("0.5", "0.8", "0.9", "0.95"):
        assert abs(report["coverage"][level] - float(level)) < 0.05  # measured 0.500, 0.786, 0.890, 0.932
    assert report["sbc"]["p_value"] > 0.001
    # the window average: the same windows in another order, or twice over, give the same posterior
    reordered = estimator.sample_windows(held_windows[:5, ::-1], draws=200, seed=3)
    np.testing.assert_allclose(reordered, estimator.sample_windows(held_windows[:5], draws=200, seed=3), atol=1e-5)
    doubled = np.concatenate([held_windows[:5], held_windows[:5]], axis=1)
    np.testing.assert_allclose(estimator.sample_windows(doubled, draws=200, seed=3),
                               estimator.sample_windows(held_windows[:5], draws=200, seed=3), atol=1e-5)


# ---------------------------------------------------------------- a tiny genomics scenario
SCENARIO = {
    "name": "shrink", "description": "size N * f today, N before T generations ago",
    "priors": {"N": {"log_uniform": [500, 20000]}, "T": {"log_uniform": [50, 2000]}, "f": {"uniform": [0.05, 1.0]},
               "mu": 1e-7},
    "design": {"populations": ["POP"], "samples": [6], "ploidy": 2,
               "loci": [{"name": "w", "count": 4, "sequence_length": 5000, "mutation_rate": 1e-7,
                         "recombination_rate": 1e-8}]},
    "demes": [{"name": "POP", "initial_size": "N * f"}],
    "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N"}],
}


@pytest.fixture(scope="module")
def tiny_simulations(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("posterior") / "sims")
    simulate([Scenario(SCENARIO)], 150, folder, workers=1, progress=False)
    return folder


@pytest.mark.parametrize("head", ["mixture", "flow"])
def test_a_tiny_scenario_gives_posteriors_inside_the_priors_that_survive_saving(tiny_simulations, tmp_path, head):
    estimator = fit_posterior(tiny_simulations, targets=["N", "T * f"], settings=PosteriorSettings(
        head=head, components=2, flow_steps=2, flow_hidden=4, hidden=16, epochs=15, patience=5, batch_size=64))
    data = load_simulations(tiny_simulations)
    genotypes = simulated_genotypes(data, 0)
    samples = estimator.sample(genotypes, draws=500)
    assert samples.shape == (500, 2)
    assert np.all((samples[:, 0] >= 500) & (samples[:, 0] <= 20000))
    assert np.all((samples[:, 1] >= 2.5) & (samples[:, 1] <= 2000))
    summary = estimator.summary(genotypes)
    for target in ("N", "T * f"):
        entry = summary[target]
        assert set(entry["intervals"]) == {"0.5", "0.8", "0.9", "0.95"}
        low, high = entry["prior_support"]
        nested = [entry["intervals"][level] for level in ("0.5", "0.8", "0.9", "0.95")]
        assert all(low <= b[0] <= a[0] <= a[1] <= b[1] <= high for a, b in zip(nested, nested[1:]))
        assert low <= entry["median"] <= high
    report = estimator.calibration
    assert report["simulations"] == 15 and set(report["targets"]) == {"N", "T * f"}
    assert os.path.exists(posterior_checks.plot_calibration(report, str(tmp_path / "calibration.png")))
    rows = estimator.summary_rows([genotypes, simulated_genotypes(data, 1)], ["first", "second"])
    assert [(row["data_set"], row["target"]) for row in rows] == [("first", "N"), ("first", "T * f"),
                                                                 ("second", "N"), ("second", "T * f")]
    assert rows[0]["low_95"] <= rows[0]["low_50"] <= rows[0]["median"] <= rows[0]["high_50"] <= rows[0]["high_95"]
    two_populations = np.zeros((4, 20))  # 6 statistics for all, 6 per population, 2 per pair: another design
    with pytest.raises(PosteriorDataError, match="the data give 20 statistics per window, but the posterior was "
                                                 "trained on 12"):
        estimator.sample(two_populations)
    path = estimator.save(str(tmp_path / "posterior.npz"))
    again = PosteriorEstimator.load(path)
    np.testing.assert_allclose(again.sample(genotypes, 100, seed=5), estimator.sample(genotypes, 100, seed=5))
    assert again.space == estimator.space and again.calibration == report and again.head["head"] == head


def test_a_posterior_of_an_unknown_scenario_or_a_fixed_parameter_is_refused(tiny_simulations):
    with pytest.raises(PosteriorTargetError, match="scenario 'other' is not in .*; its scenarios: shrink"):
        fit_posterior(tiny_simulations, scenario="other")
    with pytest.raises(PosteriorTargetError, match="target 'mu' is fixed"):
        fit_posterior(tiny_simulations, targets=["mu"])


def test_too_few_simulations_and_files_that_are_not_posteriors_are_refused(tmp_path):
    space = ParameterSpace.from_priors({"theta": Uniform(-3.0, 3.0)}, ["theta"])
    with pytest.raises(PosteriorDataError, match="10 simulations are too few to train a posterior"):
        PosteriorEstimator.fit(np.zeros((10, 2, 1)), np.zeros((10, 1)), space, ["x"])
    classifier = minidl.Sequential([minidl.Input((3,)), minidl.layers.Dense(2)])
    classifier.save(str(tmp_path / "classifier.npz"))
    with pytest.raises(PosteriorDataError, match="is a minidl model but not a genomics posterior"):
        PosteriorEstimator.load(str(tmp_path / "classifier.npz"))
