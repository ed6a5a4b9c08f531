"""Joint frequency spectra (genomics.encoding.sfs, layouts joint_sfs and pairwise_sfs) against direct counts, brute-force subsampling and
scikit-allel's diversity and divergence."""

import itertools
from math import comb

import allel
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.encoding import sfs
from genomics.encoding.encoder import Encoder

POPULATIONS = np.repeat([0, 1, 2], [4, 6, 5])
SIZES = [4, 6, 5]


def random_calls(seed, sites=30, missing=0.0):
    rng = np.random.default_rng(seed)
    genotypes = (rng.random((len(POPULATIONS), sites)) < rng.random(sites)).astype(np.int8)
    if missing:
        genotypes[rng.random(genotypes.shape) < missing] = -1
    return genotypes


def direct_spectrum(genotypes, populations=(0, 1, 2), fold=False):
    """Counted one site at a time, the definition in the module docstring."""
    counts = np.zeros([SIZES[p] + 1 for p in populations])
    for site in genotypes.T:
        derived = [int((site[POPULATIONS == p] == 1).sum()) for p in range(3)]
        if sum(derived) in (0, len(site)):
            continue
        if fold and sum(derived) > len(site) / 2:
            derived = [n - d for n, d in zip(SIZES, derived)]
        counts[tuple(derived[p] for p in populations)] += 1
    return counts


@given(seed=st.integers(0, 10_000), fold=st.booleans())
def test_without_missing_calls_the_image_holds_the_counted_joint_spectrum(seed, fold):
    genotypes = random_calls(seed)
    encoder = Encoder(layout="joint_sfs", polarisation="major_minor" if fold else "ancestral")
    image, used = encoder.encode(genotypes, np.arange(30.0), 100.0, POPULATIONS)
    expected = direct_spectrum(genotypes, fold=fold)
    assert image.shape == (5, 7, 6) and image.dtype == np.float32 and used == expected.sum()
    np.testing.assert_array_equal(image, expected)  # population 3's count is the channel
    shares, _ = Encoder(layout="joint_sfs", polarisation=encoder.polarisation, sfs_scale="proportions").encode(
        genotypes, np.arange(30.0), 100.0, POPULATIONS)
    np.testing.assert_allclose(shares * used, expected, atol=1e-4)
    pairwise, _ = Encoder(layout="pairwise_sfs", polarisation=encoder.polarisation).encode(
        genotypes, np.arange(30.0), 100.0, POPULATIONS)
    np.testing.assert_allclose(pairwise[:5, :7, 0], image.sum(axis=2), atol=1e-6)  # a pair's is a marginal


@given(seed=st.integers(0, 10_000), fold=st.booleans())
def test_without_missing_calls_the_pairwise_image_holds_each_pair_s_counted_joint_spectrum(seed, fold):
    genotypes = random_calls(seed)
    encoder = Encoder(layout="pairwise_sfs", polarisation="major_minor" if fold else "ancestral")
    image, used = encoder.encode(genotypes, np.arange(30.0), 100.0, POPULATIONS)
    assert image.shape == (7, 7, 3) and image.dtype == np.float32
    for channel, (a, b) in enumerate(itertools.combinations(range(3), 2)):
        expected = direct_spectrum(genotypes, (a, b), fold)
        assert used == expected.sum()
        np.testing.assert_allclose(image[: SIZES[a] + 1, : SIZES[b] + 1, channel], expected, atol=1e-4)
        assert np.all(image[SIZES[a] + 1:, :, channel] == 0) and np.all(image[:, SIZES[b] + 1:, channel] == 0)


def test_projection_is_the_chance_of_each_count_among_every_subsample_of_the_calls():
    # brute force: every way of keeping `size` of a site's called haplotypes
    for calls in ([1, 0, 1, 1, 0, 0, 1], [0, 0, 0, 1], [1, 1, 1], [0, 1]):
        for size in range(1, len(calls) + 1):
            tally = np.zeros(size + 1)
            for kept in itertools.combinations(calls, size):
                tally[sum(kept)] += 1
            h = sfs.projection(np.array([sum(calls)]), np.array([len(calls)]), size)
            np.testing.assert_allclose(h[0], tally / comb(len(calls), size), rtol=1e-12, atol=1e-15)
    assert np.all(sfs.projection(np.array([1]), np.array([2]), 3) == 0)  # fewer calls than the projection


