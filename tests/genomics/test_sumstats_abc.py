"""Per-locus summary statistics against scikit-allel and closed forms, and ABC model choice where the answer is known."""

import allel
import numpy as np
import pytest

from genomics.baselines import abc
from genomics.scenario import catalogue
from genomics.simulation.run import simulate_replicate
from genomics.encoding.sumstats import locus_statistics, statistic_names, summary_statistics


def allel_statistics(h):
    """pi, S, theta_w, Tajima's D and theta_H of one locus (haplotypes, sites), by scikit-allel and by hand."""
    counts = allel.HaplotypeArray(h.T).count_alleles()
    sites = np.arange(1, h.shape[1] + 1)
    n = h.shape[0]
    derived = h.sum(axis=0)
    return {"S": int(counts.count_segregating()), "pi": allel.sequence_diversity(sites, counts) * len(sites),
            "theta_w": allel.watterson_theta(sites, counts) * len(sites), "tajima_d": allel.tajima_d(counts),
            "theta_h": float(np.sum(2 * derived**2 / (n * (n - 1))))}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_per_locus_statistics_match_scikit_allel(seed):
    replicate = simulate_replicate(catalogue.get("divergence_with_migration"), seed)
    g = replicate["genotypes"]
    populations = np.repeat([0, 1, 2], 20)
    split = g.shape[1] // 3
    counts = np.array([split, g.shape[1] - split])  # two loci
    table = locus_statistics(g, counts, populations, folded=False)
    names = statistic_names(["A", "B", "C"])
    column = {name: table[:, i] for i, name in enumerate(names)}
    for locus, sites in enumerate([slice(0, split), slice(split, None)]):
        for prefix, rows in (("", slice(None)), ("_A", slice(0, 20)), ("_B", slice(20, 40))):
            expected = allel_statistics(g[rows, sites])
            for stat, value in expected.items():
                assert column[stat + prefix][locus] == pytest.approx(value), (stat + prefix, locus)
            assert column["fay_wu_h" + prefix][locus] == pytest.approx(expected["pi"] - expected["theta_h"])
        a, b = allel.HaplotypeArray(g[:20, sites].T).count_alleles(), allel.HaplotypeArray(g[20:40, sites].T).count_alleles()
        numerator, denominator = allel.hudson_fst(a, b)
        assert column["fst_A_B"][locus] == pytest.approx(numerator.sum() / denominator.sum())
        assert column["dxy_A_B"][locus] == pytest.approx(allel.mean_pairwise_difference_between(a, b).sum())
    means = summary_statistics(g, counts, populations, folded=False)
    np.testing.assert_allclose(means, table.mean(axis=0))


def test_closed_forms_folding_and_missing_calls():
    # One site, one derived copy among 4: pi = 2*1*3/12, theta_H = 2*1/12, theta_w = 1/a_4 = 1/(1 + 1/2 + 1/3).
    site = np.array([[1], [0], [0], [0]], dtype=np.int8)
    values = dict(zip(statistic_names(["P"]), summary_statistics(site, [1], np.zeros(4, int), folded=False)))
    assert values["pi"] == pytest.approx(0.5) and values["theta_h"] == pytest.approx(1 / 6)
    assert values["theta_w"] == pytest.approx(1 / (11 / 6)) and values["fay_wu_h"] == pytest.approx(1 / 3)
    # Folding: three derived copies of four is the same folded site as one.
    flipped = dict(zip(statistic_names(["P"]), summary_statistics(1 - site, [1], np.zeros(4, int))))
    assert flipped["theta_h"] == pytest.approx(1 / 6)
    # A missing call counts as a haplotype fewer at that site only.
    generator = np.random.default_rng(0)
    g = generator.integers(0, 2, size=(10, 30)).astype(np.int8)
    with_missing = g.copy()
    with_missing[9, :15] = -1
    first, second = (summary_statistics(with_missing[:, part], [15], np.zeros(10, int), folded=False)
                     for part in (slice(0, 15), slice(15, 30)))
    np.testing.assert_allclose(first, summary_statistics(g[:9, :15], [15], np.zeros(9, int), folded=False))
    np.testing.assert_allclose(second, summary_statistics(g[:, 15:], [15], np.zeros(10, int), folded=False))


