"""genomics.baselines.sfs_likelihood: the composite-likelihood fit of a size change to a spectrum recovers known
parameters, counts spectra as tskit does, bootstraps windows, and refuses bad input in one sentence."""

import msprime
import numpy as np
import pytest

from genomics.baselines.expected_sfs import expected_spectrum, fold
from genomics.baselines.sfs_likelihood import (SpectrumFitError, SpectrumModel, bootstrap_fits, bootstrap_intervals,
                                               derived_spectra, fit_spectrum, log_likelihood, size_epochs)
from genomics.scenario.scenario import Scenario

TRUTH = {"N_ancestral": 27293.0, "post_decline_fraction": 0.2975, "generations": 2025.63}
MUTATION_RATE = 2.4245e-8


def decline(samples=(8,), ploidy=2, populations=("modern",)):
    """The GHIST bottleneck's model: wide priors not centred on TRUTH; a second population where asked."""
    demes = [{"name": "modern", "initial_size": "N_ancestral * post_decline_fraction"}]
    events = [{"type": "size_change", "time": "generations", "population": "modern", "size": "N_ancestral"}]
    if len(populations) == 2:
        demes.append({"name": "other", "initial_size": "N_ancestral"})
        events.append({"type": "split", "time": "generations * 2", "derived": ["other"], "ancestral": "modern"})
    return Scenario({"name": "decline", "priors": {"generations": {"log_uniform": [500, 20000]},
                                                   "post_decline_fraction": {"uniform": [0.05, 1.0]},
                                                   "N_ancestral": {"log_uniform": [5000, 100000]}},
                     "design": {"populations": list(populations), "samples": list(samples), "ploidy": ploidy,
                                "loci": [{"name": "w", "sequence_length": 1e6, "mutation_rate": MUTATION_RATE,
                                          "recombination_rate": 1e-8}]},
                     "demes": demes, "events": events})


def test_the_model_is_the_scenarios_size_history():
    model = SpectrumModel(decline(), MUTATION_RATE)
    assert model.haplotypes == 16 and sorted(model.free) == sorted(TRUTH)
    epochs = [(0, 27293.0 * 0.2975), (2025.63, 27293.0)]
    np.testing.assert_allclose(size_epochs(model.scenario.demography(TRUTH)), epochs)
    np.testing.assert_allclose(model.expected(TRUTH, 1e8), expected_spectrum(16, epochs, MUTATION_RATE, 1e8))
    np.testing.assert_allclose(model.expected(TRUTH, 1e8, folded=True),
                               fold(expected_spectrum(16, epochs, MUTATION_RATE, 1e8)))


@pytest.mark.parametrize("folded", [False, True])
def test_a_poisson_spectrum_of_a_long_sequence_gives_back_its_parameters(folded):
    model = SpectrumModel(decline(), MUTATION_RATE)
    length = 1e9                                      # about 7 million segregating sites
    expected = model.expected(TRUTH, length, folded)
    exact = fit_spectrum(expected, model, length, folded, starts=3, seed=1)
    for name, value in TRUTH.items():               # the expectation itself: the optimiser's own accuracy
        assert exact.parameters[name] == pytest.approx(value, rel=2e-3), name
    drawn = np.random.default_rng(5).poisson(expected).astype(float)
    fit = fit_spectrum(drawn, model, length, folded, starts=3, seed=2)
    # tolerance 10%: over 20 Poisson draws (seeds 100-119) the fits' relative errors had standard deviations of
    # 0.05-0.08% (N_ancestral), 1.0-1.2% (fraction) and 1.7-2.2% (generations; unfolded-folded): 10% is more than 4.5 of them
    for name, value in TRUTH.items():
        assert fit.parameters[name] == pytest.approx(value, rel=0.1), name
    assert fit.log_likelihood >= log_likelihood(drawn, expected) - 1e-6     # the maximum is at least the truth's
    assert fit.starts == 3 and 1 <= fit.converged <= 3


