"""The joint posterior of the scenario and its parameters: the model-averaged mixture against closed forms on
Gaussian components, the joint sampler's scenario frequencies against the probabilities, the model-averaged
coverage of an exact two-scenario posterior, and a tiny folder of two scenarios from simulations to a saved file."""

import argparse
import copy
import csv
import json
import os

import msprime
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from genomics.bundle import Bundle
from genomics.cli import joint_command
from genomics.cli.main import main
from genomics.learning import model_averaging
from genomics.learning.joint_posterior import JointPosterior, fit_joint_posterior, load_posterior
from genomics.learning.parameter_space import PosteriorTargetError
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings, fit_posterior
from genomics.observed.files import ObservedFiles, read_observed
from genomics.pipeline.predict import predict_genotypes
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations, simulate
from genomics.simulation.store import simulated_genotypes


def gaussian_draws(mean, sd, count=40000):
    """Evenly spaced quantiles of N(mean, sd^2): draws whose empirical CDF is the normal CDF to 1 / count."""
    return stats.norm.ppf((np.arange(count) + 0.5) / count, mean, sd)


# ---------------------------------------------------------------- the model-averaged mixture
@settings(max_examples=20, deadline=None)
@given(means=st.lists(st.floats(-5, 5), min_size=3, max_size=3),
       sds=st.lists(st.floats(0.2, 3), min_size=3, max_size=3),
       probabilities=st.lists(st.floats(0.05, 1), min_size=4, max_size=4))
def test_the_model_averaged_cdf_and_quantiles_are_the_gaussian_mixtures(means, sds, probabilities):
    # four scenarios, three of which hold the target: weights P(s | x) renormalised over those three
    total = sum(probabilities)
    scenario_probabilities = {name: p / total for name, p in zip("ABCD", probabilities)}
    weights, share = model_averaging.mixture_weights(scenario_probabilities, ["A", "B", "D"])
    assert share == pytest.approx(1 - scenario_probabilities["C"])
    w = np.array([probabilities[0], probabilities[1], probabilities[3]]) / (total - probabilities[2])
    assert list(weights.values()) == pytest.approx(w)

    def closed_cdf(t):
        return float(sum(wk * stats.norm.cdf(t, m, s) for wk, m, s in zip(w, means, sds)))

    draws = [gaussian_draws(m, s) for m, s in zip(means, sds)]
    points = np.linspace(min(means) - 3 * max(sds), max(means) + 3 * max(sds), 25)
    np.testing.assert_allclose(model_averaging.mixture_cdf(draws, list(weights.values()), points),
                               [closed_cdf(t) for t in points], atol=1e-4)
    levels = np.array([0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975])
    exact = [optimize.brentq(lambda t, q=q: closed_cdf(t) - q, -30, 30) for q in levels]
    quantiles = model_averaging.mixture_quantiles(draws, list(weights.values()), levels)
    density = [sum(wk * stats.norm.pdf(t, m, s) for wk, m, s in zip(w, means, sds)) for t in exact]
    np.testing.assert_allclose(quantiles, exact, atol=2e-4 / min(density))  # a CDF error of 2e-4, in t
    summary = model_averaging.mixture_summary(draws, list(weights.values()))
    mean = float(w @ means)
    assert summary["mean"] == pytest.approx(mean, abs=1e-3)
    assert summary["sd"] == pytest.approx(np.sqrt(w @ (np.square(sds) + np.square(means)) - mean ** 2), rel=1e-3)
    assert summary["intervals"]["0.95"] == pytest.approx([exact[0], exact[-1]], abs=2e-4 / min(density))


def test_a_mixture_of_one_component_is_that_component():
    draws = gaussian_draws(1.0, 2.0)
    summary = model_averaging.mixture_summary([draws], [1.0])
    assert summary["median"] == pytest.approx(1.0, abs=1e-3)
    assert summary["intervals"]["0.9"] == pytest.approx([1 - 2 * 1.6448536, 1 + 2 * 1.6448536], abs=1e-3)


# ---------------------------------------------------------------- joint draws
def test_the_joint_sampler_draws_scenarios_as_often_as_their_probabilities():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0.05, 0.0, 0.95]])
    chosen = model_averaging.draw_scenarios(probabilities, 20000, np.random.default_rng(4))
    assert chosen.shape == (4, 20000)
    for row, p in zip(chosen, probabilities):
        counts = np.bincount(row, minlength=3)
        assert np.all(counts[p == 0] == 0)  # a scenario of probability 0 is never drawn
        used = p > 0
        assert stats.chisquare(counts[used], 20000 * p[used]).pvalue > 1e-3


