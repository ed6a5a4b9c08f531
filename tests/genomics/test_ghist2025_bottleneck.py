"""examples/ghist2025_bottleneck: the organisers' score and model, and the quick mode's every step.

The score is checked on the published leaderboard (each final entry's prediction gives its published score),
the scenario against the organisers' own msprime demography (a split of "modern" from "ancestral"), and the
quick mode runs simulation, training, re-simulated data sets at the truth and their scores."""

import runpy
from pathlib import Path

import msprime
import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ghist2025_bottleneck"
#: results_analysis/results/latex_tables/bottleneck_res_table.latex: (generations, fraction, published score)
LEADERBOARD = {"JiatongLiang": (9650.0, 0.5598, 3.8658), "srong": (3620.975359, 0.4008416448, 0.8608),
               "solomonsloat": (3416.0, 0.2859, 0.6875), "rgollnisch": (3250.0, 0.275, 0.6092),
               "wang0207": (1840.967651, 0.449394, 0.5186), "avaughn": (3050.0, 0.275, 0.5113),
               "tstentella": (2965.10, 0.2747, 0.4701), "austin.t.daigle": (2160.0, 0.27, 0.1138)}


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE / "run.py"))


def test_the_score_gives_every_published_entry_its_published_score(example):
    for name, (generations, fraction, published) in LEADERBOARD.items():
        predicted = {"generations": generations, "post_decline_fraction": fraction}
        assert example["score"](example["TRUTH"], predicted) == pytest.approx(published, abs=5e-5), name
    assert example["ENTRIES_MEDIAN"] == pytest.approx(np.median([entry[2] for entry in LEADERBOARD.values()]))


def test_the_scenario_at_the_truth_is_the_organisers_demography(example):
    # sim_GHIST_bottleneck_2025.py: Na = 27293, nu = 0.2975, T = 0.037109 (units of 2 Na), "modern" split off
    organisers = msprime.Demography()
    organisers.add_population(name="modern", initial_size=27293 * 0.2975)
    organisers.add_population(name="ancestral", initial_size=27293)
    organisers.add_population_split(time=2 * 27293 * 0.037109, derived=["modern"], ancestral="ancestral")
    ours = example["study_scenario"](2, 1e4).demography(example["TRUTH"])
    times = np.linspace(0, 2e5, 400)
    theirs_rates, _ = organisers.debug().coalescence_rate_trajectory(times, {"modern": 2})
    our_rates, _ = ours.debug().coalescence_rate_trajectory(times, {"modern": 2})
    np.testing.assert_allclose(our_rates, theirs_rates, rtol=1e-9)
    assert 2 * 27293 * 0.037109 == pytest.approx(example["TRUTH"]["generations"], rel=1e-12)


def write_truth_vcf(path: Path, length: float = 4e4) -> None:
    """22 diploids at the truth, written by msprime and tskit directly (not by genomics)."""
    organisers = msprime.Demography()
    organisers.add_population(name="modern", initial_size=27293 * 0.2975)
    organisers.add_population(name="ancestral", initial_size=27293)
    organisers.add_population_split(time=2025.6318740000002, derived=["modern"], ancestral="ancestral")
    ts = msprime.sim_ancestry({"modern": 22}, demography=organisers, sequence_length=length,
                              recombination_rate=1.5271e-8, random_seed=12)
    ts = msprime.sim_mutations(ts, rate=2.4245e-8, random_seed=5566)
    with open(path, "w") as handle:
        ts.write_vcf(handle, position_transform=lambda x: np.asarray(x) + 1)


def test_the_quick_mode_scores_data_sets_re_simulated_at_the_truth(example, tmp_path, capsys):
    write_truth_vcf(tmp_path / "truth.vcf")
    results = example["main"](["--quick", "--method", "npe", "--out", str(tmp_path), "--vcf",
                               str(tmp_path / "truth.vcf")])
    rows = results["datasets"]
    assert len(rows) == 3 and len({row["seed"] for row in rows}) == 3
    for row in rows:
        relative = [(example["TRUTH"][k] - row[k]) / example["TRUTH"][k] for k in ("generations",
                                                                                   "post_decline_fraction")]
        assert row["score"] == pytest.approx(np.sqrt(np.sum(np.square(relative))))
        assert 500 <= row["generations"] <= 20000 and 0.05 <= row["post_decline_fraction"] <= 1.0   # the priors
        assert all(low <= high for low, high in zip(row["low_90"], row["high_90"]))
    assert results["median_score"] == pytest.approx(np.median([row["score"] for row in rows]))
    assert results["rounds"] == 2 and len(results["round_1"]["datasets"]) == 3
    assert rows == results["round_2"]["datasets"]
    for target, (low, high) in results["round_2"]["priors"].items():      # the cut priors lie inside the wide ones
        assert {"generations": 500, "post_decline_fraction": 0.05}[target] <= low < high <= \
            {"generations": 20000, "post_decline_fraction": 1.0}[target]
    assert (tmp_path / "posterior.npz").exists() and (tmp_path / "results.json").exists()
    printed = capsys.readouterr().out
    assert "the winner's 0.1138" in printed and "in 2 windows" in printed
    estimate = results["vcf"]["median"]
    assert 500 <= estimate["generations"] <= 20000 and 0.05 <= estimate["post_decline_fraction"] <= 1.0
    assert results["vcf"]["score"] == pytest.approx(example["score"](example["TRUTH"], estimate))
    # a second run of the same settings reads the simulations back instead of simulating them again
    again = example["main"](["--quick", "--method", "npe", "--out", str(tmp_path), "--vcf",
                             str(tmp_path / "truth.vcf")])
    printed = capsys.readouterr().out
    assert printed.count("read 3 replicates from") == 1 and printed.count("read 40 replicates from") == 2
    assert again["datasets"] == results["datasets"]


