"""Encoder invariants: order independence, sizes and padding, SNP selection, polarisation, coding."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from genomics.encoding.encoder import Encoder

POPULATIONS = np.repeat([0, 1, 2], [4, 6, 4])


def random_replicate(seed, sites=40):
    rng = np.random.default_rng(seed)
    genotypes = (rng.random((len(POPULATIONS), sites)) < rng.random(sites)).astype(np.int8)
    genotypes[:, 0] = 0  # a monomorphic site, to be dropped
    genotypes[0, 0] = 0
    positions = np.sort(rng.uniform(0, 1e4, sites))
    return genotypes, positions


@pytest.mark.parametrize("row_sort", ["frequency", "similarity"])
@given(seed=st.integers(0, 10_000))
def test_row_sorting_makes_the_image_independent_of_sample_order_within_populations(row_sort, seed):
    genotypes, positions = random_replicate(seed)
    genotypes[1] = genotypes[2]  # a repeated haplotype: ties must not depend on order either
    rng = np.random.default_rng(seed + 1)
    shuffled = np.concatenate([rng.permutation(np.flatnonzero(POPULATIONS == p)) for p in range(3)])
    encoder = Encoder(n_snps=32, row_sort=row_sort)
    image, real = encoder.encode(genotypes, positions, 1e4, POPULATIONS)
    image_shuffled, real_shuffled = encoder.encode(genotypes[shuffled], positions, 1e4, POPULATIONS)
    np.testing.assert_array_equal(image, image_shuffled)
    assert real == real_shuffled


def test_rows_stay_in_their_population_block():
    genotypes, positions = random_replicate(3)
    genotypes[POPULATIONS == 1, 5] = 1  # a site fixed in population 1 only
    genotypes[POPULATIONS != 1, 5] = 0
    image, _ = Encoder(n_snps=64, polarisation="ancestral", coding="zero_one").encode(genotypes, positions, 1e4,
                                                                                       POPULATIONS)
    column = 4  # site 5 is the fifth kept site once the monomorphic site 0 is dropped
    np.testing.assert_array_equal(image[:, column, 0], (POPULATIONS == 1).astype(np.float32))


def test_padding_and_sizes():
    genotypes, positions = random_replicate(1, sites=10)
    image, real = Encoder(n_snps=16).encode(genotypes, positions, 1e4, POPULATIONS)
    assert image.shape == (14, 16, 2) and image.dtype == np.float32
    assert real == 9  # the monomorphic site is dropped
    assert np.all(image[:, real:, :] == 0)
    assert set(np.unique(image[:, :real, 0])) <= {-1.0, 1.0}
    assert Encoder(n_snps=16, distance_channel=False).encode(genotypes, positions, 1e4, POPULATIONS)[0].shape == (14, 16, 1)


@pytest.mark.parametrize("selection, expected", [
    ("first", np.arange(1, 9)),
    ("central", np.arange(16, 24)),
    ("even", np.linspace(1, 39, 8).round().astype(int)),
])
def test_snp_selection(selection, expected):
    genotypes, _ = random_replicate(2)
    genotypes[0, 1:], genotypes[1, 1:] = 1, 0  # every site but the first is polymorphic
    positions = np.arange(40) * 250.0  # position 5000 (the middle of 1e4) is site 20
    encoder = Encoder(n_snps=8, selection=selection, polarisation="ancestral", coding="zero_one", row_sort="none",
                      distance_channel=False)
    image, real = encoder.encode(genotypes, positions, 1e4, POPULATIONS)
    assert real == 8
    np.testing.assert_array_equal(image[:, :, 0], genotypes[:, expected])


def test_major_minor_polarisation_codes_the_minor_allele_as_one():
    genotypes = np.zeros((14, 2), np.int8)
    genotypes[:10, 0] = 1  # derived allele at frequency 10/14: flipped
    genotypes[:3, 1] = 1   # derived allele at frequency 3/14: kept
    encoder = Encoder(n_snps=2, polarisation="major_minor", coding="zero_one", row_sort="none", distance_channel=False)
    image, _ = encoder.encode(genotypes, np.array([10.0, 20.0]), 100, POPULATIONS)
    assert image[:, 0, 0].sum() == 4 and image[:, 1, 0].sum() == 3
    ancestral = Encoder(n_snps=2, polarisation="ancestral", coding="zero_one", row_sort="none", distance_channel=False)
    assert ancestral.encode(genotypes, np.array([10.0, 20.0]), 100, POPULATIONS)[0][:, 0, 0].sum() == 10


def test_distance_channel_holds_scaled_gaps():
    genotypes = np.eye(14, 3, dtype=np.int8)
    image, _ = Encoder(n_snps=4).encode(genotypes, np.array([100.0, 300.0, 600.0]), 1000, POPULATIONS)
    np.testing.assert_allclose(image[0, :, 1], [0.0, 200 / 250, 300 / 250, 0.0])


def test_bad_settings_and_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="row_sort must be one of"):
        Encoder(row_sort="alphabetical")
    with pytest.raises(ValueError, match="14 haplotypes but the design has 3"):
        Encoder().encode(np.zeros((14, 2)), np.array([1.0, 2.0]), 10, np.array([0, 1, 2]))
    assert Encoder.from_dict(Encoder(n_snps=7).to_dict()) == Encoder(n_snps=7)


def test_population_frequency_rows_hold_each_population_s_allele_frequency():
    generator = np.random.default_rng(4)
    genotypes = generator.integers(0, 2, size=(12, 30)).astype(np.int8)
    genotypes[:, 0] = [1] * 6 + [0] * 6  # polymorphic; population 0 all 1, population 1 all 0
    genotypes[3, 5] = -1
    populations = np.repeat([0, 1], 6)
    positions = np.sort(generator.uniform(0, 1000, 30))
    encoder = Encoder(n_snps=40, selection="all", polarisation="ancestral", distance_channel=False,
                      layout="population_frequencies")
    image, real = encoder.encode(genotypes, positions, 1000.0, populations)
    assert image.shape == (2, 40, 2) and real == 30
    for row in range(2):
        calls = genotypes[populations == row]
        expected = [(calls[:, j] == 1).sum() / (calls[:, j] >= 0).sum() for j in range(30)]
        np.testing.assert_allclose(image[row, :30, 0], expected, rtol=1e-6)
    assert image[0, 0, 0] == 1 and image[1, 0, 0] == 0
    np.testing.assert_array_equal(image[:, :, 1], np.repeat([[1.0] * 30 + [0.0] * 10], 2, axis=0))  # real columns
    shuffled = np.concatenate([generator.permutation(np.flatnonzero(populations == p)) for p in (0, 1)])
    again, _ = encoder.encode(genotypes[shuffled], positions, 1000.0, populations)
    np.testing.assert_array_equal(again, image)  # the order of the samples does not matter


def test_the_sites_network_ignores_the_order_of_the_snps():
    from genomics.learning import networks as models

    network = models.build("sites", (3, 50, 3), 3)
    x = np.random.default_rng(5).normal(size=(4, 50, 9)).astype(np.float32)
    order = np.random.default_rng(6).permutation(50)
    np.testing.assert_allclose(network.predict(x[:, order]), network.predict(x), atol=1e-6)


@given(seed=st.integers(0, 2**32 - 1), coding=st.sampled_from(["plus_minus", "zero_one"]),
       polarisation=st.sampled_from(["major_minor", "ancestral"]), distance=st.booleans(),
       missing_channel=st.booleans(), missing_rate=st.sampled_from([0.0, 0.2]))
def test_a_batch_of_all_site_replicates_is_encoded_as_encode_does_one_at_a_time(seed, coding, polarisation, distance,
                                                                                  missing_channel, missing_rate):
    rng = np.random.default_rng(seed)
    populations = rng.permutation(POPULATIONS)  # rows of a population need not be together in the data
    encoder = Encoder(n_snps=12, selection="all", row_sort="none", coding=coding, polarisation=polarisation,
                      distance_channel=distance, missing_channel=missing_channel or coding == "zero_one")
    genotypes, positions, lengths = [], [], []
    for sites in rng.integers(0, 13, size=5):  # some replicates padded, one possibly empty
        calls = (rng.random((len(populations), sites)) < rng.random(sites)).astype(np.int8)
        calls[rng.random(calls.shape) < missing_rate] = -1
        genotypes.append(calls)
        positions.append(np.sort(rng.uniform(0, 1e3, sites)))
        lengths.append(1e3)
    batch, counts = encoder.encode_many(genotypes, positions, np.array(lengths), populations)
    for b, (g, p) in enumerate(zip(genotypes, positions)):
        image, real = encoder.encode(g, p, 1e3, populations)
        np.testing.assert_array_equal(batch[b], image)
        assert counts[b] == real
