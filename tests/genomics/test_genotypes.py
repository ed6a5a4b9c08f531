"""One genotypes type for simulated and observed data: what it holds, what it refuses to make up, and the
per-locus statistics read from it (against scikit-allel and closed forms, missing calls included)."""

import allel
import numpy as np
import pytest

from genomics.observed import readers
from genomics.encoding import sumstats
from genomics.errors import SettingError
from genomics.scenario.design import SamplingDesign
from genomics.encoding.encoder import Encoder
from genomics.genotypes import Genotypes, GenotypesError
from genomics.scenario.scenario import Scenario
from genomics.simulation.store import ShardReader, simulated_genotypes
from genomics.simulation.run import load_simulations, replicate_seed, simulate, simulate_replicate

RAD = {"populations": ["north", "south"], "samples": [3, 3], "ploidy": 2,
       "loci": [{"name": "rad", "count": 12, "sequence_length": 150, "mutation_rate": 1e-6}],
       "missing": {"per_individual": 0.2}}


def _split_spec(name):
    return {"name": name, "priors": {"T": {"uniform": [500, 2000]}}, "design": RAD,
            "demes": [{"name": deme, "initial_size": 1000} for deme in ("north", "south", "anc")],
            "events": [{"type": "split", "time": "T", "derived": ["north", "south"], "ancestral": "anc"}]}


def design_of(spec):
    return SamplingDesign.from_spec(spec, "test", lambda value, key: None)


def test_a_simulated_replicate_is_a_genotypes_object_with_its_loci_and_provenance():
    scenario = Scenario(_split_spec("split"))
    replicate = simulate_replicate(scenario, 7)["replicate"]
    assert isinstance(replicate, Genotypes)
    assert replicate.loci == 12 and replicate.site_counts.sum() == replicate.sites
    assert replicate.locus_lengths.tolist() == [150.0] * 12 and replicate.ploidy == 2
    assert replicate.loci_without_sites == int((replicate.site_counts == 0).sum())
    assert replicate.provenance["scenario"] == "split" and replicate.provenance["seed"] == 7
    assert (replicate.calls == -1).any()  # the design's missing individuals
    np.testing.assert_array_equal(replicate.site_loci, np.repeat(np.arange(12), replicate.site_counts))


def test_the_shards_give_back_the_simulated_genotypes_objects(tmp_path):
    scenario = Scenario(_split_spec("split"))
    simulate([scenario], 3, str(tmp_path), master_seed=4, shard_size=2, workers=1, progress=False)
    reader, data = ShardReader(str(tmp_path)), load_simulations(str(tmp_path))
    for index in range(3):
        expected = simulate_replicate(scenario, replicate_seed(4, 0, index))["replicate"]
        for replicate in (reader.genotypes(index), simulated_genotypes(data, index)):
            np.testing.assert_array_equal(replicate.calls, expected.calls)
            np.testing.assert_array_equal(replicate.site_counts, expected.site_counts)
            np.testing.assert_array_equal(replicate.locus_lengths, expected.locus_lengths)
        assert reader.genotypes(index).provenance["seed"] == replicate_seed(4, 0, index)


def test_a_matrix_has_no_positions_and_the_distance_channel_refuses_to_make_them_up(tmp_path):
    path = tmp_path / "m.txt"
    path.write_text("0 1 1\n1 0 1\n0 0 1\n1 1 0\n")
    design = design_of({"populations": ["a"], "samples": [4], "ploidy": 1, "sequence_length": 1000})
    data = readers.read_matrix(str(path), design)
    assert data.positions is None and data.site_counts.tolist() == [3]
    with pytest.raises(GenotypesError, match=r"m.txt has no site positions .*distance channel.*--no-distance-channel"):
        Encoder(n_snps=4).encode_genotypes(data)
    image, real = Encoder(n_snps=4, selection="first", distance_channel=False).encode_genotypes(data)
    assert real == 3 and image.shape == (4, 4, 1)