def test_the_quick_spectrum_fit_scores_simulated_organisers_and_vcf_data_sets(example, tmp_path, capsys):
    write_truth_vcf(tmp_path / "truth.vcf", length=3e5)
    results = example["main"](["--quick", "--method", "sfs", "--organisers", "1", "--out", str(tmp_path), "--vcf",
                               str(tmp_path / "truth.vcf")])
    rows = results["datasets"]
    assert results["method"] == "sfs" and len(rows) == 3 and len({row["seed"] for row in rows}) == 3
    for row in rows + results["organisers"]["datasets"] + [results["vcf"]]:
        predicted = {k: row[k] for k in ("generations", "post_decline_fraction")}
        assert row["score"] == pytest.approx(example["score"](example["TRUTH"], predicted))
        assert 500 <= row["generations"] <= 20000 and 0.05 <= row["post_decline_fraction"] <= 1.0   # the priors
        assert 5000 <= row["N_ancestral"] <= 100000 and row["segregating_sites"] > 0
        for name, (low, high) in row["bootstrap_90"].items():
            assert low <= high, name
    assert results["median_score"] == pytest.approx(np.median([row["score"] for row in rows]))
    for target in ("generations", "post_decline_fraction"):
        errors = [(row[target] - example["TRUTH"][target]) / example["TRUTH"][target] for row in rows]
        assert results[target]["mean_relative_error"] == pytest.approx(np.mean(errors))
    assert not (tmp_path / "organisers_1.vcf").exists()                  # the simulated VCF is not kept
    printed = capsys.readouterr().out
    assert "the winner's 0.1138" in printed and "truth.vcf: " in printed and " in 3 windows" in printed
    again = example["main"](["--quick", "--out", str(tmp_path)])         # sfs is the default; spectra read back
    assert "read 3 data sets from" in capsys.readouterr().out and again["datasets"] == rows


def test_a_missing_vcf_is_refused_before_any_simulation(example, tmp_path, capsys):
    with pytest.raises(SystemExit):
        example["main"](["--quick", "--out", str(tmp_path / "out"), "--vcf", str(tmp_path / "absent.vcf")])
    assert "absent.vcf' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_round_two_cuts_each_prior_to_the_posteriors_box_widened_by_a_quarter(example):
    scenario = example["study_scenario"](2, 1e4)
    generator = np.random.default_rng(3)
    # two data sets' posterior draws: generations log-uniform on [1000, 3000] and [1500, 4000]; fraction in [0.2, 0.4]
    samples = np.stack([np.stack([np.exp(generator.uniform(np.log(a), np.log(b), 20000)),
                                  generator.uniform(0.2, 0.4, 20000)], axis=1) for a, b in ((1000, 3000), (1500, 4000))])
    cut = example["truncated"](scenario, samples)
    low, high = np.log(1000), np.log(4000)      # near the 0.1% and 99.9% quantiles, on the log scale
    expected = np.exp([low - 0.25 * (high - low), high + 0.25 * (high - low)])
    np.testing.assert_allclose(cut.priors["generations"].support, expected, rtol=0.01)
    np.testing.assert_allclose(cut.priors["post_decline_fraction"].support, [0.15, 0.45], atol=0.002)
    assert cut.priors["N_ancestral"].support == scenario.priors["N_ancestral"].support
    wide = np.stack([np.exp(generator.uniform(np.log(500), np.log(20000), 20000)), samples[0][:, 1]], axis=1)[None]
    assert example["truncated"](scenario, wide).priors["generations"].support == (500, 20000)   # kept in the prior