@given(seed=st.integers(0, 10_000))
@settings(max_examples=25)
def test_projecting_complete_data_is_the_mean_spectrum_of_every_subsample(seed):
    genotypes = random_calls(seed, sites=8)[:7]
    populations = np.repeat([0, 1], [3, 4])
    image, used = Encoder(layout="joint_sfs", polarisation="ancestral", sfs_haplotypes=2).encode(
        genotypes, np.arange(8.0), 10.0, populations)
    pairwise, _ = Encoder(layout="pairwise_sfs", polarisation="ancestral", sfs_haplotypes=2).encode(
        genotypes, np.arange(8.0), 10.0, populations)
    np.testing.assert_array_equal(image, pairwise)  # two populations: one pair
    polymorphic = [s for s in genotypes.T if 0 < s.sum() < len(s)]
    expected = np.zeros((3, 3))
    for site in polymorphic:
        pairs = list(itertools.product(itertools.combinations(site[:3], 2), itertools.combinations(site[3:], 2)))
        for first, second in pairs:
            expected[sum(first), sum(second)] += 1 / len(pairs)
    assert used == len(polymorphic)
    np.testing.assert_allclose(image[..., 0], expected, atol=1e-5)


def test_diversity_and_divergence_read_off_the_spectra_match_scikit_allel():
    genotypes = random_calls(7, sites=200)
    image, used = Encoder(layout="pairwise_sfs", polarisation="ancestral").encode(genotypes, np.arange(200.0),
                                                                                    200.0, POPULATIONS)
    n_a, n_b = SIZES[0], SIZES[1]
    counts = image[: n_a + 1, : n_b + 1, 0].astype(float)  # populations 0 and 1
    i, j = np.meshgrid(np.arange(n_a + 1), np.arange(n_b + 1), indexing="ij")
    pi_a = (counts * 2 * i * (n_a - i) / (n_a * (n_a - 1))).sum()
    dxy = (counts * (i * (n_b - j) + j * (n_a - i)) / (n_a * n_b)).sum()
    haplotypes = allel.HaplotypeArray(genotypes.T)
    per_population = [haplotypes.count_alleles(subpop=np.flatnonzero(POPULATIONS == p)) for p in (0, 1)]
    polymorphic = haplotypes.count_alleles().is_segregating()
    assert pi_a == pytest.approx(allel.mean_pairwise_difference(per_population[0])[polymorphic].sum(), rel=1e-5)
    assert dxy == pytest.approx(allel.mean_pairwise_difference_between(*per_population)[polymorphic].sum(),
                                rel=1e-5)


def test_missing_calls_leave_sites_out_unless_projected_below_them():
    genotypes = random_calls(3, sites=50, missing=0.05)
    whole, used_whole = Encoder(layout="joint_sfs").encode(genotypes, np.arange(50.0), 50.0, POPULATIONS)
    complete_sites = np.all(genotypes != -1, axis=0)
    kept, used_kept = Encoder(layout="joint_sfs").encode(genotypes[:, complete_sites],
                                                         np.arange(float(complete_sites.sum())), 50.0, POPULATIONS)
    assert used_whole == used_kept and np.array_equal(whole, kept)
    projected, used_projected = Encoder(layout="joint_sfs", sfs_haplotypes=3, sfs_scale="proportions").encode(
        genotypes, np.arange(50.0), 50.0, POPULATIONS)
    called = np.stack([(genotypes[POPULATIONS == p] != -1).sum(axis=0) for p in range(3)])
    derived = np.stack([(genotypes[POPULATIONS == p] == 1).sum(axis=0) for p in range(3)])
    polymorphic = (derived.sum(0) > 0) & (derived.sum(0) < called.sum(0))
    assert used_projected == int((polymorphic & np.all(called >= 3, axis=0)).sum()) > used_whole
    assert projected.shape == (4, 4, 4)
    np.testing.assert_allclose(projected.sum(), 1, rtol=1e-5)
    pairwise, _ = Encoder(layout="pairwise_sfs", sfs_haplotypes=3, sfs_scale="proportions").encode(
        genotypes, np.arange(50.0), 50.0, POPULATIONS)
    np.testing.assert_allclose(pairwise[..., 0], projected.sum(axis=2), atol=1e-6)
    np.testing.assert_allclose(pairwise[..., 2], projected.sum(axis=0), atol=1e-6)


@given(seed=st.integers(0, 10_000), layout=st.sampled_from(["joint_sfs", "pairwise_sfs"]))
def test_the_spectra_ignore_the_order_of_haplotypes_within_populations_and_of_sites(seed, layout):
    genotypes = random_calls(seed, missing=0.1)
    rng = np.random.default_rng(seed)
    rows = np.concatenate([rng.permutation(np.flatnonzero(POPULATIONS == p)) for p in range(3)])
    encoder = Encoder(layout=layout, sfs_haplotypes=3)
    image, used = encoder.encode(genotypes, np.arange(30.0), 30.0, POPULATIONS)
    shuffled, used_shuffled = encoder.encode(genotypes[rows][:, rng.permutation(30)], np.arange(30.0), 30.0,
                                             POPULATIONS)
    np.testing.assert_allclose(image, shuffled, atol=1e-6)
    assert used == used_shuffled
    assert encoder.padded_fraction(used) == 0.0


