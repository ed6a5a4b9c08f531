"""Study designs: loci with exactly S SNPs (ms -s), unlinked SNPs, haploid samples, size scales, missing data,
and the readers of observed matrices. Expectations come from coalescent theory, computed here."""

import math

import msprime
import numpy as np
import pytest

from genomics.learning import networks as models
from genomics.observed import readers
from genomics import pipeline
from genomics.scenario.design import SamplingDesign
from genomics.encoding.encoder import Encoder, encoding_for_design
from genomics.simulation.loci import MISSING, place_segregating_sites
from genomics.scenario.scenario import Scenario, ScenarioError
from genomics.simulation.run import simulate_replicate
from tests.genomics.test_theory import assert_mean_within_sampling_error, mean_pairwise_differences


def scenario(loci, samples=(10,), ploidy=1, missing=None, populations=("POP",), size=1000.0):
    design = {"populations": list(populations), "samples": list(samples), "ploidy": ploidy, "loci": loci}
    if missing:
        design["missing"] = missing
    return Scenario({"name": "design", "priors": {"N": size}, "design": design,
                     "demes": [{"name": p, "initial_size": "N"} for p in populations] if len(populations) == 1 else
                     [{"name": p, "initial_size": "N"} for p in populations] + [{"name": "ANC", "initial_size": "N"}],
                     "events": [] if len(populations) == 1 else
                     [{"type": "split", "time": 500.0, "derived": list(populations), "ancestral": "ANC"}]})


def test_every_locus_has_exactly_its_segregating_sites():
    model = scenario([{"name": "a", "count": 3, "segregating_sites": 5},
                      {"name": "b", "segregating_sites": 2, "sequence_length": 1000, "recombination_rate": 1e-4}])
    for seed in range(1, 20):
        replicate = simulate_replicate(model, seed)
        assert replicate["site_counts"].tolist() == [5, 5, 5, 2]
        g = replicate["genotypes"]
        assert g.shape == (10, 17) and set(np.unique(g)) <= {0, 1}
        derived = g.sum(axis=0)
        assert ((derived > 0) & (derived < 10)).all()
    assert model.design.locus_names == ["a.1", "a.2", "a.3", "b"]


def test_one_snp_loci_have_watterson_s_frequency_spectrum():
    """One mutation placed by branch length: P(i derived of n) = (1/i) / a_n (the neutral SFS, normalised)."""
    n, loci = 8, 4000
    model = scenario([{"name": "snp", "count": loci, "segregating_sites": 1}], samples=(n,))
    counts = simulate_replicate(model, 3)["genotypes"].sum(axis=0)
    a_n = sum(1 / i for i in range(1, n))
    observed = np.bincount(counts, minlength=n)[1:n] / loci
    expected = np.array([1 / i for i in range(1, n)]) / a_n
    standard_errors = np.sqrt(expected * (1 - expected) / loci)
    assert np.all(np.abs(observed - expected) < 4 * standard_errors), (observed, expected)


@pytest.mark.parametrize("recombination_rate", [0.0, 2e-3])
def test_fixed_s_pi_follows_the_genealogy_not_theta(recombination_rate):
    """Given the genealogy, E[pi] = S * sum_b(area_b w_b) / sum_b(area_b), w_b = 2k(n-k)/(n(n-1)) for k leaves below."""
    ts = msprime.sim_ancestry(6, population_size=1000, sequence_length=1000, recombination_rate=recombination_rate,
                              random_seed=5)
    n, sites = ts.num_samples, 4
    area = weighted = 0.0
    for tree in ts.trees():
        for u in tree.nodes():
            if tree.parent(u) != -1:
                k = tree.num_samples(u)
                a = tree.branch_length(u) * tree.span
                area += a
                weighted += a * 2 * k * (n - k) / (n * (n - 1))
    expected = sites * weighted / area
    generator = np.random.default_rng(0)
    pis = [mean_pairwise_differences(place_segregating_sites(ts, sites, generator)[0]) for _ in range(3000)]
    assert_mean_within_sampling_error(pis, expected)
    genotypes, positions = place_segregating_sites(ts, sites, generator)
    assert np.all(np.diff(positions) >= 0) and genotypes.shape == (n, sites)


