"""genomics.baselines.expected_sfs: the expected spectrum of a piecewise-constant size history, checked against
the closed form of a constant size and against msprime's genealogies (tskit's branch-mode spectrum)."""

import msprime
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.baselines.expected_sfs import (ExpectedSpectrumError, expected_branch_lengths, expected_lineage_times,
                                             expected_spectrum, fold)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 60), size=st.floats(10.0, 1e6), mutation_rate=st.floats(1e-9, 1e-7),
       length=st.floats(1e3, 1e9))
def test_a_constant_size_gives_four_n_mu_l_over_i(n, size, mutation_rate, length):
    expected = expected_spectrum(n, [(0, size)], mutation_rate, length)
    np.testing.assert_allclose(expected, 4 * size * mutation_rate * length / np.arange(1, n), rtol=1e-10)
    # and E[T_k] = 4 N / (k (k - 1)), k = n .. 2
    k = np.arange(n, 1, -1)
    np.testing.assert_allclose(expected_lineage_times(n, [(0, size)]), 4 * size / (k * (k - 1)), rtol=1e-10)


def test_epochs_of_equal_sizes_are_one_constant_size():
    split = expected_branch_lengths(30, [(0, 5000), (100, 5000), (2000, 5000), (50000, 5000)])
    np.testing.assert_allclose(split, 4 * 5000 / np.arange(1, 30), rtol=1e-9)


def test_a_change_long_after_every_coalescence_leaves_the_recent_size():
    # 1e9 generations: some 20,000 coalescent time units of a size of 2,000: every lineage has met
    np.testing.assert_allclose(expected_branch_lengths(20, [(0, 2000), (1e9, 1e6)]), 8000 / np.arange(1, 20),
                               rtol=1e-9)


def branch_spectra(n, demography, replicates, seed, polarised=True, ploidy=2):
    """tskit's branch-mode spectrum of each of ``replicates`` non-recombining genealogies of n haplotypes
    (as n / 2 diploids, so that a pair coalesces at rate 1 / (2N)): (replicates, n + 1)."""
    return np.array([ts.allele_frequency_spectrum(mode="branch", polarised=polarised, span_normalise=False)
                     for ts in msprime.sim_ancestry(n // ploidy, demography=demography, num_replicates=replicates,
                                                    ploidy=ploidy, random_seed=seed)])


@pytest.mark.parametrize("epochs", [[(0, 2000), (500, 10000)],                 # a decline 500 generations ago
                                    [(0, 20000), (300, 1000), (1500, 8000)]])  # a recent expansion after a bottleneck
def test_msprime_genealogies_average_to_the_expected_branch_lengths(epochs):
    n, replicates = 10, 2000
    demography = msprime.Demography()
    demography.add_population(name="pop", initial_size=epochs[0][1])
    for start, size in epochs[1:]:
        demography.add_population_parameters_change(time=start, initial_size=size, population="pop")
    spectra = branch_spectra(n, demography, replicates, seed=11)[:, 1:n]
    mean, standard_error = spectra.mean(axis=0), spectra.std(axis=0, ddof=1) / np.sqrt(replicates)
    # each of the 9 entries within 4 standard errors of the mean of 2,000 genealogies: for a correct B_i each
    # entry misses with probability 6e-5 (normal approximation of a mean of 2,000), 6e-4 for all 9 together
    z = (mean - expected_branch_lengths(n, epochs)) / standard_error
    assert np.all(np.abs(z) < 4), z
    # the check can fail: the spectrum of a constant size at the first epoch's size is far outside it
    assert np.max(np.abs((mean - 4 * epochs[0][1] / np.arange(1, n)) / standard_error)) > 10


@pytest.mark.parametrize("n", [9, 10])
def test_folding_matches_tskits_unpolarised_spectrum(n):
    demography = msprime.Demography.isolated_model([5000])
    unfolded = branch_spectra(n, demography, 20, seed=3, ploidy=1)
    folded = branch_spectra(n, demography, 20, seed=3, polarised=False, ploidy=1)
    np.testing.assert_allclose(fold(unfolded[:, 1:n]), folded[:, 1:n // 2 + 1], rtol=1e-12)
    assert fold(np.ones(n - 1)).shape == (n // 2,)
    np.testing.assert_array_equal(fold(np.arange(1.0, 9.0)), [9, 9, 9, 9])    # n = 9: xi_i + xi_{9-i}, i = 1..4
    np.testing.assert_array_equal(fold(np.arange(1.0, 10.0)), [10, 10, 10, 10, 5])  # n = 10: xi_5 alone


@pytest.mark.parametrize("call, words", [
    (lambda: expected_branch_lengths(1, [(0, 100)]), "1 haplotypes; a spectrum needs a whole number >= 2"),
    (lambda: expected_branch_lengths(10, []), "epochs is empty"),
    (lambda: expected_branch_lengths(10, [(5, 100)]), "the first epoch starts at 5.0 generations"),
    (lambda: expected_branch_lengths(10, [(0, 100), (0, 200)]), "epoch 1 starts at 0.0 generations"),
    (lambda: expected_branch_lengths(10, [(0, -100)]), "epoch 0 has the diploid size -100.0"),
    (lambda: expected_spectrum(10, [(0, 100)], 0.0, 1e6), "mutation_rate is 0.0"),
])
def test_bad_requests_are_refused_in_one_sentence(call, words):
    with pytest.raises(ExpectedSpectrumError, match=words.replace("(", r"\(").replace(".", r"\.")):
        call()
