"""genomics' ABC against R abc 2.2.2 on one committed table (tests/genomics/data/abc_r: make_table.py wrote the
table, make_reference.R R's outputs), and the departures from R, each shown."""

import csv
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.baselines import abc_choice
from genomics.baselines.abc_parameters import (
    AbcError,
    abc,
    back_transform,
    cross_validate,
    r_bandwidth,
    transform,
    weighted_quantile,
)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "abc_r")
TABLE = np.loadtxt(os.path.join(HERE, "table.csv"), delimiter=",", skiprows=1)
TARGETS = np.loadtxt(os.path.join(HERE, "targets.csv"), delimiter=",", skiprows=1)
LABELS = TABLE[:, 0].astype(int)
PARAMETERS = TABLE[:, 1:3]
STATISTICS = TABLE[:, 3:]
BOUNDS = [[0, 0], [0, 1]]
TRANSFORMATIONS = {"none": ["none", "none"], "loglogit": ["log", "logit"]}


def r_rows(name: str) -> list[dict]:
    with open(os.path.join(HERE, name)) as handle:
        return list(csv.DictReader(handle))


def r_probabilities(row: dict) -> np.ndarray:
    return np.array([float(row[f"p{k}"]) for k in range(3)])


POSTPR = r_rows("postpr.csv")


def our_postpr(row: dict, method: str, **options) -> dict:
    return abc_choice.postpr(TARGETS[int(row["target"])], STATISTICS, LABELS, 3, float(row["tol"]), method,
                             **options)


@pytest.mark.parametrize("row", [r for r in POSTPR if r["method"] == "rejection"], ids=lambda r: r["tol"])
def test_rejection_model_probabilities_equal_r_to_1e_9(row):
    result = our_postpr(row, "rejection")
    assert result["accepted_count"] == int(row["accepted"])
    np.testing.assert_allclose(result["posterior"], [float(row[f"share{k}"]) for k in range(3)], rtol=0, atol=1e-12)
    corrected = our_postpr(row, "rejection", correct=True)  # summary.postpr's Prob: corrected for 120/100/80
    np.testing.assert_allclose(corrected["posterior"], r_probabilities(row), rtol=0, atol=1e-9)


@pytest.mark.parametrize("row", [r for r in POSTPR if r["method"] == "mnlogistic"], ids=lambda r: r["tol"])
def test_mnlogistic_with_r_options_is_within_0_01_of_r_or_warns_that_the_fit_is_degenerate(row):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = our_postpr(row, "mnlogistic", r_compatible=True)
    assert [str(w.message) for w in caught] == result["notes"]  # every note is warned, once
    assert result["method"] == row["used"]  # R falls back to rejection when a scenario is missing
    if result["degenerate"]:  # separated: R's and our optimisers stop at different arbitrary points
        assert "accepted simulations" in result["notes"][0]
    else:
        np.testing.assert_allclose(result["posterior"], r_probabilities(row), rtol=0, atol=0.01)


