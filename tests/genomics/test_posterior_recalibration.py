"""Recalibration of a posterior's marginals (probit-affine map of the PIT), checked against closed forms: a
Gaussian posterior with a known bias and a known error of width, where theory gives the map and the coverage."""

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.learning import posterior_checks
from genomics.learning.parameter_space import ParameterSpace
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings
from genomics.learning.posterior_recalibration import ProbitRecalibration, normal_cdf, normal_quantile
from genomics.scenario.priors import Uniform

LEVELS = ("0.5", "0.8", "0.9", "0.95")


def miscalibrated_gaussian(simulations, draws, bias, width, seed):
    """The estimated posterior of simulation i is N(mu_i, 1); the truth is mu_i + bias + width * e_i, e_i ~ N(0, 1).
    Theory: z = Phi^-1(PIT) ~ N(bias, width^2), so the map's shift is ``bias`` and its scale ``width``."""
    generator = np.random.default_rng(seed)
    mu = generator.uniform(-5, 5, simulations)
    truth = mu + bias + width * generator.standard_normal(simulations)
    samples = mu[:, None] + generator.standard_normal((simulations, draws))
    return samples[:, :, None], truth[:, None]


def test_normal_cdf_and_quantile_match_the_standard_library():
    points = np.array([-3.0, -1.0, 0.0, 0.5, 2.5])
    reference = statistics.NormalDist()
    np.testing.assert_allclose(normal_cdf(points), [reference.cdf(x) for x in points], rtol=1e-15)
    np.testing.assert_allclose(normal_cdf(normal_quantile(np.array([0.01, 0.3, 0.975]))), [0.01, 0.3, 0.975],
                               rtol=1e-12)


@pytest.mark.parametrize("bias, width", [(0.0, 1.0), (0.4, 1.0), (0.0, 1.6), (-0.3, 0.6)])
def test_the_fitted_shift_and_scale_are_the_bias_and_width_error_of_a_gaussian_posterior(bias, width):
    samples, truth = miscalibrated_gaussian(4000, 199, bias, width, seed=1)
    fitted = ProbitRecalibration.fit(samples, truth, ["theta"], seed=0)
    # standard errors of a normal sample's mean and sd over 4,000: width / 63 and width / 89; 4 of them allowed
    assert fitted.shift[0] == pytest.approx(bias, abs=4 * width / 63 + 0.01)
    assert fitted.scale[0] == pytest.approx(width, abs=4 * width / 89 + 0.01)
    assert fitted.simulations == 4000


@pytest.mark.parametrize("bias, width", [(0.5, 1.0), (0.0, 1.7), (0.0, 0.55), (-0.4, 1.3)])
def test_a_miscalibrated_posterior_covers_every_level_once_recalibrated(bias, width):
    calibration_samples, calibration_truth = miscalibrated_gaussian(4000, 199, bias, width, seed=12)
    recalibration = ProbitRecalibration.fit(calibration_samples, calibration_truth, ["theta"], seed=0)
    samples, truth = miscalibrated_gaussian(4000, 199, bias, width, seed=3)
    raw = posterior_checks.calibration_report(samples, truth, ["theta"])["targets"]["theta"]
    fixed = posterior_checks.calibration_report(recalibration.apply(samples), truth, ["theta"])["targets"]["theta"]
    # the raw posterior misses by its closed-form coverage, e.g. 2 Phi(0.674 / 1.7) - 1 = 0.31 at 50% for width 1.7
    assert max(abs(raw["coverage"][level] - float(level)) for level in LEVELS) > 0.05
    for level in LEVELS:  # 4,000 held-out: binomial sd <= 0.008, plus the map's error from 4,000 simulations
        assert abs(fixed["coverage"][level] - float(level)) < 0.03
    assert raw["sbc"]["p_value"] < 1e-3
    # the map with the true shift and scale (no estimation error) makes the ranks uniform by the stated test
    exact = ProbitRecalibration(["theta"], [bias], [width], 1000).apply(samples)
    assert posterior_checks.calibration_report(exact, truth, ["theta"])["targets"]["theta"]["sbc"]["p_value"] > 1e-3