def test_bad_spectrum_settings_are_one_sentence():
    with pytest.raises(ValueError, match="two or more populations"):
        Encoder(layout="joint_sfs").encode(random_calls(1)[:4], np.arange(30.0), 30.0, np.zeros(4, int))
    with pytest.raises(ValueError, match="sfs_haplotypes applies to the layouts joint_sfs and pairwise_sfs only"):
        Encoder(sfs_haplotypes=4)
    with pytest.raises(ValueError, match="sfs_scale must be one of"):
        Encoder(layout="joint_sfs", sfs_scale="frequencies")
    five = np.repeat(np.arange(5), 20)
    with pytest.raises(ValueError, match="has 4,084,101 cells .* pairwise_sfs"):
        Encoder(layout="joint_sfs").encode(np.zeros((100, 3), np.int8), np.arange(3.0), 3.0, five)
    image, _ = Encoder(layout="joint_sfs", sfs_haplotypes=4).encode(np.eye(100, 3, dtype=np.int8), np.arange(3.0),
                                                                    3.0, five)
    assert image.shape == (5, 5, 125)
    with pytest.raises(ValueError, match="sfs_haplotypes must be an int >= 0"):
        Encoder(layout="joint_sfs", sfs_haplotypes=-1)


def test_train_a_cnn_on_joint_spectra_and_predict_a_vcf_from_the_command_line(tmp_path, capsys):
    import os

    from genomics.scenario import catalogue
    from genomics import pipeline
    from genomics.bundle import Bundle
    from genomics.cli.main import main

    sims = str(tmp_path / "sims")
    assert main(["simulate", "three_populations", "--replicates", "30", "--out", sims, "--workers", "1"]) == 0
    run = str(tmp_path / "run")
    assert main(["train", sims, "--out", run, "--epochs", "2", "--network", "cnn2d", "--layout", "joint_sfs"]) == 0
    trained = Bundle.load(os.path.join(run, "model.npz"))
    assert trained.encoder.layout == "joint_sfs" and trained.model.input_shape[1:] == (21, 21, 21)
    assert main(["evaluate", os.path.join(run, "model.npz"), sims]) == 0
    vcf_path, popmap_path, _ = pipeline.write_example_vcf(str(tmp_path), catalogue.get("divergence"), seed=5,
                                                          windows=2)
    table = str(tmp_path / "windows.csv")
    assert main(["predict", os.path.join(run, "model.npz"), vcf_path, "--popmap", popmap_path, "--out", table]) == 0
    rows = open(table).read().splitlines()
    header = rows[0].split(",")
    assert len(rows) >= 3 and all(float(row.split(",")[header.index("padded_fraction")]) == 0 for row in rows[1:3])
    capsys.readouterr()
    assert main(["train", sims, "--out", str(tmp_path / "bad"), "--network", "exchangeable", "--layout",
                 "pairwise_sfs"]) == 2
    assert "but layout pairwise_sfs has a frequency spectrum" in capsys.readouterr().err
    with pytest.raises(ValueError, match="subsets of the sites .* do not apply"):
        pipeline.predict_genotypes(os.path.join(run, "model.npz"), [], subsets=3)
    assert not os.path.exists(tmp_path / "bad" / "model.npz")


def test_a_design_with_missing_calls_needs_a_projection_and_keeps_its_sites_with_one():
    # unlinked RAD-like SNPs, 20% of calls missing: without projection nearly every site would be left out
    from genomics.scenario.scenario import Scenario
    from genomics.simulation.run import simulate_replicate

    design = {"populations": ["A", "B"], "samples": [10, 10], "ploidy": 2,
              "loci": [{"name": "rad", "count": 200, "segregating_sites": 1}], "missing": {"per_call": 0.2}}
    model = Scenario({"name": "rad", "priors": {"N": 1000.0}, "design": design,
                      "demes": [{"name": "A", "initial_size": "N"}, {"name": "B", "initial_size": "N"},
                                {"name": "ANC", "initial_size": "N"}],
                      "events": [{"type": "split", "time": 500.0, "derived": ["A", "B"], "ancestral": "ANC"}]})
    with pytest.raises(ValueError, match="missing calls: layout joint_sfs needs sfs_haplotypes"):
        Encoder.for_design(model.design, layout="joint_sfs")
    replicate = simulate_replicate(model, 3)
    genotypes = replicate["genotypes"]
    populations = model.design.haplotype_populations
    encoder = Encoder.for_design(model.design, layout="joint_sfs", sfs_haplotypes=10)
    image, used = encoder.encode(genotypes, np.arange(genotypes.shape[1], dtype=float), 200.0, populations)
    _, complete = Encoder(layout="joint_sfs").encode(genotypes, np.arange(genotypes.shape[1], dtype=float), 200.0,
                                                     populations)
    assert image.shape == (11, 11, 1) and used > 150 > 10 > complete
    assert image.sum() == pytest.approx(used, rel=1e-5)