def test_a_joint_draw_takes_its_parameters_from_the_drawn_scenario():
    scenarios = np.array([[0, 1, 2, 1]])
    first, second = np.array([[10.0, 11, 12, 13]]), np.array([[20.0, 21, 22, 23]])
    np.testing.assert_array_equal(model_averaging.joint_draws(scenarios, [first, second, None]),
                                  [[10, 21, np.nan, 23]])


# ---------------------------------------------------------------- model-averaged coverage of an exact posterior
def exact_two_scenarios(count, generator):
    """s in {0, 1} equally likely; T ~ N(mu_s, 1) with mu = (-1, 1); x ~ N(T, 1). Exactly: x | s ~ N(mu_s, 2),
    P(s | x) proportional to N(x; mu_s, 2) and T | s, x ~ N((mu_s + x) / 2, 1 / 2); 399 exact draws of each."""
    mu = np.array([-1.0, 1.0])
    scenario = generator.integers(0, 2, count)
    true = generator.normal(mu[scenario], 1.0)
    x = generator.normal(true, 1.0)
    likelihood = stats.norm.pdf(x[:, None], mu[None, :], np.sqrt(2))
    probabilities = likelihood / likelihood.sum(axis=1, keepdims=True)
    draws = [generator.normal((m + x)[:, None] / 2, np.sqrt(0.5), (count, 399)) for m in mu]
    return probabilities, scenario, true, draws


def test_the_exact_model_averaged_posterior_covers_and_a_wrong_model_choice_does_not():
    probabilities, scenario, true, draws = exact_two_scenarios(3000, np.random.default_rng(7))
    report = model_averaging.model_averaged_calibration(probabilities, scenario, true, draws, "T", seed=1)
    entry = report["targets"]["T"]
    for level in ("0.5", "0.8", "0.9", "0.95"):
        # measured 0.508, 0.791, 0.899, 0.948 (399 draws: the intervals of 99 draws cover slightly less)
        assert abs(entry["coverage"][level] - float(level)) < 3.5 * np.sqrt(float(level) * (1 - float(level)) / 3000)
    assert entry["sbc"]["p_value"] > 1e-3
    # the most probable scenario's posterior alone, all weight on it: too narrow where the choice is unsure
    sure = np.eye(2)[probabilities.argmax(axis=1)]
    chosen = model_averaging.model_averaged_calibration(sure, scenario, true, draws, "T", seed=1)
    assert chosen["targets"]["T"]["coverage"]["0.95"] < 0.91  # measured 0.884


# ---------------------------------------------------------------- a tiny folder of two scenarios
SHRINK = {
    "name": "shrink", "description": "size N * f today, N before T generations ago",
    "priors": {"N": {"log_uniform": [500, 20000]}, "T": {"log_uniform": [50, 2000]}, "f": {"uniform": [0.05, 1.0]},
               "mu": 1e-7},
    "design": {"populations": ["POP"], "samples": [6], "ploidy": 2,
               "loci": [{"name": "w", "count": 4, "sequence_length": 5000, "mutation_rate": 1e-7,
                         "recombination_rate": 1e-8}]},
    "demes": [{"name": "POP", "initial_size": "N * f"}],
    "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N"}],
}
GROW = {**copy.deepcopy(SHRINK), "name": "grow", "description": "size N * g today, N before T generations ago",
        "priors": {"N": {"log_uniform": [500, 20000]}, "T": {"log_uniform": [50, 2000]}, "g": {"uniform": [2, 10]},
                   "mu": 1e-7},
        "demes": [{"name": "POP", "initial_size": "N * g"}]}
TINY = PosteriorSettings(components=2, hidden=16, epochs=15, patience=5, batch_size=64)


@pytest.fixture(scope="module")
def two_scenarios(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("joint") / "sims")
    simulate([Scenario(SHRINK), Scenario(GROW)], 100, folder, workers=1, progress=False)
    return folder