def test_unlinked_snps_simulate_thousands_of_loci_quickly():
    import time

    model = scenario([{"name": "rad", "count": 2000, "segregating_sites": 1}], samples=(20,))
    start = time.perf_counter()
    replicate = simulate_replicate(model, 1)
    assert replicate["genotypes"].shape == (20, 2000)
    assert time.perf_counter() - start < 10  # about 3,000 loci per second per core here; generous for slow CI


def test_size_scale_scales_coalescence_and_ploidy_counts_haplotypes():
    """A locus at size_scale c has E[pi] = 4 N c mu L: mtDNA-like loci at 0.25 hold a quarter of the diversity."""
    loci = [{"name": "nuclear", "sequence_length": 1e4, "mutation_rate": 2.5e-7},
            {"name": "mito", "sequence_length": 1e4, "mutation_rate": 2.5e-7, "size_scale": 0.25}]
    model = scenario(loci, samples=(12,), ploidy=1)
    pis = {"nuclear": [], "mito": []}
    for seed in range(1, 301):
        replicate = simulate_replicate(model, seed)
        first = replicate["site_counts"][0]
        pis["nuclear"].append(mean_pairwise_differences(replicate["genotypes"][:, :first]))
        pis["mito"].append(mean_pairwise_differences(replicate["genotypes"][:, first:]))
    assert replicate["genotypes"].shape[0] == 12
    assert_mean_within_sampling_error(pis["nuclear"], 4 * 1000 * 2.5e-7 * 1e4)
    assert_mean_within_sampling_error(pis["mito"], 4 * 1000 * 0.25 * 2.5e-7 * 1e4)


