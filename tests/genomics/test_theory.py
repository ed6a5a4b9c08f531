"""Simulations agree with coalescent theory, within sampling error over many replicates.

Expectations are closed forms for non-recombining loci (so that every
replicate is one genealogy and the classical variances apply), computed
here independently of the simulation and summary-statistic code:

- constant size N, n haplotypes: E[pi] = theta = 4 N mu L and
  E[S] = theta a_n with a_n = sum_{i<n} 1/i (Watterson 1975; Tajima 1983);
- piecewise-constant sizes: E[pi] = 2 mu L E[T2], with the pair's
  coalescence time integrated epoch by epoch at rate 1 / (2 N(t));
- two populations of size N split T generations ago from an ancestor of
  size N: E[pi_within] = 4 N mu L and E[pi_between] = 2 mu L (T + 2N), so
  Hudson's F_ST = 1 - E[pi_w] / E[pi_b] = T / (T + 2N); migration lowers it.
"""

import math

import numpy as np
import pytest

from genomics.scenario.scenario import Scenario
from genomics.simulation.run import simulate_replicate

LENGTH, MU = 1e4, 2.5e-7


def scenario(priors, demes, events=(), populations=("POP",), samples=(20,)):
    return Scenario({
        "name": "theory", "priors": priors, "demes": demes, "events": list(events),
        "design": {"populations": list(populations), "samples": list(samples), "ploidy": 2, "sequence_length": LENGTH,
                   "recombination_rate": 0.0, "mutation_rate": MU},
    })


def replicates(model, count, first_seed=1):
    return [simulate_replicate(model, seed)["genotypes"] for seed in range(first_seed, first_seed + count)]


def mean_pairwise_differences(a, b=None):
    """pi within a set of haplotypes (b None), or the mean differences between haplotypes of a and b."""
    if b is None:
        n = a.shape[0]
        p = a.mean(axis=0)
        return float((2 * p * (1 - p)).sum() * n / (n - 1))
    p, q = a.mean(axis=0), b.mean(axis=0)
    return float((p * (1 - q) + q * (1 - p)).sum())


def assert_mean_within_sampling_error(values, expected, z=4.0):
    values = np.asarray(values, dtype=float)
    standard_error = values.std(ddof=1) / math.sqrt(values.size)
    assert abs(values.mean() - expected) < z * standard_error, (values.mean(), expected, standard_error)


def test_constant_size_pi_and_segregating_sites_match_theta():
    n, size = 40, 1000.0
    genotypes = replicates(scenario({"N": size}, [{"name": "POP", "initial_size": "N"}]), 400)
    theta = 4 * size * MU * LENGTH
    a_n = sum(1 / i for i in range(1, n))
    b_n = sum(1 / i**2 for i in range(1, n))
    pis = [mean_pairwise_differences(g) for g in genotypes]
    segregating = [g.shape[1] for g in genotypes]
    assert_mean_within_sampling_error(pis, theta)
    assert_mean_within_sampling_error(segregating, theta * a_n)
    assert_mean_within_sampling_error([s / a_n for s in segregating], theta)  # Watterson's estimator is unbiased
    # Tajima's variance of S for a non-recombining locus, against the replicates' spread (within 25%).
    assert np.var(segregating, ddof=1) == pytest.approx(theta * a_n + theta**2 * b_n, rel=0.25)


def expected_pair_coalescence_time(epochs):
    """E[T2] for sizes [(start_generation, N), ...] in increasing start order, the last epoch lasting forever."""
    expected, survival = 0.0, 1.0
    for (start, size), following in zip(epochs, epochs[1:] + [(math.inf, None)]):
        duration = following[0] - start
        rate = 1 / (2 * size)
        expected += survival * (1 - math.exp(-rate * duration)) / rate
        survival *= math.exp(-rate * duration) if duration != math.inf else 0.0
    return expected