def test_a_joint_posterior_of_two_scenarios_survives_saving(two_scenarios, tmp_path):
    joint = fit_joint_posterior(two_scenarios, settings=TINY)
    assert joint.scenarios == ["shrink", "grow"] and joint.shared_targets() == {"N": ["shrink", "grow"],
                                                                               "T": ["shrink", "grow"]}
    # each scenario's head is the single-scenario posterior of the same settings, held-out share and seed
    alone = fit_posterior(two_scenarios, "grow", settings=TINY)
    data = load_simulations(two_scenarios)
    genotypes = simulated_genotypes(data, 0)
    np.testing.assert_allclose(joint.estimators[1].sample(genotypes, 50, seed=2), alone.sample(genotypes, 50, seed=2))
    calibration = joint.calibration
    assert calibration["classifier"]["replicates"] == 20 and calibration["classifier"]["calibrated"]
    assert 0 <= calibration["classifier"]["after_scaling"]["ece"] <= 1
    assert calibration["scenarios"]["grow"]["simulations"] == 10
    assert set(calibration["model-averaged"]) == {"N", "T"}
    assert calibration["model-averaged"]["T"]["simulations"] == 20
    summary = joint.summary(genotypes)
    assert sum(summary["probabilities"].values()) == pytest.approx(1)
    assert set(summary["scenarios"]["shrink"]) == {"N", "T", "f"}
    assert set(summary["scenarios"]["grow"]) == {"N", "T", "g"}
    averaged = summary["model-averaged"]["T"]
    assert averaged["weights"] == pytest.approx(summary["probabilities"]) and averaged["share"] == pytest.approx(1)
    low, high = averaged["intervals"]["0.95"]
    assert 50 <= low <= averaged["median"] <= high <= 2000
    scenarios, values = joint.sample(genotypes, draws=300, seed=3)
    assert set(scenarios) <= {"shrink", "grow"} and np.all(np.isnan(values["f"]) == (scenarios == "grow"))
    assert np.all(np.isfinite(values["T"]))
    rows = joint.summary_rows([genotypes], ["first"])
    assert [(row["scenario"], row["target"]) for row in rows] == [
        ("shrink", "N"), ("shrink", "T"), ("shrink", "f"), ("grow", "N"), ("grow", "T"), ("grow", "g"),
        ("model-averaged", "N"), ("model-averaged", "T")]
    assert rows[-1]["averaged_over"] == "shrink+grow" and rows[-1]["median"] == averaged["median"]
    joint.estimators[1].recalibration_split = {"split": "recalibration", "simulations": 3}  # as a larger fit says
    path = joint.save(str(tmp_path / "posterior.npz"))
    again = load_posterior(path)
    assert isinstance(again, JointPosterior) and again.calibration == calibration
    assert [e.recalibration_split for e in again.estimators] == [None, {"split": "recalibration", "simulations": 3}]
    assert again.summary_rows([genotypes], ["first"]) == rows
    assert isinstance(load_posterior(alone.save(str(tmp_path / "alone.npz"))), PosteriorEstimator)


def test_a_joint_posterior_refuses_a_target_one_scenario_lacks_before_fitting(two_scenarios):
    with pytest.raises(PosteriorTargetError, match="target 'f' names f, which scenario 'grow' has no prior for"):
        fit_joint_posterior(two_scenarios, targets=["T", "f"], settings=TINY)


def test_a_joint_posterior_of_flow_heads_on_shared_targets_survives_saving(two_scenarios, tmp_path):
    settings = PosteriorSettings(head="flow", flow_steps=2, flow_hidden=4, hidden=16, epochs=5, patience=5,
                                 batch_size=64)
    joint = fit_joint_posterior(two_scenarios, targets=["N", "T"], settings=settings, held_out_fraction=0.0)
    assert joint.calibration is None  # nothing held out: no checks, said by their absence
    genotypes = simulated_genotypes(load_simulations(two_scenarios), 3)
    again = JointPosterior.load(joint.save(str(tmp_path / "flow.npz")))
    assert [estimator.head["head"] for estimator in again.estimators] == ["flow", "flow"]
    for before, after in zip(joint.sample(genotypes, 200, seed=1), again.sample(genotypes, 200, seed=1)):
        if isinstance(before, dict):
            for target in before:
                np.testing.assert_allclose(after[target], before[target])
        else:
            np.testing.assert_array_equal(after, before)


