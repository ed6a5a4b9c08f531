"""The empirical quantile map of the PIT, checked against closed forms: a Gaussian estimated posterior N(mu, 1)
around truths mu + e whose error e is not normal (Student-t, 3 degrees of freedom, unit variance), where the raw
PIT Phi(e) has the CDF G(u) = F_t3(sqrt(3) Phi^-1(u)) and a probit-affine map cannot straighten it."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from genomics.learning import posterior_checks
from genomics.learning.parameter_space import ParameterSpace
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings, PosteriorTargetError
from genomics.learning.posterior_recalibration import ProbitRecalibration
from genomics.learning.quantile_recalibration import (AUTO_EMPIRICAL_FROM, EMPIRICAL_FEWEST, EmpiricalRecalibration,
                                                      fit_recalibration, knots_for, recalibration_from_dict)
from genomics.scenario.priors import Uniform

LEVELS = ("0.5", "0.8", "0.9", "0.95")


def student_truths(simulations, draws, seed, exact_draws=False):
    """Estimated posterior N(mu_i, 1) (``draws`` of it, or its exact quantiles (l + 1/2) / L); truth mu_i + e_i,
    e_i = t_3 / sqrt(3) (sd 1: the probit-affine map sees a scale near 1 and no shift)."""
    generator = np.random.default_rng(seed)
    mu = generator.uniform(-5, 5, simulations)
    truth = mu + generator.standard_t(3, simulations) / np.sqrt(3)
    if exact_draws:
        noise = np.broadcast_to(stats.norm.ppf((np.arange(draws) + 0.5) / draws), (simulations, draws))
    else:
        noise = generator.standard_normal((simulations, draws))
    return (mu[:, None] + noise)[:, :, None], truth[:, None]


def student_coverage(level):
    """Closed form: the raw central interval mu +- Phi^-1((1 + a) / 2) holds P(|t_3| / sqrt(3) < that)."""
    return 2 * stats.t.cdf(np.sqrt(3) * stats.norm.ppf((1 + level) / 2), 3) - 1


def coverage_errors(samples, truth):
    report = posterior_checks.calibration_report(samples, truth, ["theta"])["targets"]["theta"]
    return {level: report["coverage"][level] - float(level) for level in LEVELS}


def test_the_fitted_cdf_of_the_pit_is_the_closed_form_one():
    samples, truth = student_truths(8000, 399, seed=1, exact_draws=True)
    fitted = EmpiricalRecalibration.fit(samples, truth, ["theta"], seed=0)
    pit = np.array([0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98])
    expected = stats.t.cdf(np.sqrt(3) * stats.norm.ppf(pit), 3)
    # the ECDF's sd sqrt(p (1 - p) / n) <= 0.0056 at n = 8,000; 3 of them, and 1 / L for the ranks' grid
    np.testing.assert_allclose(fitted.cdf(pit[:, None])[:, 0], expected, atol=3 * 0.0056 + 1 / 399)


def test_a_student_error_is_recalibrated_by_the_empirical_map_and_not_by_the_probit_affine_one():
    calibration_samples, calibration_truth = student_truths(8000, 199, seed=2)
    samples, truth = student_truths(8000, 199, seed=3)  # fresh simulations, not fitted on
    raw = coverage_errors(samples, truth)
    for level in LEVELS:  # the raw posterior misses by the closed form (binomial sd <= 0.0056 at 8,000)
        assert raw[level] == pytest.approx(student_coverage(float(level)) - float(level), abs=0.02)
    affine = ProbitRecalibration.fit(calibration_samples, calibration_truth, ["theta"], seed=0)
    assert max(abs(error) for error in coverage_errors(affine.apply(samples), truth).values()) > 0.05
    empirical = fit_recalibration(calibration_samples, calibration_truth, ["theta"], "empirical", seed=0)
    assert isinstance(empirical, EmpiricalRecalibration)
    for level, error in coverage_errors(empirical.apply(samples), truth).items():
        assert abs(error) < 0.02, level


def test_a_posterior_much_too_narrow_is_widened_though_many_truths_fall_outside_all_draws():
    """Truth mu + 2 e: 12% of the truths lie beyond all 999 draws (|z| > Phi^-1(999.5 / 1000) = 3.09, z ~ N(0, 4));
    the map must widen the posterior by 2 with tails past its draws (as many draws as ``BASE_DRAWS``)."""
    generator = np.random.default_rng(4)

    def narrow(simulations):
        mu = generator.uniform(-5, 5, simulations)
        return (mu[:, None] + generator.standard_normal((simulations, 999)))[:, :, None], \
            (mu + 2 * generator.standard_normal(simulations))[:, None]

    empirical = EmpiricalRecalibration.fit(*narrow(3000), ["theta"], seed=0)
    samples, truth = narrow(3000)
    for level, error in coverage_errors(empirical.apply(samples), truth).items():
        assert abs(error) < 0.03, level
    assert empirical.tail_scale[0] == pytest.approx(2.0, rel=0.05)


def test_a_calibrated_posterior_gets_a_map_near_the_identity():
    generator = np.random.default_rng(5)
    mu = generator.uniform(-5, 5, 5000)
    samples = (mu[:, None] + generator.standard_normal((5000, 299)))[:, :, None]
    fitted = EmpiricalRecalibration.fit(samples, (mu + generator.standard_normal(5000))[:, None], ["theta"])
    # z(t) = t; a knot's value is a quantile of n = 5,000 normals: sd sqrt(p (1 - p) / n) / phi(t), p = Phi(t)
    knots = np.array(fitted.knots)
    p = stats.norm.cdf(knots)
    sd = np.sqrt(p * (1 - p) / 5000) / stats.norm.pdf(knots)
    assert np.all(np.abs(np.array(fitted.positions[0]) - knots) < 4 * sd)


def test_the_knots_leave_ten_simulations_beyond_the_outer_ones():
    for simulations, outer in ((500, 2.0), (1000, 2.0), (1600, 2.0), (2500, 2.5), (100000, 2.5)):
        knots = knots_for(simulations)
        assert knots[-1] == outer and knots[0] == -outer and np.allclose(np.diff(knots), 0.5)
        assert stats.norm.cdf(-outer) * simulations >= 10


def test_the_map_survives_json_and_old_probit_affine_files_still_load():
    samples, truth = student_truths(1000, 99, seed=6)
    fitted = EmpiricalRecalibration.fit(np.concatenate([samples, samples], axis=2),
                                        np.concatenate([truth, -truth], axis=1), ["a", "b"], seed=0)
    loaded = recalibration_from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert loaded == fitted and fitted.to_dict()["method"] == "empirical"
    np.testing.assert_array_equal(loaded.apply(samples.repeat(2, axis=2)), fitted.apply(samples.repeat(2, axis=2)))
    old = {"method": "probit-affine", "targets": ["a"], "shift": [0.1], "scale": [1.2], "simulations": 400}
    assert recalibration_from_dict(old) == ProbitRecalibration(["a"], [0.1], [1.2], 400)
    assert "empirical quantile map" in fitted.describe() and len(fitted.describe().splitlines()) == 3


def test_few_simulations_fall_back_to_the_probit_affine_map_and_unknown_maps_are_refused():
    """"empirical" from 500 simulations, "auto" (the default) from 2,000: below, the probit-affine map."""
    samples, truth = student_truths(EMPIRICAL_FEWEST - 1, 99, seed=7)
    assert isinstance(fit_recalibration(samples, truth, ["theta"], "empirical"), ProbitRecalibration)
    with pytest.raises(ValueError, match=f"{EMPIRICAL_FEWEST - 1} simulations are too few for the empirical"):
        EmpiricalRecalibration.fit(samples, truth, ["theta"])
    with pytest.raises(ValueError, match="recalibration 'isotonic' is not one of auto, empirical, probit-affine"):
        fit_recalibration(samples, truth, ["theta"], "isotonic")
    enough = student_truths(EMPIRICAL_FEWEST, 99, seed=7)
    assert isinstance(fit_recalibration(*enough, ["theta"], "empirical"), EmpiricalRecalibration)
    assert isinstance(fit_recalibration(*enough, ["theta"], "probit-affine"), ProbitRecalibration)
    assert isinstance(fit_recalibration(*enough, ["theta"]), ProbitRecalibration)  # "auto"
    many = student_truths(AUTO_EMPIRICAL_FROM, 99, seed=7)
    assert isinstance(fit_recalibration(*many, ["theta"], "auto"), EmpiricalRecalibration)
    assert isinstance(fit_recalibration(*many, ["theta"], "probit-affine"), ProbitRecalibration)


@settings(max_examples=30, deadline=None)
@given(bend=st.floats(0.5, 2.0), shift=st.floats(-1, 1), draws=st.integers(2, 200), seed=st.integers(0, 10))
def test_the_map_keeps_every_targets_order_and_its_draws_inside_the_support(bend, shift, draws, seed):
    knots = [-1.0, -0.5, 0.0, 0.5, 1.0]
    positions = [[shift + bend * k if k < 0 else shift + k for k in knots], [k / bend for k in knots]]
    recalibration = EmpiricalRecalibration(["x", "y"], knots, positions, [bend, 1 / bend], 1000)
    samples = np.random.default_rng(seed).gamma(2.0, size=(3, draws, 2))
    mapped = recalibration.apply(samples)
    assert mapped.shape == samples.shape and np.all(np.isfinite(mapped))
    order = np.argsort(samples, axis=1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(mapped, order, axis=1), axis=1) >= 0)  # each target's ranks kept
    levels = recalibration.levels(draws)
    inside = np.all((levels >= 0.5 / draws) & (levels <= 1 - 0.5 / draws), axis=0)
    low, high = samples.min(axis=1), samples.max(axis=1)
    assert np.all(((mapped >= low[:, None] - 1e-12) & (mapped <= high[:, None] + 1e-12))[:, :, inside])
    u = np.linspace(0.02, 0.98, 7)[:, None].repeat(2, axis=1)  # G^-1 is the inverse of G
    back = recalibration.cdf(u)
    np.testing.assert_allclose(stats.norm.cdf(recalibration.quantile_probit(stats.norm.ppf(back[:, 0]))[:, 0]),
                               u[:, 0], atol=1e-9)


def test_a_fitted_posterior_asked_for_the_empirical_map_gets_it_and_saves_it(tmp_path):
    generator = np.random.default_rng(8)
    theta = generator.uniform(-3, 3, 2000)
    windows = np.stack([theta[:, None] + generator.standard_normal((2000, 3)),
                        generator.standard_normal((2000, 3))], axis=-1)
    space = ParameterSpace.from_priors({"theta": Uniform(-3.0, 3.0)}, ["theta"])
    fit = PosteriorSettings(components=2, hidden=8, epochs=3, patience=2, batch_size=200, validation_fraction=0.3,
                            recalibration="empirical")
    estimator = PosteriorEstimator.fit(windows, theta[:, None], space, ["x", "noise"], fit)
    assert isinstance(estimator.recalibration, EmpiricalRecalibration) and estimator.recalibration.simulations == 600
    loaded = PosteriorEstimator.load(estimator.save(str(tmp_path / "posterior.npz")))
    assert loaded.recalibration == estimator.recalibration
    np.testing.assert_allclose(loaded.sample_windows(windows[:3], draws=200, seed=1),
                               estimator.sample_windows(windows[:3], draws=200, seed=1), rtol=1e-6)
    automatic = PosteriorEstimator.fit(windows, theta[:, None], space, ["x", "noise"],
                                       PosteriorSettings(**{**fit.__dict__, "recalibration": "auto"}))
    assert isinstance(automatic.recalibration, ProbitRecalibration)  # 600 < AUTO_EMPIRICAL_FROM
    with pytest.raises(PosteriorTargetError, match="must be one of auto, empirical, probit-affine, got 'x'"):
        PosteriorSettings(recalibration="x").check()


def test_genomics_posterior_picks_the_map_beside_no_recalibrate(capsys):
    from genomics.cli import commands
    from genomics.cli.parser import parser

    chosen = parser().parse_args(["posterior", "sims", "--out", "out", "--recalibration", "probit-affine"])
    assert commands._posterior_settings(chosen).recalibration == "probit-affine"
    default = parser().parse_args(["posterior", "sims", "--out", "out"])
    assert commands._posterior_settings(default).recalibration == PosteriorSettings().recalibration
    assert commands._posterior_settings(default).recalibrate is True
    with pytest.raises(SystemExit):
        parser().parse_args(["posterior", "sims", "--out", "out", "--recalibration", "isotonic"])
    assert "argument --recalibration: invalid choice: 'isotonic'" in capsys.readouterr().err