def test_most_mnlogistic_comparisons_with_r_are_not_degenerate():
    rows = [r for r in POSTPR if r["method"] == "mnlogistic" and r["used"] == "mnlogistic"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        degenerate = sum(our_postpr(r, "mnlogistic", r_compatible=True)["degenerate"] for r in rows)
    assert degenerate <= len(rows) // 3


FALLBACK_ROWS = r_rows("fallback_postpr.csv")  # mnlogistic with table rows as targets, at tolerances 0.02, 0.05
FALLBACKS = [r for r in POSTPR + FALLBACK_ROWS if r.get("method", "mnlogistic") == "mnlogistic"
             and r["used"] == "rejection"]


def fallback_postpr(row: dict, **options) -> dict:
    target = TARGETS[int(row["target"])] if "target" in row else STATISTICS[int(row["row"])]
    return abc_choice.postpr(target, STATISTICS, LABELS, 3, float(row["tol"]), "mnlogistic", **options)


@pytest.mark.parametrize("row", FALLBACKS, ids=lambda r: f"{r.get('target', r.get('row'))}-{r['tol']}")
def test_r_compatible_falls_back_to_rejection_where_a_scenario_is_missing_and_equals_r_to_1e_9(row):
    present = sum(float(row[f"share{k}"]) > 0 for k in range(3))
    with pytest.warns(UserWarning, match=rf"only {present} of the 3 scenarios are among the {row['accepted']} "
                                         r"accepted simulations: mnlogistic falls back to the rejection shares"):
        result = fallback_postpr(row, r_compatible=True)
    assert result["method"] == "rejection"
    np.testing.assert_allclose(result["posterior"], r_probabilities(row), rtol=0, atol=1e-9)


@pytest.mark.parametrize("row", [r for r in FALLBACK_ROWS if r["used"] == "mnlogistic"],
                         ids=lambda r: f"{r['row']}-{r['tol']}")
def test_r_compatible_regresses_where_r_does_and_is_within_0_01_of_r_or_warns_that_the_fit_is_degenerate(row):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fallback_postpr(row, r_compatible=True)
    assert result["method"] == "mnlogistic" and [str(w.message) for w in caught] == result["notes"]
    if not result["degenerate"]:
        np.testing.assert_allclose(result["posterior"], r_probabilities(row), rtol=0, atol=0.01)


def test_where_r_falls_back_to_rejection_the_default_regresses_on_the_scenarios_present_and_says_so():
    assert len(FALLBACKS) >= 10, "the committed tables have too few targets where R falls back"
    for row in FALLBACKS:
        with pytest.warns(UserWarning, match=r"scenarios are among the .* (regresses on those present and gives the "
                                             r"others probability 0 \(R abc falls back|gives the only one present)"):
            result = fallback_postpr(row)
        missing = np.array([float(row[f"share{k}"]) == 0 for k in range(3)])
        assert np.all(result["posterior"][missing] == 0) and np.isclose(result["posterior"].sum(), 1)


def test_r_compatible_takes_r_options_and_an_option_given_explicitly_still_wins():
    row = next(r for r in POSTPR if r["method"] == "mnlogistic" and r["used"] == "mnlogistic" and r["tol"] == "0.5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compatible = our_postpr(row, "mnlogistic", r_compatible=True)["posterior"]
        explicit = our_postpr(row, "mnlogistic", **abc_choice.R_OPTIONS)["posterior"]
        uncorrected = our_postpr(row, "mnlogistic", r_compatible=True, correct=False)["posterior"]
    np.testing.assert_array_equal(compatible, explicit)
    counts = np.bincount(LABELS)  # 120, 100, 80: correcting divides by them
    np.testing.assert_allclose(compatible, uncorrected / counts / (uncorrected / counts).sum(), rtol=1e-12)


@pytest.mark.parametrize("method,tolerance", [("rejection", 1e-9), ("mnlogistic", 0.01)])
def test_cross_validation_leaves_each_row_out_of_its_own_scaling_as_cv4postpr_does(method, tolerance):
    rows = [r for r in r_rows("cv4postpr.csv") if r["method"] == method]
    compared = 0
    for tol in sorted({float(r["tol"]) for r in rows}):
        chosen = [r for r in rows if float(r["tol"]) == tol]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the degenerate fits' warnings: checked above
            result = abc_choice.cross_validate(STATISTICS, LABELS, 3, 5, [tol], method,
                                               pseudo_observed=np.array([int(r["row"]) for r in chosen]),
                                               r_compatible=True)
        ours, degenerate = result["per_tolerance"][tol]["posteriors"], result["per_tolerance"][tol]["degenerate"]
        expected = np.array([r_probabilities(r) for r in chosen])
        np.testing.assert_allclose(ours[~degenerate], expected[~degenerate], rtol=0, atol=tolerance)
        compared += int((~degenerate).sum())
    assert compared >= len(rows) // 2  # at tolerance 0.1, 13 of 15 fits separate a scenario (8 statistics, 30 rows)


def test_cross_validation_with_the_pseudo_observed_row_in_its_own_scaling_would_not_match_r():
    rows = [r for r in r_rows("cv4postpr.csv") if r["method"] == "rejection" and r["tol"] == "0.1"]
    inside = np.array([abc_choice.postpr(STATISTICS[int(r["row"])], STATISTICS, LABELS, 3, 0.1, "rejection",
                                         abc_choice.mad_scale(STATISTICS), exclude=int(r["row"]),
                                         r_compatible=True)["posterior"] for r in rows])
    assert np.abs(inside - [r_probabilities(r) for r in rows]).max() > 1e-3  # so the leaving-out is what matches


def test_cross_validation_ties_go_to_the_first_scenario_where_r_lists_every_tied_one():
    table = np.loadtxt(os.path.join(HERE, "ties.csv"), delimiter=",", skiprows=1)
    rows = r_rows("ties_cv4postpr.csv")
    result = abc_choice.cross_validate(table[:, 1:], table[:, 0].astype(int), 2, 10, [0.1], "rejection",
                                       pseudo_observed=np.array([int(r["row"]) for r in rows]), r_compatible=True)
    fits = result["per_tolerance"][0.1]
    expected = np.array([[float(r["p0"]), float(r["p1"])] for r in rows])
    np.testing.assert_allclose(fits["posteriors"], expected, rtol=0, atol=1e-9)
    chosen = [int(r["estim"].split(";")[0]) for r in rows]  # R's estim "0;1" for a tie: the first is ours
    assert sum(";" in r["estim"] for r in rows) >= 3, "the committed table has too few ties"
    confusion = np.zeros((2, 2), dtype=int)
    np.add.at(confusion, ([int(r["true"]) for r in rows], chosen), 1)
    np.testing.assert_array_equal(fits["confusion"], confusion)


DEGENERATE = np.loadtxt(os.path.join(HERE, "degenerate.csv"), delimiter=",", skiprows=1)
DEGENERATE_TARGET = np.loadtxt(os.path.join(HERE, "degenerate_target.csv"), delimiter=",", skiprows=1)


def degenerate_postpr(method: str, **options) -> dict:
    return abc_choice.postpr(DEGENERATE_TARGET, DEGENERATE[:, 1:], DEGENERATE[:, 0].astype(int), 3, 0.1, method,
                             **options)


def test_r_is_wildly_over_confident_on_the_degenerate_table_and_ours_with_r_options_warns_with_the_numbers():
    r_rejection, r_logistic = (r_probabilities(r) for r in r_rows("degenerate_postpr.csv"))
    np.testing.assert_allclose(degenerate_postpr("rejection", r_compatible=True)["posterior"], r_rejection,
                               rtol=0, atol=1e-9)
    assert r_logistic.max() > 1 - 1e-9 and r_rejection.max() < 0.4  # R: a Bayes factor over 1e9 from 36 rows
    with pytest.warns(UserWarning, match=r"^36 accepted simulations for 62 coefficients \(30 statistics, 3 "
                                         r"scenarios\): the multinomial fit can separate them perfectly$"):
        as_r = degenerate_postpr("mnlogistic", r_compatible=True)
    assert as_r["degenerate"] and as_r["posterior"].max() > 0.999  # the same arbitrary certainty, now warned


def test_the_default_guard_reduces_the_degenerate_fit_to_principal_components_stating_the_variance_kept():
    with pytest.warns(UserWarning, match=r"^36 accepted simulations for 62 coefficients \(30 statistics, 3 "
                                         r"scenarios\): .*reduced to their 2 leading principal components, "
                                         r"holding \d+% of their weighted variance") as caught:
        result = degenerate_postpr("mnlogistic")
    kept = float(str(caught[0].message).split("holding ")[1].split("%")[0]) / 100
    assert 0 < kept < 1 and result["degenerate"]
    assert result["posterior"].max() < 0.999  # no longer an arbitrary certainty


def test_a_degenerate_multinomial_fit_is_guarded_with_a_warning_giving_the_numbers():
    generator = np.random.default_rng(3)
    reference = generator.normal(size=(300, 30))
    labels = generator.integers(0, 3, 300)
    with pytest.warns(UserWarning, match=r"30 accepted simulations for 62 coefficients \(30 statistics"):
        result = abc_choice.postpr(reference[0], reference, labels, 3, 0.1, "mnlogistic")
    assert result["degenerate"] and result["posterior"].max() < 0.999
    with pytest.warns(UserWarning, match="scenarios perfectly from the others"):
        as_r = abc_choice.postpr(reference[0], reference, labels, 3, 0.1, "mnlogistic", r_compatible=True)
    assert as_r["posterior"].max() > 0.999  # R's fit: a certainty the statistics (pure noise) do not support
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert abc_choice.postpr(reference[0], reference, labels, 3, 0.1, "mnlogistic", guard="off")["notes"] == []


# Parameter estimation: abc()

SAMPLES = r_rows("abc_samples.csv")
SUMMARY = r_rows("abc_summary.csv")
def case_of(row: dict) -> tuple:
    return int(row["target"]), float(row["tol"]), row["method"], row["transf"], row["hcorr"] == "TRUE"


CASES = sorted({case_of(r) for r in SUMMARY})  # every target, tolerance, method, transformation, hcorr
SAMPLE_CASES = sorted({case_of(r) for r in SAMPLES})  # the accepted samples of two targets at one tolerance
PARAMETER_TOLERANCE = {"rejection": 1e-9, "loclinear": 1e-6, "ridge": 1e-6}


def our_abc(case):
    target, tol, method, transf, hcorr = case
    return abc(TARGETS[target], PARAMETERS, STATISTICS, tol, method, TRANSFORMATIONS[transf], BOUNDS, hcorr,
               names=["theta", "f"])


@pytest.mark.parametrize("case", SAMPLE_CASES, ids=str)
def test_parameter_samples_and_weights_equal_r_abc(case):
    rows = [r for r in SAMPLES if case_of(r) == case]
    posterior = our_abc(case)
    np.testing.assert_array_equal(posterior.rows, [int(r["row"]) for r in rows])
    np.testing.assert_allclose(posterior.weights, [float(r["weight"]) for r in rows], rtol=1e-12, atol=1e-12)
    expected = np.array([[float(r["theta"]), float(r["f"])] for r in rows])
    np.testing.assert_allclose(posterior.values, expected, rtol=PARAMETER_TOLERANCE[case[2]], atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parameter_summaries_equal_r_summary_abc(case):
    posterior = our_abc(case)
    summary = posterior.summary()
    for row in [r for r in SUMMARY if case_of(r) == case]:
        ours = summary[row["parameter"]]
        for key, r_key in (("lower", "q025"), ("median", "median"), ("mean", "mean"), ("upper", "q975")):
            assert ours[key] == pytest.approx(float(row[r_key]), rel=PARAMETER_TOLERANCE[case[2]], abs=1e-12), key
        values = posterior.values[:, ["theta", "f"].index(row["parameter"])]
        bandwidth = r_bandwidth(values)
        step = (values.max() - values.min() + 6 * bandwidth) / 511  # R's density grid: binned, then interpolated
        assert abs(ours["mode"] - float(row["mode"])) <= 1.01 * step  # measured: at most one step


def test_neuralnet_adjustment_stays_inside_the_logit_bounds_and_near_the_ridge_one():
    case = (1, 0.5, "ridge", "loglogit", True)
    ridge = our_abc(case).summary()
    network = abc(TARGETS[1], PARAMETERS, STATISTICS, 0.5, "neuralnet", ["log", "logit"], BOUNDS, networks=2,
                  names=["theta", "f"])
    assert np.all((network.values[:, 1] > 0) & (network.values[:, 1] < 1)) and np.all(network.values[:, 0] > 0)
    for name in ("theta", "f"):
        spread = ridge[name]["upper"] - ridge[name]["lower"]
        assert abs(network.summary()[name]["median"] - ridge[name]["median"]) < 0.5 * spread


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30), st.floats(0.01, 0.99), st.integers(0, 2**31))
def test_weighted_quantile_minimises_the_weighted_check_loss(values, tau, seed):
    values = np.array(values)
    weights = np.random.default_rng(seed).uniform(0.01, 1, len(values))
    quantile = weighted_quantile(values, weights, tau)

    def loss(q):
        u = values - q
        return np.sum(weights * u * (tau - (u < 0)))
    assert loss(quantile) <= min(loss(v) for v in values) + 1e-9 * (1 + np.abs(values).sum())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.011, 0.989), min_size=2, max_size=20), st.floats(0.1, 1e4))