def test_a_joint_posterior_needs_two_scenarios(tmp_path):
    folder = str(tmp_path / "one")
    simulate([Scenario(SHRINK)], 20, folder, workers=1, progress=False)
    with pytest.raises(PosteriorTargetError, match="holds the one scenario shrink; a joint posterior with the model "
                                                   "choice needs two scenarios or more"):
        fit_joint_posterior(folder, settings=TINY)


CONSTANT = {**copy.deepcopy(SHRINK), "name": "constant", "description": "size 5000 throughout",
            "priors": {"N": 5000, "mu": 1e-7}, "demes": [{"name": "POP", "initial_size": "N"}], "events": []}


def test_a_scenario_that_fixes_every_prior_enters_through_its_probability_alone(tmp_path):
    folder = str(tmp_path / "with_constant")
    simulate([Scenario(SHRINK), Scenario(CONSTANT)], 40, folder, workers=1, progress=False)
    joint = fit_joint_posterior(folder, settings=TINY)
    assert joint.scenarios == ["shrink", "constant"] and [e.scenario for e in joint.estimators] == ["shrink"]
    assert joint.shared_targets() == {}
    genotypes = simulated_genotypes(load_simulations(folder), 0)
    rows = JointPosterior.load(joint.save(str(tmp_path / "joint.npz"))).summary_rows([genotypes], ["first"])
    assert [(row["scenario"], row["target"]) for row in rows] == [("shrink", "N"), ("shrink", "T"), ("shrink", "f"),
                                                                 ("constant", "")]
    assert sum(row["probability"] for row in rows[2:]) == pytest.approx(1) and "mean" not in rows[-1]
    scenarios, values = joint.sample(genotypes, draws=300, seed=2)
    assert np.all(np.isnan(values["N"]) == (scenarios == "constant"))
    with pytest.raises(PosteriorTargetError, match="target 'T' names T, which scenario 'constant' has no prior"):
        fit_joint_posterior(folder, targets=["T"], settings=TINY)


def test_a_folder_whose_scenarios_fix_every_prior_is_refused_in_one_sentence(tmp_path):
    folder = str(tmp_path / "fixed")
    other = {**copy.deepcopy(CONSTANT), "name": "smaller", "priors": {"N": 1000, "mu": 1e-7}}
    simulate([Scenario(CONSTANT), Scenario(other)], 5, folder, workers=1, progress=False)
    with pytest.raises(PosteriorTargetError, match="every scenario of .* fixes all its priors: there is no parameter "
                                                   "to estimate, only the model choice"):
        fit_joint_posterior(folder, settings=TINY)


# ---------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def observed_trees(tmp_path_factory):
    """Four loci of one population of constant size 4000, as the design: one .trees file each."""
    folder = tmp_path_factory.mktemp("observed")
    demography = msprime.Demography()
    demography.add_population(name="POP", initial_size=4_000)
    paths = []
    for locus in range(4):
        ancestry = msprime.sim_ancestry({"POP": 6}, demography=demography, sequence_length=5000,
                                        recombination_rate=1e-8, random_seed=locus + 1)
        paths.append(str(folder / f"locus{locus}.trees"))
        msprime.sim_mutations(ancestry, rate=1e-7, random_seed=locus + 1).dump(paths[-1])
    return paths


TINY_FLAGS = ["--components", "2", "--hidden", "16", "--epochs", "15", "--patience", "5", "--batch-size", "64"]


