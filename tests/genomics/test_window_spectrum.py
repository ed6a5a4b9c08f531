"""Each window's folded site frequency spectrum, binned: equal to scikit-allel's ``sfs_folded`` summed over the
bins, theta (1/i + 1/(n - i)) on average under a constant size (Fu 1995), and a feature a posterior can be
trained on."""

import allel
import msprime
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.encoding.window_spectrum import (SpectrumBinsError, bin_edges, folded_window_spectrum,
                                               spectrum_names)
from genomics.genotypes import Genotypes
from genomics.learning.posterior_features import spectrum_bins_of, window_statistic_names, window_statistics


@settings(max_examples=60, deadline=None)
@given(haplotypes=st.integers(2, 60), bins=st.integers(1, 40))
def test_bins_are_consecutive_classes_covering_the_folded_spectrum(haplotypes, bins):
    edges = bin_edges(haplotypes, bins)
    assert edges[0] == 1 and edges[-1] == haplotypes // 2 + 1
    assert len(edges) - 1 == min(bins, haplotypes // 2)
    assert np.all(np.diff(edges) >= 1)
    assert len(spectrum_names(haplotypes, bins)) == len(edges) - 1


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), haplotypes=st.integers(2, 40), bins=st.integers(1, 30),
       loci=st.integers(1, 5))
def test_each_window_matches_scikit_allel_sfs_folded_summed_over_the_bins(seed, haplotypes, bins, loci):
    generator = np.random.default_rng(seed)
    site_counts = generator.integers(0, 30, size=loci)
    genotypes = (generator.random((haplotypes, site_counts.sum())) < generator.random(site_counts.sum())).astype(
        np.int8)
    table = folded_window_spectrum(genotypes, site_counts, bins)
    edges = bin_edges(haplotypes, bins)
    start = 0
    for locus, count in enumerate(site_counts):
        block = genotypes[:, start:start + count]
        start += count
        if count == 0:      # scikit-allel refuses an empty array; a window without sites has an empty spectrum
            assert not table[locus].any()
            continue
        alternate = block.sum(axis=0)
        reference = allel.sfs_folded(np.stack([haplotypes - alternate, alternate], axis=1), n=haplotypes)
        expected = [reference[a:b].sum() for a, b in zip(edges[:-1], edges[1:])]
        np.testing.assert_array_equal(table[locus], expected)


def test_the_spectrum_of_a_constant_size_population_is_theta_over_i_folded():
    # E[xi_i] = theta (1/i + 1/(n - i)) / (1 + [i = n - i]), theta = 4 N mu L, per locus, averaged over 3,000 loci
    n, size, mu, length = 10, 1e4, 1e-8, 1e4
    replicates = msprime.sim_ancestry(n // 2, population_size=size, sequence_length=length, random_seed=4,
                                      num_replicates=3000)
    blocks, counts = [], []
    for index, ts in enumerate(replicates):
        ts = msprime.sim_mutations(ts, rate=mu, random_seed=index + 1, model=msprime.BinaryMutationModel())
        blocks.append(ts.genotype_matrix().T)
        counts.append(ts.num_sites)
    table = folded_window_spectrum(np.concatenate(blocks, axis=1), np.array(counts), bins=n // 2)
    theta = 4 * size * mu * length
    i = np.arange(1, n // 2 + 1)
    expected = theta * (1 / i + 1 / (n - i)) / (1 + (i == n - i))
    observed = table.mean(axis=0)
    # each mean over 3,000 loci: its standard error is below 6% of the expectation here
    np.testing.assert_allclose(observed, expected, rtol=0.15)


def test_a_site_with_missing_calls_counts_in_the_nearest_class_of_the_full_sample():
    calls = np.array([[1, 1], [0, -1], [0, -1], [0, 0], [-1, 1], [0, 0]], dtype=np.int8)   # 6 haplotypes
    # site 1: 1 of 5 called -> round(1 * 6 / 5) = 1; site 2: 2 of 4 called -> round(2 * 6 / 4) = 3
    np.testing.assert_array_equal(folded_window_spectrum(calls, [2], bins=3), [[1.0, 0.0, 1.0]])


def test_bad_requests_are_refused_in_one_sentence():
    with pytest.raises(SpectrumBinsError, match="at least 2 haplotypes"):
        bin_edges(1, 3)
    with pytest.raises(SpectrumBinsError, match="whole number >= 1, got 0"):
        bin_edges(10, 0)
    with pytest.raises(SpectrumBinsError, match="add up to 3, but the genotypes have 2 sites"):
        folded_window_spectrum(np.zeros((4, 2), np.int8), [3], 2)


def test_window_statistics_append_the_spectrum_under_its_names():
    generator = np.random.default_rng(1)
    calls = (generator.random((8, 12)) < 0.4).astype(np.int8)
    data = Genotypes(calls, np.arange(12.0), np.array([5, 7]), np.zeros(8, int), ["pop"], ploidy=2)
    plain, with_spectrum = window_statistics(data), window_statistics(data, spectrum_bins=3)
    names = window_statistic_names(["pop"], 8, 3)
    assert with_spectrum.shape == (2, plain.shape[1] + 3) == (2, len(names))
    assert names[-3:] == ["sfs_1", "sfs_2", "sfs_3-4"] and spectrum_bins_of(names) == 3
    np.testing.assert_array_equal(with_spectrum[:, :plain.shape[1]], plain)
    np.testing.assert_array_equal(with_spectrum[:, -3:].sum(axis=1), plain[:, 0])   # every segregating site once


def test_genomics_posterior_spectrum_bins_trains_on_them_and_gives_observed_data_the_same(tmp_path):
    from genomics.cli.main import main
    from genomics.learning.posterior import PosteriorEstimator
    from genomics.scenario.scenario import Scenario
    from genomics.simulation.run import load_simulations, simulate
    from genomics.simulation.store import simulated_genotypes

    scenario = {"name": "shrink", "priors": {"N": {"log_uniform": [500, 20000]}, "f": {"uniform": [0.05, 1.0]}},
                "design": {"populations": ["POP"], "samples": [6], "ploidy": 2,
                           "loci": [{"name": "w", "count": 3, "sequence_length": 5000, "mutation_rate": 1e-7,
                                     "recombination_rate": 1e-8}]},
                "demes": [{"name": "POP", "initial_size": "N * f"}],
                "events": [{"type": "size_change", "time": 500, "population": "POP", "size": "N"}]}
    folder = str(tmp_path / "sims")
    simulate([Scenario(scenario)], 60, folder, workers=1, progress=False)
    assert main(["posterior", folder, "--out", str(tmp_path / "post"), "--spectrum-bins", "4", "--epochs", "2"]) == 0
    estimator = PosteriorEstimator.load(str(tmp_path / "post" / "posterior.npz"))
    assert estimator.features.names[-4:] == spectrum_names(12, 4) == ["sfs_1", "sfs_2", "sfs_3", "sfs_4-6"]
    genotypes = simulated_genotypes(load_simulations(folder), 0)
    np.testing.assert_allclose(estimator.sample(genotypes, 50, seed=1),
                               estimator.sample_windows(window_statistics(genotypes, 4)[None], 50, seed=1)[0])