def test_log_and_logit_transformations_are_undone_by_back_transform(fractions, size):
    values = np.column_stack([np.array(fractions) * size, np.array(fractions) * 2 + 1])
    bounds = np.array([[0, 0], [1, 3]])
    back = back_transform(transform(values, ["log", "logit"], bounds), ["log", "logit"], bounds)
    np.testing.assert_allclose(back, values, rtol=1e-9)


def test_values_outside_a_transformations_support_take_the_nearest_value_inside_with_a_warning():
    values = np.array([[-1.0, 0.0], [2.0, 0.5], [0.0, 1.0], [4.0, 0.25], [0.5, 1.5]])
    with pytest.warns(UserWarning, match="2 values of parameter 0 lie outside the log"):
        transformed = transform(values, ["log", "logit"], np.array([[0, 0], [0, 1]]))
    np.testing.assert_allclose(np.exp(transformed[:, 0]), [0.5, 2.0, 0.5, 4.0, 0.5])
    expected_f = np.array([0.25, 0.5, 0.5, 0.25, 0.5])  # below 0: the smallest inside; above 1: the largest
    np.testing.assert_allclose(1 / (1 + np.exp(-transformed[:, 1])), expected_f)


@pytest.mark.parametrize("arguments,message", [
    ({"method": "lasso"}, "method must be one of rejection, loclinear, ridge, neuralnet, got 'lasso'"),
    ({"tolerance": 0}, r"tolerance must be in \(0, 1\], got 0"),
    ({"transformations": ["log", "exp"]}, "transformation 1 must be one of none, log, logit, got 'exp'"),
    ({"transformations": ["none", "logit"], "bounds": [[0, 0], [1, 1]]}, "logit bounds of parameter 1"),
    ({"target": np.zeros(3)}, "the target has 3 statistics, the reference table 8"),
])
def test_bad_input_to_parameter_estimation_is_refused_in_one_sentence(arguments, message):
    call = {"target": TARGETS[0], "parameters": PARAMETERS, "statistics": STATISTICS, "tolerance": 0.2,
            "method": "loclinear"} | arguments
    with pytest.raises(AbcError, match=message):
        abc(**call)