def test_undefined_values_are_left_out_of_the_mean_over_loci():
    g = np.array([[0, 1], [0, 0], [0, 1], [0, 0]], dtype=np.int8)  # locus 1: monomorphic, locus 2: segregating
    values = dict(zip(statistic_names(["P"]), summary_statistics(g, [1, 1], np.zeros(4, int), folded=False)))
    assert values["S"] == 0.5  # defined at both loci
    assert np.isfinite(values["tajima_d"])
    assert values["tajima_d"] == pytest.approx(allel.tajima_d(allel.HaplotypeArray(g[:, 1:].T).count_alleles(),
                                                              min_sites=1))


def two_normal_models(n, shift, generator):
    """Statistic x ~ N(0, 1) under model 0 and N(shift, 1) under model 1 (a second, uninformative statistic)."""
    labels = np.repeat([0, 1], n)
    x = generator.normal(0, 1, 2 * n) + shift * labels
    return np.column_stack([x, generator.normal(0, 1, 2 * n)]), labels


@pytest.mark.parametrize("method, tolerance, error", [("rejection", 0.02, 0.08), ("mnlogistic", 0.3, 0.04),
                                                       ("neuralnet", 0.3, 0.06)])
def test_abc_posteriors_match_the_analytic_posterior_of_two_normal_models(method, tolerance, error):
    """P(model 1 | x) = phi(x - m) / (phi(x) + phi(x - m)) with equal priors (the second statistic is noise)."""
    generator = np.random.default_rng(3)
    shift = 2.0
    reference, labels = two_normal_models(20_000 if method != "neuralnet" else 5_000, shift, generator)
    for x in (-0.5, 1.0, 2.0):
        truth = 1 / (1 + np.exp(-(shift * x - shift**2 / 2)))  # phi(x - m) / (phi(x) + phi(x - m))
        result = abc.postpr(np.array([x, 0.0]), reference, labels, 2, tolerance, method, networks=2, seed=1)
        assert result["posterior"][1] == pytest.approx(truth, abs=error), (method, x)
        assert result["posterior"].sum() == pytest.approx(1.0)


def test_rejection_scales_by_mad_and_names_bad_settings():
    generator = np.random.default_rng(0)
    reference = np.concatenate([generator.normal(0, 1, (200, 2)), generator.normal(10, 1, (200, 2))])
    reference[:, 1] *= 1000  # a statistic on another scale must not dominate after MAD scaling
    labels = np.repeat([0, 1], 200)
    for target, expected in (([0.2, 100.0], [1, 0]), ([9.5, 9800.0], [0, 1])):
        result = abc.postpr(np.array(target), reference, labels, 2, 0.05)
        np.testing.assert_allclose(result["posterior"], expected)
    with pytest.raises(ValueError, match="tolerance"):
        abc.postpr(reference[0], reference, labels, 2, tolerance=0)
    with pytest.raises(ValueError, match="method must be one of rejection, mnlogistic, neuralnet"):
        abc.postpr(reference[0], reference, labels, 2, 0.1, method="loclinear")


def test_preparation_drops_fixed_statistics_fills_rare_gaps_and_keeps_pca_variance():
    generator = np.random.default_rng(1)
    table = np.column_stack([np.full(100, 7.0), generator.normal(size=100), generator.normal(size=100),
                             np.full(100, np.nan)])
    table[3, 1] = np.nan
    prepared = abc.prepare(table, ["S", "pi", "D", "fst"])
    assert prepared.names == ["pi", "D"]
    assert any("S" in note and "one value" in note for note in prepared.notes)
    assert any("1 undefined values" in note for note in prepared.notes)
    np.testing.assert_allclose(prepared.transform(table[:5]), prepared.reference[:5])
    correlated = np.column_stack([table[:, 2], table[:, 2] * 2 + 1e-3 * generator.normal(size=100),
                                  generator.normal(size=100)])
    pca = abc.prepare(correlated, ["a", "b", "c"], pca=0.99)
    assert pca.names == ["PC1", "PC2"]  # two independent directions carry the variance
    np.testing.assert_allclose(pca.transform(correlated), pca.reference, atol=1e-9)


def test_cross_validation_is_a_confusion_matrix_per_tolerance():
    generator = np.random.default_rng(2)
    reference, labels = two_normal_models(500, 4.0, generator)
    result = abc.cross_validate(reference, labels, 2, per_scenario=30, tolerances=[0.05, 0.2], method="rejection")
    for tolerance in (0.05, 0.2):
        confusion = result["per_tolerance"][tolerance]["confusion"]
        assert confusion.sum(axis=1).tolist() == [30, 30]
        assert result["per_tolerance"][tolerance]["accuracy"] > 0.9  # the classes overlap by Phi(-2) = 2.3%
    np.testing.assert_allclose(abc.bayes_factors(np.array([0.8, 0.2]))[0, 1], 4.0)