def test_a_bottleneck_lowers_pi_to_the_piecewise_coalescent_expectation():
    size, f, start, duration = 1000.0, 0.02, 200.0, 100.0
    model = scenario({"N": size, "f": f, "T": start, "D": duration}, [{"name": "POP", "initial_size": "N"}],
                     [{"type": "size_change", "time": "T", "population": "POP", "size": "N * f"},
                      {"type": "size_change", "time": "T + D", "population": "POP", "size": "N"}])
    pis = [mean_pairwise_differences(g) for g in replicates(model, 400)]
    expected = 2 * MU * LENGTH * expected_pair_coalescence_time([(0.0, size), (start, size * f), (start + duration, size)])
    assert expected < 0.7 * 4 * size * MU * LENGTH  # the bottleneck matters: pi well below theta
    assert_mean_within_sampling_error(pis, expected)


def two_populations(split_time, migration=0.0):
    priors = {"N": 1000.0, "T": split_time}
    events = [{"type": "split", "time": "T", "derived": ["A", "B"], "ancestral": "ANC"}]
    if migration:
        priors["m"] = migration
        events.insert(0, {"type": "symmetric_migration", "populations": ["A", "B"], "rate": "m"})
    demes = [{"name": name, "initial_size": "N"} for name in ("A", "B", "ANC")]
    return scenario(priors, demes, events, populations=("A", "B"), samples=(10, 10))


def hudson_fst(genotypes_list, n_a=20):
    within = np.mean([(mean_pairwise_differences(g[:n_a]) + mean_pairwise_differences(g[n_a:])) / 2
                      for g in genotypes_list])
    between = np.mean([mean_pairwise_differences(g[:n_a], g[n_a:]) for g in genotypes_list])
    return 1 - within / between, within, between


@pytest.mark.parametrize("split_time", [200.0, 2000.0])
def test_fst_after_a_split_follows_t_over_t_plus_2n(split_time):
    genotypes = replicates(two_populations(split_time), 300)
    fst, within, between = hudson_fst(genotypes)
    assert within == pytest.approx(4 * 1000 * MU * LENGTH, rel=0.15)
    assert between == pytest.approx(2 * MU * LENGTH * (split_time + 2000), rel=0.15)
    assert fst == pytest.approx(split_time / (split_time + 2000), abs=0.05)


def test_fst_rises_with_split_time_and_falls_with_migration():
    fst = {label: hudson_fst(replicates(two_populations(t, m), 200))[0]
           for label, (t, m) in {"young": (200.0, 0.0), "old": (4000.0, 0.0), "old, 4Nm = 0.4": (4000.0, 1e-4),
                                 "old, 4Nm = 4": (4000.0, 1e-3)}.items()}
    assert fst["young"] < fst["old"]
    assert fst["old"] > fst["old, 4Nm = 0.4"] > fst["old, 4Nm = 4"]


def test_a_demes_yaml_scenario_with_priors_follows_the_same_theory(tmp_path):
    from genomics.scenario.scenario import ScenarioError, load_toml

    (tmp_path / "split.yaml").write_text(
        "time_units: generations\n"
        "demes:\n"
        "  - name: ANC\n    epochs: [{end_time: T, start_size: N}]\n"
        "  - name: A\n    ancestors: [ANC]\n    epochs: [{start_size: N}]\n"
        "  - name: B\n    ancestors: [ANC]\n    epochs: [{start_size: N}]\n")
    (tmp_path / "split.toml").write_text(
        'name = "yaml_split"\ndemes_yaml = "split.yaml"\n[priors]\nN = 1000.0\nT = 2000.0\n'
        f'[design]\npopulations = ["A", "B"]\nsamples = [10, 10]\nsequence_length = {LENGTH}\n'
        f'recombination_rate = 0.0\nmutation_rate = {MU}\n')
    (model,) = load_toml(str(tmp_path / "split.toml"))
    genotypes = replicates(model, 300)
    fst, within, between = hudson_fst(genotypes)
    assert fst == pytest.approx(2000 / (2000 + 2000), abs=0.05)
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\ndemes_yaml = "split.yaml"\n[priors]\nN = 1000.0\n[design]\npopulations = ["A"]\n'
        'samples = [2]\n')
    with pytest.raises(ScenarioError, match=r"demes_yaml.demes\[0\].epochs\[0\].end_time refers to \['T'\]"):
        load_toml(str(tmp_path / "bad.toml"))