def test_statistics_need_locus_boundaries_and_say_which_option_gives_them():
    data = Genotypes(np.zeros((4, 3), np.int8), None, None, np.zeros(4, int), ["a"])
    with pytest.raises(GenotypesError, match="does not say where its loci begin.*--locus-sizes"):
        sumstats.statistics(data)


def uneven_loci(generator):
    """Three loci of 3, 0 and 2 SNPs among 2 + 2 diploids, with missing individuals."""
    calls = generator.integers(0, 2, size=(8, 5)).astype(np.int8)
    calls[0:2, 0:3] = -1       # individual 1 misses locus 1
    calls[6:8, 3:5] = -1       # individual 4 misses locus 3
    return calls, [3, 0, 2]


def test_a_matrix_with_uneven_loci_needs_its_locus_sizes_for_a_multi_locus_design(tmp_path):
    generator = np.random.default_rng(3)
    calls, sizes = uneven_loci(generator)
    path = tmp_path / "uneven.txt"
    path.write_text("\n".join(" ".join("N" if c < 0 else str(c) for c in row) for row in calls) + "\n")
    design = design_of({"populations": ["a", "b"], "samples": [2, 2], "ploidy": 2,
                        "loci": [{"name": "rad", "count": 3, "sequence_length": 150, "mutation_rate": 1e-8}]})
    with pytest.raises(GenotypesError, match=r"3 loci \(rad x3 of 150 bp\).* with locus_sizes ") as refused:
        readers.read_matrix(str(path), design)
    assert refused.value.parameters == ("locus_sizes",)
    with pytest.raises(SettingError, match=r"2 loci \(locus_sizes\) but the model's design has 3 loci"):
        readers.read_matrix(str(path), design, locus_sizes=[3, 2])
    data = readers.read_matrix(str(path), design, locus_sizes=readers.parse_locus_sizes("3,0,2"))
    assert data.site_counts.tolist() == sizes and data.loci_without_sites == 1
    expected = np.nanmean(per_locus_by_hand(calls, sizes), axis=0)
    names = sumstats.statistic_names(["a", "b"])
    values = dict(zip(names, sumstats.statistics(data, folded=False)))
    for column, name in enumerate(("S", "pi", "theta_w")):
        assert values[name] == pytest.approx(expected[column], abs=1e-12), name


def per_locus_by_hand(calls, sizes):
    """(loci, [S, pi, theta_w]) of all haplotypes, each site with its own number of calls (scikit-allel's
    allele counts of the called haplotypes); a locus without sites is 0."""
    rows, start = [], 0
    for size in sizes:
        block = calls[:, start : start + size]
        start += size
        if size == 0:
            rows.append([0.0, 0.0, 0.0])
            continue
        counts = allel.HaplotypeArray(block.T).count_alleles(max_allele=1)
        n = counts.sum(axis=1)
        pi = allel.mean_pairwise_difference(counts, fill=0).sum()
        segregating = counts.is_segregating()
        theta_w = sum(1 / np.sum(1 / np.arange(1, m)) for m, s in zip(n, segregating) if s)
        rows.append([segregating.sum(), pi, theta_w])
    return np.array(rows, dtype=float)


def test_missing_calls_use_each_sites_own_sample_size_against_scikit_allel():
    generator = np.random.default_rng(11)
    calls = generator.integers(0, 2, size=(12, 40)).astype(np.int8)
    calls[generator.random(calls.shape) < 0.15] = -1
    sizes = [10, 0, 14, 16]
    table = sumstats.locus_statistics(calls, sizes, np.repeat([0, 1], 6), folded=False)
    names = sumstats.statistic_names(["a", "b"])
    by_hand = per_locus_by_hand(calls, sizes)
    for column, name in enumerate(("S", "pi", "theta_w")):
        np.testing.assert_allclose(table[:, names.index(name)], by_hand[:, column], atol=1e-12)
    # a locus without sites: no D and no F_ST, but S = pi = d_xy = 0 count in the means
    assert np.isnan(table[1, names.index("tajima_d")]) and np.isnan(table[1, names.index("fst_a_b")])
    assert table[1, names.index("dxy_a_b")] == 0
    start = 0
    for locus, size in enumerate(sizes):
        if size:
            a = allel.HaplotypeArray(calls[:6, start : start + size].T).count_alleles(max_allele=1)
            b = allel.HaplotypeArray(calls[6:, start : start + size].T).count_alleles(max_allele=1)
            assert table[locus, names.index("dxy_a_b")] == pytest.approx(
                allel.mean_pairwise_difference_between(a, b, fill=0).sum())
            numerator, denominator = allel.hudson_fst(a, b)
            assert table[locus, names.index("fst_a_b")] == pytest.approx(numerator.sum() / denominator.sum())
        start += size


