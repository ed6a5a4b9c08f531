"""Summary statistics against scikit-allel (an independent implementation), and rejection ABC."""

import allel
import numpy as np
import pytest

from genomics import abc, catalogue
from genomics.simulate import simulate_replicate
from genomics.sumstats import pair_statistics, population_statistics, statistic_names, summary_statistics


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statistics_match_scikit_allel(seed):
    replicate = simulate_replicate(catalogue.get("divergence_with_migration"), seed)
    g, length = replicate["genotypes"], replicate["sequence_length"]
    sites = np.arange(1, g.shape[1] + 1)
    a, b = g[:20], g[20:40]
    counts_a = allel.HaplotypeArray(a.T).count_alleles()
    counts_b = allel.HaplotypeArray(b.T).count_alleles()
    ours = population_statistics(a, length)
    per_bp = len(sites) / length  # scikit-allel divides by the span of the sites given
    assert ours["pi"] == pytest.approx(allel.sequence_diversity(sites, counts_a) * per_bp)
    assert ours["theta_w"] == pytest.approx(allel.watterson_theta(sites, counts_a) * per_bp)
    assert ours["tajima_d"] == pytest.approx(allel.tajima_d(counts_a))
    numerator, denominator = allel.hudson_fst(counts_a, counts_b)
    pair = pair_statistics(a, b, length)
    assert pair["fst"] == pytest.approx(numerator.sum() / denominator.sum())
    assert pair["dxy"] == pytest.approx(allel.sequence_divergence(sites, counts_a, counts_b) * per_bp)


def test_summary_statistics_are_named_in_order():
    names = statistic_names(["A", "B", "C"])
    assert names[:3] == ["pi_A", "theta_w_A", "tajima_d_A"] and names[-2:] == ["dxy_B_C", "fst_B_C"]
    values = summary_statistics(np.eye(6, 4, dtype=np.int8), np.repeat([0, 1, 2], 2), 100.0)
    assert values.shape == (len(names),)


def test_rejection_abc_recovers_well_separated_models_and_scales_by_mad():
    rng = np.random.default_rng(0)
    reference = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(10, 1, (200, 2))])
    reference[:, 1] *= 1000  # a statistic on another scale must not dominate after MAD scaling
    labels = np.repeat([0, 1], 200)
    observed = np.array([[0.2, 100.0], [9.5, 9800.0]])
    posteriors = abc.model_choice(reference, labels, observed, classes=2, tolerance=0.05)
    np.testing.assert_allclose(posteriors, [[1, 0], [0, 1]])
    assert posteriors.sum(axis=1) == pytest.approx([1, 1])
    with pytest.raises(ValueError, match="tolerance"):
        abc.model_choice(reference, labels, observed, 2, tolerance=0)