def test_mapped_draws_of_a_standard_normal_follow_the_normal_the_map_implies():
    """G^-1(v) = F^-1(Phi(m + s Phi^-1(v))) with F = Phi: the mapped draws are N(m, s^2)."""
    recalibration = ProbitRecalibration(["a", "b"], [0.3, -0.2], [1.5, 0.7], 1000)
    draws = np.random.default_rng(4).standard_normal((1, 20000, 2))
    mapped = recalibration.apply(draws)[0]
    np.testing.assert_allclose(mapped.mean(axis=0), [0.3, -0.2], atol=0.03)
    np.testing.assert_allclose(mapped.std(axis=0), [1.5, 0.7], rtol=0.03)
    quantiles = np.quantile(mapped, [0.1, 0.5, 0.9], axis=0)
    expected = np.array([[0.3 + 1.5 * z, -0.2 + 0.7 * z] for z in normal_quantile(np.array([0.1, 0.5, 0.9]))])
    np.testing.assert_allclose(quantiles, expected, atol=0.06)


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-2, 2), scale=st.floats(0.1, 5), draws=st.integers(2, 300), seed=st.integers(0, 10))
def test_the_map_keeps_each_targets_order_and_leaves_the_draws_only_for_levels_beyond_them(shift, scale, draws, seed):
    samples = np.random.default_rng(seed).gamma(2.0, size=(3, draws, 2))
    recalibration = ProbitRecalibration(["x", "y"], [shift, -shift], [scale, 1 / scale], 100)
    mapped = recalibration.apply(samples)
    assert mapped.shape == samples.shape and np.all(np.isfinite(mapped))
    levels = recalibration.levels(draws)  # (draws, targets): inside the draws where 1/2L <= w <= 1 - 1/2L
    inside = np.all((levels >= 0.5 / draws) & (levels <= 1 - 0.5 / draws), axis=0)
    low, high = samples.min(axis=1), samples.max(axis=1)
    assert np.all(((mapped >= low[:, None] - 1e-12) & (mapped <= high[:, None] + 1e-12))[:, :, inside])
    order = np.argsort(samples, axis=1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(mapped, order, axis=1), axis=1) >= 0)  # monotone: ranks kept


def test_the_identity_map_leaves_a_calibrated_posteriors_quantiles():
    draws = np.random.default_rng(5).standard_normal((2, 5000, 1))
    mapped = ProbitRecalibration(["t"], [0.0], [1.0], 100).apply(draws)
    np.testing.assert_allclose(np.quantile(mapped, [0.05, 0.5, 0.95], axis=1),
                               np.quantile(draws, [0.05, 0.5, 0.95], axis=1), atol=0.01)


def test_too_few_simulations_or_mismatched_shapes_are_refused_in_one_sentence():
    samples, truth = miscalibrated_gaussian(10, 99, 0.0, 1.0, seed=6)
    with pytest.raises(ValueError, match="10 simulations are too few"):
        ProbitRecalibration.fit(samples, truth, ["theta"])
    with pytest.raises(ValueError, match="recalibration needs draws"):
        ProbitRecalibration.fit(samples, truth[:5], ["theta"])
    with pytest.raises(ValueError, match="unknown posterior recalibration"):
        ProbitRecalibration.from_dict({"method": "isotonic"})


def over_confident_windows(simulations, generator):
    """theta ~ Uniform(-3, 3); 3 windows x_w = theta + N(0, 1), plus a nuisance statistic; the network sees them."""
    theta = generator.uniform(-3, 3, simulations)
    windows = theta[:, None] + generator.standard_normal((simulations, 3))
    return np.stack([windows, generator.standard_normal((simulations, 3))], axis=-1), theta[:, None]


def test_a_fitted_posterior_is_recalibrated_on_its_validation_split_and_keeps_the_map_when_saved(tmp_path):
    generator = np.random.default_rng(7)
    windows, theta = over_confident_windows(600, generator)
    space = ParameterSpace.from_priors({"theta": Uniform(-3.0, 3.0)}, ["theta"])
    fit = PosteriorSettings(components=2, hidden=8, epochs=8, patience=3, batch_size=100, validation_fraction=0.25)
    estimator = PosteriorEstimator.fit(windows, theta, space, ["x", "noise"], fit)
    assert estimator.recalibration is not None and estimator.recalibration.simulations == 150
    raw = estimator.sample_windows(windows[:4], draws=300, seed=1, recalibrated=False)
    mapped = estimator.sample_windows(windows[:4], draws=300, seed=1)
    assert raw.shape == mapped.shape == (4, 300, 1) and np.all((mapped > -3) & (mapped < 3))
    loaded = PosteriorEstimator.load(estimator.save(str(tmp_path / "posterior.npz")))
    assert loaded.recalibration == estimator.recalibration
    np.testing.assert_allclose(loaded.sample_windows(windows[:4], draws=300, seed=1), mapped, rtol=1e-6)
    unmapped = PosteriorEstimator.fit(windows, theta, space, ["x", "noise"],
                                      PosteriorSettings(**{**fit.__dict__, "recalibrate": False}))
    assert unmapped.recalibration is None
    assert not math.isnan(float(unmapped.sample_windows(windows[:1], draws=10).mean()))