def test_monomorphic_sites_kept_by_a_file_change_no_statistic():
    generator = np.random.default_rng(5)
    calls = generator.integers(0, 2, size=(10, 12)).astype(np.int8)
    calls[generator.random(calls.shape) < 0.2] = -1
    padded = np.concatenate([calls[:, :6], np.zeros((10, 3), np.int8), calls[:, 6:]], axis=1)
    populations = np.repeat([0, 1], 5)
    np.testing.assert_allclose(sumstats.summary_statistics(calls, [6, 6], populations),
                               sumstats.summary_statistics(padded, [9, 6], populations), atol=1e-12)


def test_invariant_loci_absent_from_a_file_are_counted_back():
    calls = np.array([[0, 1], [1, 1], [0, 0], [1, 0]], np.int8)
    data = Genotypes(calls, np.array([3.0, 9.0]), [1, 1], np.zeros(4, int), ["a"], ploidy=1,
                     locus_lengths=[150, 150], provenance={"file": "x.vcf"})
    with_invariant = data.with_loci_without_sites(2)
    assert with_invariant.loci == 4 and with_invariant.loci_without_sites == 2
    assert with_invariant.locus_lengths.tolist() == [150.0] * 4
    names = sumstats.statistic_names(["a"])
    before, after = sumstats.statistics(data, False), sumstats.statistics(with_invariant, False)
    assert after[names.index("S")] == pytest.approx(before[names.index("S")] / 2)
    assert after[names.index("tajima_d")] == pytest.approx(before[names.index("tajima_d")])


def test_a_vcf_read_as_bed_regions_gives_one_locus_per_region_and_counts_records_outside(tmp_path):
    from genomics.observed.vcf import write_vcf
    from genomics.observed.vcf_loci import read_vcf_loci

    generator = np.random.default_rng(2)
    calls = generator.integers(0, 2, size=(12, 6)).astype(np.int8)
    positions = np.array([5, 40, 120, 130, 900, 2000])
    names = [f"s{i}" for i in range(6)]
    write_vcf(str(tmp_path / "genome.vcf"), calls, positions, names, ploidy=2, contig="chr1")
    (tmp_path / "loci.bed").write_text("chr1\t0\t150\nchr1\t1000\t1150\nchr1\t850\t1000\n")
    popmap = {name: "a" if i < 3 else "b" for i, name in enumerate(names)}
    design = design_of({"populations": ["a", "b"], "samples": [3, 3], "ploidy": 2,
                        "loci": [{"name": "rad", "count": 3, "sequence_length": 150, "mutation_rate": 1e-8}]})
    data = read_vcf_loci(str(tmp_path / "genome.vcf"), popmap, design, bed=str(tmp_path / "loci.bed"))
    assert data.site_counts.tolist() == [4, 0, 1] and data.loci_without_sites == 1
    assert data.positions.tolist() == [5, 40, 120, 130, 50] and data.locus_lengths.tolist() == [150] * 3
    assert data.report["dropped_outside_regions"] == 1 and data.locus_names[1] == "chr1:1000-1150"
    with pytest.raises(GenotypesError, match=r"has 3 loci \(3 BED regions\) but the model's design has 4 loci"):
        read_vcf_loci(str(tmp_path / "genome.vcf"), popmap, design_of({**design.to_dict(), "loci": [
            {"name": "rad", "count": 4, "sequence_length": 150, "mutation_rate": 1e-8}]}),
            bed=str(tmp_path / "loci.bed"))