def test_missing_calls_follow_their_rates_per_population_and_are_fresh_and_seeded():
    loci = [{"name": "rad", "count": 300, "segregating_sites": 1}]
    model = scenario(loci, samples=(20, 30), ploidy=2, populations=("A", "B"),
                     missing={"per_call": {"A": 0.1, "B": 0.3}})
    first, again, other = (simulate_replicate(model, seed)["genotypes"] for seed in (1, 1, 2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first == MISSING, other == MISSING)
    calls_a, calls_b = (first[:40] == MISSING), (first[40:] == MISSING)
    np.testing.assert_array_equal(calls_a[0::2], calls_a[1::2])  # a call is both haplotypes of an individual
    for observed, rate, n in ((calls_a.mean(), 0.1, 20 * 300), (calls_b.mean(), 0.3, 30 * 300)):
        assert abs(observed - rate) < 4 * math.sqrt(rate * (1 - rate) / n)


def test_per_individual_missing_drops_whole_loci():
    loci = [{"name": "rad", "count": 200, "segregating_sites": 3}]
    model = scenario(loci, samples=(10,), ploidy=2, missing={"per_individual": 0.2})
    genotypes = simulate_replicate(model, 4)["genotypes"]
    per_locus = (genotypes == MISSING).reshape(20, 200, 3)
    assert (per_locus.all(axis=2) == per_locus.any(axis=2)).all()  # a locus is missing whole or not at all
    assert abs(per_locus[:, :, 0].mean() - 0.2) < 4 * math.sqrt(0.2 * 0.8 / (10 * 200))


def test_missing_calls_are_coded_apart_from_alleles_and_padding():
    genotypes = np.array([[1, 0, MISSING], [0, MISSING, 1], [0, 1, 0], [1, 1, 0]], dtype=np.int8)
    populations = np.zeros(4, dtype=int)
    positions = np.array([0.1, 0.4, 0.8])
    plus = Encoder(n_snps=5, selection="all", row_sort="none", polarisation="ancestral", distance_channel=False)
    image, real = plus.encode(genotypes, positions, 1.0, populations)
    assert real == 3
    np.testing.assert_array_equal(image[:, :3, 0], [[1, -1, 0], [-1, 0, 1], [-1, 1, -1], [1, 1, -1]])
    masked = Encoder(n_snps=5, selection="all", row_sort="none", polarisation="ancestral", distance_channel=False,
                     coding="zero_one", missing_channel=True)
    image, _ = masked.encode(genotypes, positions, 1.0, populations)
    np.testing.assert_array_equal(image[:, :, 1], [[0, 0, 1, 0, 0], [0, 1, 0, 0, 0], [0] * 5, [0] * 5])
    np.testing.assert_array_equal(image[:, 3:, :], 0)  # padding: no allele, no missing mark
    with pytest.raises(ValueError, match="missing channel"):
        Encoder(coding="zero_one", selection="all", n_snps=5).encode(genotypes, positions, 1.0, populations)


def test_major_minor_counts_only_called_genotypes():
    genotypes = np.array([[1], [1], [MISSING], [MISSING], [0]], dtype=np.int8)  # 2 of 3 called are 1: flip
    image, _ = Encoder(n_snps=1, selection="all", row_sort="none", distance_channel=False).encode(
        genotypes, np.array([0.5]), 1.0, np.zeros(5, dtype=int))
    np.testing.assert_array_equal(image[:, 0, 0], [-1, -1, 0, 0, 1])


def design(samples=(2, 3), loci=((2,), (3,))):
    return SamplingDesign.from_spec({"populations": ["north", "south"], "samples": list(samples), "ploidy": 1,
                                     "loci": [{"name": f"l{i}", "segregating_sites": s[0]}
                                              for i, s in enumerate(loci)]}, "test", lambda v, k: None)


def test_a_matrix_is_read_in_the_design_order_with_missing_calls(tmp_path):
    path = tmp_path / "m.txt"
    path.write_text("0 1 N 1 0\n1 1 0 ? 0\n0 0 1 1 1\n1 0 0 0 9\n0 - 1 0 1\n")
    data = readers.read_matrix(str(path), design(), populations="south:3,north:2")
    np.testing.assert_array_equal(data.haplotypes[0], [1, 0, 0, 0, -1])  # north's first row was the file's 4th
    assert data.site_counts.tolist() == [2, 3] and data.report["reordered"]
    assert data.report["missing_calls"] == 4
    transposed = tmp_path / "t.txt"
    transposed.write_text("\n".join(" ".join(col) for col in zip(*[r.split() for r in path.read_text().split("\n")
                                                                 if r])) + "\n")
    again = readers.read_matrix(str(transposed), design(), "sites-by-haplotypes", "south:3,north:2")
    np.testing.assert_array_equal(again.haplotypes, data.haplotypes)


@pytest.mark.parametrize("content, populations, message", [
    ("0 1 0 1 0\n1 1 0\n", None, r"m.txt, line 2: 3 values, but the first row has 5"),
    ("0 1 0 1 0\n1 1 0 2 0\n", None, r"m.txt, line 2, column 4: '2' is not 0, 1 or a missing code"),
    ("0 1 0 1 0\n" * 5, "north:2,east:3", r"populations \['east'\] do not match the model's"),
    ("0 1 0 1 0\n" * 5, "north:3,south:2", "population 'north' has 3 haplotypes but the model was trained on 2"),
    ("0 1 0 1\n" * 5, None, r"4 sites, but the model's design has 5 segregating sites in 2 loci \(2, 3\)"),
    ("", None, "the matrix is empty"),
])
def test_bad_matrices_name_the_file_line_and_what_was_expected(tmp_path, content, populations, message):
    path = tmp_path / "m.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        readers.read_matrix(str(path), design(), populations=populations)


@pytest.mark.parametrize("change, message", [
    ({"loci": [{"name": "x"}]}, "give segregating_sites"),
    ({"loci": [{"name": "x", "segregating_sites": 0}]}, "segregating_sites must be a positive integer"),
    ({"loci": [{"name": "x", "segregating_sites": 2, "size_scale": -1}]}, "size_scale must be a positive number"),
    ({"loci": [{"name": "x", "mutation_rate": 2.0}]}, r"mutation_rate must be in \[0, 0.001\]"),
    ({"missing": {"per_call": 1.5}}, r"the rate of 'POP' must be in \[0, 1\)"),
    ({"missing": {"per_site": 0.1}}, "must be one of"),
    ({"ploidy": 0}, "ploidy must be an integer from 1 to 8"),
    ({"loci": [{"name": "x", "theta": 3}]}, "belong to the other units"),
])
def test_design_errors_name_the_key_and_the_allowed_values(change, message):
    spec = {"name": "bad", "priors": {"N": 1000.0}, "demes": [{"name": "POP", "initial_size": "N"}],
            "design": {"populations": ["POP"], "samples": [4], **change}}
    with pytest.raises(ScenarioError, match=message):
        Scenario(spec)


def test_predictions_on_random_snp_subsets_report_a_range_and_repeat_with_the_seed(tmp_path):
    from genomics import pipeline
    from genomics.simulation.run import simulate as simulate_folder

    models = [scenario([{"name": "l", "count": 2, "segregating_sites": 4}], samples=(6, 6), populations=("A", "B"),
                       size=size) for size in (500.0, 5000.0)]
    for model, name in zip(models, ("small", "large")):
        model.name = name
        model.spec["name"] = name
    simulate_folder(models, 20, str(tmp_path / "sims"), workers=1, progress=False)
    result = pipeline.train(str(tmp_path / "sims"), str(tmp_path / "run"),
                            pipeline.TrainingConfig(network="perez", epochs=1, test_fraction=0.2,
                                                    validation_fraction=0.2), verbose=0)
    rows = np.random.default_rng(0).integers(0, 2, size=(12, 20))
    (tmp_path / "m.txt").write_text("\n".join(" ".join(map(str, r)) for r in rows) + "\n")
    design = pipeline.bundle_design(result["bundle"])
    with pytest.raises(ValueError, match="20 sites, but the model's design has 8 segregating sites"):
        readers.read_matrix(str(tmp_path / "m.txt"), design)
    data = readers.read_matrix(str(tmp_path / "m.txt"), design, more_sites_allowed=True)
    first, again, other = (pipeline.predict_genotypes(result["bundle"], [data], subsets=15, seed=seed)["data_sets"][0]
                           for seed in (1, 1, 2))
    assert first["values"] == again["values"] and first["subsets"] == 15
    assert all(lo <= mid <= hi for lo, mid, hi in zip(first["low"], first["values"], first["high"]))
    assert sum(first["wins"]) == pytest.approx(1.0) and other["low"] != first["low"]


def test_the_default_encoding_follows_the_design():
    fixed = scenario([{"name": "l", "count": 3, "segregating_sites": 4}]).design
    assert (Encoder.for_design(fixed).n_snps, Encoder.for_design(fixed).selection) == (12, "all")
    loci = scenario([{"name": "l", "count": 3, "sequence_length": 500, "mutation_rate": 1e-6}]).design
    assert Encoder.for_design(loci).selection == "even" and not Encoder.for_design(loci).distance_channel
    missing = scenario([{"name": "l", "segregating_sites": 4}], missing={"per_call": 0.1}).design
    assert Encoder.for_design(missing, coding="zero_one").missing_channel
    assert Encoder.for_design(missing).missing_channel  # missing calls apart from padding (both 0 under plus_minus)
    assert not Encoder.for_design(missing, missing_channel=False).missing_channel
    assert Encoder.for_design(fixed, n_snps=20).n_snps == 20  # a setting given overrides the design's default


def test_unlinked_loci_with_missing_calls_default_to_a_projected_joint_spectrum_read_by_cnn2d():
    rad = scenario([{"name": "rad", "count": 50, "sequence_length": 150, "mutation_rate": 1e-7}], samples=(10, 10),
                   ploidy=2, populations=("north", "south"), missing={"per_individual": 0.2}).design
    encoder, why = encoding_for_design(rad)
    # 10 diploids each missing a locus with probability 0.2: the median of Binomial(10, 0.8) is 8 individuals
    assert (encoder.layout, encoder.sfs_haplotypes) == ("joint_sfs", 16)
    assert "50 unlinked loci" in why and "projected to 16 haplotypes" in why
    assert models.network_for(encoder.layout)[0] == "cnn2d"
    encoder, config, choices = pipeline.choose_encoding_and_network(rad, None, pipeline.TrainingConfig())
    assert config.network == "cnn2d" and choices["network"].startswith("cnn2d: 2-D convolutions")
    given, config, choices = pipeline.choose_encoding_and_network(rad, {"layout": "haplotypes"},
                                                                  pipeline.TrainingConfig(network="perez"))
    assert given.layout == "haplotypes" and given.missing_channel and config.network == "perez"
    assert "(given: layout=haplotypes)" in choices["encoding"] and choices["network"] == "perez (given)"
    genome = scenario([{"name": "chr", "sequence_length": 1e5, "mutation_rate": 1e-8}]).design
    assert models.network_for(Encoder.for_design(genome).layout)[0] == "cnn1d"