def csv_rows(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_posterior_with_every_scenario_writes_the_joint_posterior_and_applies_it_later(two_scenarios, observed_trees,
                                                                                        tmp_path, capsys):
    out = tmp_path / "joint"
    assert main(["posterior", two_scenarios, "--scenario", "all", "--out", str(out), *TINY_FLAGS,
                 "--predictive", "20", "--trees", *observed_trees]) == 0
    printed = capsys.readouterr().out
    assert "P(scenario | data) on 20 held-out replicates: accuracy" in printed and "temperature-scaled" in printed
    assert "model-averaged T (mixture over shrink, grow, weights P(s | data))" in printed
    assert "4 .trees files: P(scenario | data) shrink " in printed
    for name in ("calibration_shrink.png", "calibration_grow.png", "calibration_model_averaged.png"):
        assert os.path.getsize(out / name) > 0
    joint = JointPosterior.load(str(out / "posterior.npz"))
    data_sets, labels = read_observed(ObservedFiles(trees=observed_trees), load_simulations(two_scenarios).design)
    expected = joint.summary_rows(data_sets, labels)  # the same draws (seed 0) from the saved file
    rows = csv_rows(out / "posterior.csv")
    assert [(row["scenario"], row["target"]) for row in rows] == [(row["scenario"], row["target"]) for row in expected]
    assert [row["scenario"] for row in rows][-2:] == ["model-averaged", "model-averaged"]
    for row, want in zip(rows, expected):
        assert float(row["probability"]) == pytest.approx(want["probability"], rel=1e-6)
        assert float(row["median"]) == pytest.approx(want["median"], rel=1e-6)
    with open(out / "posterior.json") as handle:
        summary = json.load(handle)["4 .trees files"]
    assert summary["probabilities"] == pytest.approx(joint.probabilities(data_sets[0]))
    best = max(summary["probabilities"], key=summary["probabilities"].get)
    assert f"4 .trees files: posterior predictive check (20 replicates of {best}" in printed
    # applied later to the same data: the same table, no fit
    again = tmp_path / "again"
    assert main(["posterior", two_scenarios, "--estimator", str(out / "posterior.npz"), "--out", str(again),
                 "--predictive", "0", "--trees", *observed_trees]) == 0
    assert csv_rows(again / "posterior.csv") == rows and not os.path.exists(again / "posterior.npz")


@pytest.mark.parametrize("arguments, message", [
    (["--scenario", "other"], "scenario 'other' is not in"),
    (["--scenario", "all", "--targets", "T, f"], "target 'f' names f, which scenario 'grow' has no prior for"),
    (["--estimator", "absent.npz", "--trees", "x.trees"], "no model file at 'absent.npz'"),
    (["--estimator", "absent.npz", "--scenario", "all"], "leave out --scenario and --targets"),
])
def test_a_joint_posterior_with_bad_names_is_refused_in_one_sentence(two_scenarios, tmp_path, capsys, arguments,
                                                                      message):
    assert main(["posterior", two_scenarios, "--out", str(tmp_path / "out"), *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not os.path.exists(tmp_path / "out" / "posterior.npz")


def test_a_trained_bundle_gives_p_scenario_and_is_scored_on_the_held_out_replicates(two_scenarios, observed_trees,
                                                                                     tmp_path, capsys):
    # a model-choice bundle trained on other simulations of the same scenarios (another master seed)
    other, run = str(tmp_path / "other"), str(tmp_path / "run")
    simulate([Scenario(SHRINK), Scenario(GROW)], 30, other, master_seed=7, workers=1, progress=False)
    assert main(["train", other, "--out", run, "--epochs", "1", "--n-snps", "16"]) == 0
    bundle = os.path.join(run, "model.npz")
    capsys.readouterr()
    out = tmp_path / "joint"
    assert main(["posterior", two_scenarios, "--scenario", "all", "--bundle", bundle, "--out", str(out), *TINY_FLAGS,
                 "--predictive", "0", "--trees", *observed_trees]) == 0
    printed = capsys.readouterr().out
    assert "with the bundle's P(scenario | data) (" in printed and "on the same 20 held-out replicates" in printed
    data_sets, labels = read_observed(ObservedFiles(trees=observed_trees), load_simulations(two_scenarios).design)
    predicted = predict_genotypes(bundle, data_sets, labels)  # genomics predict's own path
    want = dict(zip(predicted["scenario_names"], predicted["data_sets"][0]["values"]))
    for row in csv_rows(out / "posterior.csv"):
        if row["scenario"] != "model-averaged":
            assert float(row["probability"]) == pytest.approx(want[row["scenario"]], rel=1e-6)
    assert f"4 .trees files: P(scenario | data) shrink {want['shrink']:.3f}" in printed
    assert f"from the bundle {bundle}: {predicted['output']}" in printed
    # a bundle of this very folder's seed is not scored on replicates it may have trained on
    trained_here = Bundle.load(bundle).with_entries(training={**Bundle.load(bundle).training, "master_seed": 1})
    options = argparse.Namespace(simulations=two_scenarios, bundle=bundle, held_out=0.1, calibration_share=0.1,
                                 init_seed=1)
    assert joint_command.bundle_check(trained_here, JointPosterior.load(str(out / "posterior.npz")), options) is None
    assert "may be its training replicates, so its P(scenario | data) is not scored" in capsys.readouterr().out