def test_window_spectra_count_derived_alleles_as_tskit_does():
    ts = msprime.sim_ancestry(6, population_size=1e4, sequence_length=3e5, recombination_rate=1e-8, random_seed=4)
    ts = msprime.sim_mutations(ts, rate=2e-8, random_seed=5, model=msprime.BinaryMutationModel(),
                               discrete_genome=False)
    windows = [0, 1e5, 2e5, 3e5]
    reference = ts.allele_frequency_spectrum(mode="site", windows=windows, polarised=True, span_normalise=False)
    calls = ts.genotype_matrix().T                  # (haplotypes, sites)
    counts = np.histogram(ts.tables.sites.position, bins=windows)[0]
    np.testing.assert_array_equal(derived_spectra(calls, counts), reference[:, 1:12])
    calls[0, 0] = -1                                # a site with a missing call is left out
    assert derived_spectra(calls, counts).sum() == reference[:, 1:12].sum() - (0 < calls[1:, 0].sum() + 1 < 12)


def test_a_bootstrap_of_identical_windows_has_no_spread_and_intervals_hold_the_estimate():
    model = SpectrumModel(decline(), MUTATION_RATE)
    window = model.expected(TRUTH, 1e7)
    estimate = fit_spectrum(window * 20, model, 2e8, starts=1, seed=0)
    values = bootstrap_fits(np.tile(window, (20, 1)), np.full(20, 1e7), model, estimate, replicates=2, seed=1)
    assert values.shape == (2, 3)
    np.testing.assert_allclose(values, [[estimate.parameters[name] for name in model.free]] * 2, rtol=1e-3)
    draws = np.random.default_rng(0).poisson(np.tile(window, (20, 1))).astype(float)
    values = bootstrap_fits(draws, np.full(20, 1e7), model, estimate, replicates=4, seed=1)
    intervals = bootstrap_intervals(values, model.free, 0.9)
    assert all(low < high for low, high in intervals.values()) and values.std(axis=0).min() > 0


@pytest.mark.parametrize("call, words", [
    (lambda m: fit_spectrum(np.ones(14), m, 1e6), "spectrum has shape (14,); the unfolded spectrum of 16 "
                                                    "haplotypes has 15 entries"),
    (lambda m: fit_spectrum(np.ones(15), m, 1e6, folded=True), "the folded spectrum of 16 haplotypes has 8"),
    (lambda m: fit_spectrum(-np.ones(15), m, 1e6), "spectrum holds the count -1.0; counts must be finite and >= 0"),
    (lambda m: fit_spectrum(np.zeros(15), m, 1e6), "spectrum holds no segregating site"),
    (lambda m: fit_spectrum(np.ones(15), m, -1.0), "sequence_length is -1.0"),
    (lambda m: fit_spectrum(np.ones(15), m, 1e6, starts=0), "starts is 0"),
    (lambda m: bootstrap_fits(np.ones((3, 15)), np.ones(2), m, None), "window_spectra has shape (3, 15) and "
                                                                      "window_lengths (2,)"),
])
def test_bad_spectra_and_settings_are_refused_in_one_sentence(call, words):
    model = SpectrumModel(decline(), MUTATION_RATE)
    with pytest.raises(SpectrumFitError) as caught:
        call(model)
    assert words in str(caught.value)


def test_scenarios_the_fit_cannot_take_are_refused_in_one_sentence():
    with pytest.raises(SpectrumFitError, match=r"scenario samples 2 populations \(\['modern', 'other'\]\); the "
                                               "spectrum fit takes one"):
        SpectrumModel(decline(samples=(4, 4), populations=("modern", "other")), MUTATION_RATE)
    with pytest.raises(SpectrumFitError, match="mutation_rate is 0"):
        SpectrumModel(decline(), 0.0)
    two = msprime.Demography.isolated_model([100, 100])
    with pytest.raises(SpectrumFitError, match="scenario has 2 populations"):
        size_epochs(two)
    growing = msprime.Demography.isolated_model([100], growth_rate=[0.01])
    with pytest.raises(SpectrumFitError, match="growth rate 0.01"):
        size_epochs(growing)
    pinched = msprime.Demography.isolated_model([100])
    pinched.add_instantaneous_bottleneck(time=50, strength=10, population=0)
    with pytest.raises(SpectrumFitError, match="the event InstantaneousBottleneck at 50.0 generations"):
        size_epochs(pinched)