@pytest.mark.parametrize("method", ["rejection", "loclinear"])
def test_parameter_cross_validation_equals_r_cv4abc(method):
    rows = [r for r in r_rows("cv4abc.csv") if r["method"] == method]
    transformations = ["none", "none"] if method == "rejection" else ["log", "logit"]
    tolerances = sorted({float(r["tol"]) for r in rows})
    chosen = np.array([int(r["row"]) for r in rows if float(r["tol"]) == tolerances[0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = cross_validate(PARAMETERS, STATISTICS, chosen, tolerances, method, transformations=transformations,
                              bounds=BOUNDS)
    for tol in tolerances:
        expected = [r for r in rows if float(r["tol"]) == tol]
        np.testing.assert_allclose(ours[tol]["estimates"], [[float(r["theta"]), float(r["f"])] for r in expected],
                                   rtol=PARAMETER_TOLERANCE[method])
        np.testing.assert_allclose(ours[tol]["prediction_error"],
                                   [float(expected[0]["error_theta"]), float(expected[0]["error_f"])],
                                   rtol=PARAMETER_TOLERANCE[method])


@pytest.mark.parametrize("kernel", ["epanechnikov", "triangular", "biweight", "cosine", "gaussian"])
def test_kernels_give_r_abcs_summaries(kernel):
    posterior = abc(TARGETS[1], PARAMETERS, STATISTICS, 0.2, "loclinear", ["log", "logit"], BOUNDS, kernel=kernel,
                    names=["theta", "f"])
    for row in [r for r in r_rows("abc_kernels.csv") if r["kernel"] == kernel]:
        assert len(posterior.rows) == int(row["accepted"])
        ours = posterior.summary()[row["parameter"]]
        for key, r_key in (("lower", "q025"), ("median", "median"), ("mean", "mean"), ("upper", "q975")):
            assert ours[key] == pytest.approx(float(row[r_key]), rel=1e-6), key


def test_the_rectangular_kernel_weighs_every_accepted_simulation_alike_where_r_weighs_them_by_distance():
    posterior = abc(TARGETS[2], PARAMETERS, STATISTICS, 0.2, "loclinear", kernel="rectangular")
    np.testing.assert_array_equal(posterior.weights, 1.0)


@settings(max_examples=20, deadline=None)
@given(st.integers(40, 200), st.integers(1, 4), st.floats(0.2, 1.0), st.integers(0, 2**31))
def test_a_parameter_linear_in_the_statistics_is_adjusted_onto_its_value_at_the_target(rows, statistics, tol, seed):
    generator = np.random.default_rng(seed)
    table = generator.normal(size=(rows, statistics))
    slope, intercept = generator.normal(size=statistics), generator.normal()
    parameter = intercept + table @ slope
    target = generator.normal(size=statistics) * 0.3
    posterior = abc(target, parameter, table, tol, "loclinear", hcorr=False)
    np.testing.assert_allclose(posterior.values[:, 0], intercept + target @ slope, rtol=1e-8, atol=1e-8)
    # R's ridge fits sqrt(w) theta on sqrt(w) s with an unweighted intercept: exact only for a zero intercept
    posterior = abc(target, table @ slope, table, tol, "ridge", hcorr=False)
    np.testing.assert_allclose(posterior.values[:, 0], target @ slope, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("arguments,message", [
    ({"fallback": "skip"}, "fallback must be 'regress' or 'rejection', got 'skip'"),
    ({"guard": "loud"}, "guard must be 'reduce', 'warn' or 'off', got 'loud'"),
    ({"method": "loclinear"}, "method must be one of rejection, mnlogistic, neuralnet, got 'loclinear'"),
])
def test_bad_options_to_model_choice_are_refused_in_one_sentence(arguments, message):
    call = {"method": "mnlogistic"} | arguments
    with pytest.raises(ValueError, match=message):
        abc_choice.postpr(TARGETS[0], STATISTICS, LABELS, 3, 0.2, **call)


DEGENERATE_ABC = r_rows("degenerate_abc.csv")  # targets[1, ] in R, TARGETS[0] here; 9 regression coefficients


def test_loclinear_with_fewer_accepted_simulations_than_coefficients_is_refused_as_r_refuses_it():
    refused = [r for r in DEGENERATE_ABC if r["error"]]
    assert [(r["tol"], r["method"], r["error"]) for r in refused] == [
        ("0.02", "loclinear", "only 6 cases, but 9 variables")]
    with pytest.raises(AbcError, match=r"^loclinear needs at least as many accepted simulations as regression "
                                       r"coefficients, got 6 \(tolerance 0.02 of 300 simulations\) for 9 "
                                       r"\(8 statistics and an intercept\); raise the tolerance to at least 0.0367"):
        our_abc((0, 0.02, "loclinear", "loglogit", True))


@pytest.mark.parametrize("tol,method", [("0.02", "ridge"), ("0.03", "ridge"), ("0.03", "loclinear")])
def test_a_regression_with_no_more_weighted_simulations_than_coefficients_warns_that_the_posterior_collapses(tol,
                                                                                                            method):
    with pytest.warns(UserWarning, match=rf"accepted simulations with a positive weight for 9 regression coefficients "
                                         rf"\(8 statistics and an intercept\): the {method} regression can fit them"):
        summary = our_abc((0, float(tol), method, "loglogit", True)).summary()
    for row in [r for r in DEGENERATE_ABC if r["tol"] == tol and r["method"] == method]:
        ours, lower, upper = summary[row["parameter"]], float(row["q025"]), float(row["q975"])
        if method == "ridge":  # a unique fit: R's collapsed interval, to 1e-6
            assert (ours["lower"], ours["upper"]) == pytest.approx((lower, upper), rel=1e-6)
        else:  # an exact, non-unique fit: both collapse to a point, not the same one (R's lsfit pivots; ours: min-norm)
            assert upper - lower < 1e-9 * abs(upper) and ours["upper"] - ours["lower"] < 1e-9 * abs(ours["upper"])


def test_cross_validation_warns_once_per_tolerance_counting_the_fallbacks_and_degenerate_fits():
    rows = [int(r["row"]) for r in r_rows("cv4postpr.csv") if r["method"] == "mnlogistic" and r["tol"] == "0.1"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = abc_choice.cross_validate(STATISTICS, LABELS, 3, 5, [0.1], "mnlogistic",
                                           pseudo_observed=np.array(rows), r_compatible=True)
    fits = result["per_tolerance"][0.1]
    degenerate, incomplete = int(fits["degenerate"].sum()), sum(any(n.startswith("only") for n in notes)
                                                               for notes in fits["notes"])
    assert degenerate > 0
    assert [str(w.message) for w in caught] == [
        f"cross-validation of mnlogistic at tolerance 0.1: of {len(rows)} pseudo-observed simulations, {incomplete} "
        f"had a scenario missing among the accepted ones and {degenerate} a degenerate fit (each fit's 'notes' say "
        f"what was done)"]
