"""Observed data in the formats of simulators: tskit .trees files (checked against the VCF tskit writes of them)
and VCFs of msprime's rounded continuous positions (repeated positions)."""

import io

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import msprime
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from genomics.encoding.sumstats import statistics
from genomics.genotypes import GenotypesError
from genomics.observed import readers, trees, vcf
from genomics.observed.files import ObservedFiles, describe, read_observed
from genomics.scenario.design import Locus, SamplingDesign


def simulate(seed, samples=(3, 2), ploidy=2, length=20_000, rate=2e-7):
    """Two island populations (msprime names them pop_0 and pop_1), diploid individuals by default."""
    demography = msprime.Demography.island_model([2_000, 2_000], migration_rate=1e-3)
    ancestry = msprime.sim_ancestry({"pop_0": samples[0], "pop_1": samples[1]}, demography=demography,
                                    ploidy=ploidy, sequence_length=length, recombination_rate=1e-8,
                                    random_seed=seed)
    return msprime.sim_mutations(ancestry, rate=rate, random_seed=seed + 100)


def vcf_text(tree_sequence, contig):
    out = io.StringIO()
    tree_sequence.write_vcf(out, contig_id=contig)
    return out.getvalue()


def write_vcf_of(tree_sequences, path):
    """One VCF of several tree sequences, one contig each (tskit's header of the first, every contig line)."""
    texts = [vcf_text(ts, f"locus{i}").splitlines() for i, ts in enumerate(tree_sequences)]
    header = [line for line in texts[0] if line.startswith("##") and not line.startswith("##contig")]
    contigs = [line for text in texts for line in text if line.startswith("##contig")]
    columns = [line for line in texts[0] if line.startswith("#CHROM")]
    records = [line for text in texts for line in text if not line.startswith("#")]
    path.write_text("\n".join(header + contigs + columns + records) + "\n")


def write_popmap(path, tree_sequence):
    names, _, populations, _ = trees.sample_individuals(tree_sequence, "test")
    path.write_text("".join(f"{name}\t{population}\n" for name, population in zip(names, populations)))


def loci_design(count, samples=(3, 2), ploidy=2):
    return SamplingDesign(["pop_0", "pop_1"], list(samples), ploidy=ploidy,
                          loci=[Locus("locus", count=count, sequence_length=20_000, mutation_rate=2e-7)],
                          contiguous=False)


def test_trees_files_as_loci_read_as_the_vcf_tskit_writes_of_them(tmp_path):
    simulations = [simulate(1), simulate(2)]
    for i, ts in enumerate(simulations):
        ts.dump(tmp_path / f"locus{i}.trees")
    write_vcf_of(simulations, tmp_path / "both.vcf")
    write_popmap(tmp_path / "pops.txt", simulations[0])
    design = loci_design(3)  # one locus without any site, counted in by both readers
    [from_trees], _ = read_observed(ObservedFiles(trees=[str(tmp_path / f"locus{i}.trees") for i in range(2)]),
                                    design)
    [from_vcf], _ = read_observed(ObservedFiles(vcf=str(tmp_path / "both.vcf"), popmap=str(tmp_path / "pops.txt")),
                                  design)
    assert from_vcf.sites > 10 and from_trees.report["dropped_not_biallelic"] == \
        from_vcf.report["dropped_not_biallelic_snp"]
    np.testing.assert_array_equal(from_trees.calls, from_vcf.calls)
    np.testing.assert_array_equal(from_trees.positions, from_vcf.positions)
    np.testing.assert_array_equal(from_trees.site_counts, from_vcf.site_counts)
    np.testing.assert_array_equal(from_trees.locus_lengths, from_vcf.locus_lengths)
    np.testing.assert_allclose(statistics(from_trees), statistics(from_vcf), rtol=1e-9, atol=1e-9)


def test_a_trees_file_under_a_sequence_design_gives_the_windows_of_its_vcf(tmp_path):
    ts = simulate(3)
    ts.dump(tmp_path / "genome.trees")
    (tmp_path / "genome.vcf").write_text(vcf_text(ts, "1"))
    write_popmap(tmp_path / "pops.txt", ts)
    design = SamplingDesign(["pop_1", "pop_0"], [2, 3], ploidy=2,  # the design's order, not the file's
                            loci=[Locus("sequence", sequence_length=5_000, mutation_rate=2e-7)])
    windows_trees, labels_trees = read_observed(ObservedFiles(trees=[str(tmp_path / "genome.trees")]), design)
    windows_vcf, labels_vcf = read_observed(ObservedFiles(vcf=str(tmp_path / "genome.vcf"),
                                                          popmap=str(tmp_path / "pops.txt")), design)
    assert len(windows_trees) == len(windows_vcf) >= 3
    assert windows_trees[0].report["sites_below_position_1"] == int((ts.tables.sites.position < 1).sum())
    for a, b in zip(windows_trees, windows_vcf):
        np.testing.assert_array_equal(a.calls, b.calls)
        np.testing.assert_array_equal(a.positions, b.positions)
        np.testing.assert_allclose(statistics(a), statistics(b), rtol=1e-9, atol=1e-9)
    assert labels_trees[0].split(":")[1] == labels_vcf[0].split(":")[1]


def test_trees_ploidy_populations_and_provenance_come_from_the_tree_sequence(tmp_path):
    ts = simulate(4, samples=(4, 2), ploidy=1)
    ts.dump(tmp_path / "haploid.trees")
    data = trees.read_trees([str(tmp_path / "haploid.trees")], loci_design(1, samples=(4, 2), ploidy=1))
    assert data.report["call_ploidy"] == 1 and data.report["populations_from"] == "the tree sequence"
    assert describe(data).startswith(f".trees (tskit), one locus per file: {data.sites} sites; 1 loci")
    np.testing.assert_array_equal(data.haplotype_populations, [0, 0, 0, 0, 1, 1])
    assert [record["software"] for record in data.provenance["tree_sequence"]] == ["msprime", "msprime"]
    assert data.provenance["tree_sequence"][0]["command"] == "sim_ancestry"
    np.testing.assert_array_equal(data.positions, ts.tables.sites.position[
        [len(v.alleles) == 2 for v in ts.variants()]])
    diploid = simulate(5, samples=(2, 1))
    diploid.dump(tmp_path / "diploid.trees")
    with pytest.raises(GenotypesError, match=r"diploid.trees: its individuals have 2 sample nodes each "
                                             r"\(ploidy 2\) but the model's design has ploidy 1"):
        trees.read_trees([str(tmp_path / "diploid.trees")], loci_design(1, samples=(4, 2), ploidy=1))


def test_a_population_map_relabels_the_individuals_of_a_trees_file(tmp_path):
    ts = simulate(6, samples=(3, 2))
    ts.dump(tmp_path / "s.trees")
    (tmp_path / "pops.txt").write_text("tsk_0 north\ntsk_1 south\ntsk_2 north\ntsk_3 south\ntsk_4 north\n")
    design = SamplingDesign(["north", "south"], [3, 2], ploidy=2,
                            loci=[Locus("l", sequence_length=20_000, mutation_rate=2e-7)], contiguous=False)
    data = trees.read_trees([str(tmp_path / "s.trees")], design, vcf.read_population_map(str(tmp_path / "pops.txt")))
    genotypes = ts.genotype_matrix()[[len(v.alleles) == 2 for v in ts.variants()]]
    nodes = [0, 1, 4, 5, 8, 9, 2, 3, 6, 7]  # individuals 0, 2, 4 (north) then 1, 3 (south)
    np.testing.assert_array_equal(data.calls, genotypes[:, nodes].T)
    assert data.report["populations_from"] == "the population map"


@pytest.mark.parametrize("content, message", [
    (b"not a tree sequence", r"bad.trees: not a tskit tree sequence"),
    (None, r"no .trees file at"),
])
def test_a_file_that_is_not_a_tree_sequence_is_refused_in_one_sentence(tmp_path, content, message):
    if content is not None:
        (tmp_path / "bad.trees").write_bytes(content)
    with pytest.raises(GenotypesError, match=message):
        trees.read_trees([str(tmp_path / "bad.trees")], loci_design(1))


def test_a_vcf_of_rounded_continuous_positions_keeps_every_record_and_counts_the_repeats(tmp_path):
    ancestry = msprime.sim_ancestry(4, population_size=10_000, sequence_length=2_000, discrete_genome=False,
                                    recombination_rate=1e-8, random_seed=7)
    ts = msprime.sim_mutations(ancestry, rate=2e-6, discrete_genome=False, random_seed=8)
    shifted = np.round(ts.tables.sites.position) + 1  # 1-based whole bases, as many pipelines write them
    out = io.StringIO()
    ts.write_vcf(out, position_transform=lambda positions: np.round(positions) + 1)
    (tmp_path / "rounded.vcf").write_text(out.getvalue())
    (tmp_path / "pops.txt").write_text("".join(f"tsk_{i}\tpop_0\n" for i in range(4)))
    design = SamplingDesign(["pop_0"], [4], ploidy=2, loci=[Locus("sequence", sequence_length=2_000)])
    data = vcf.read_vcf(str(tmp_path / "rounded.vcf"), vcf.read_population_map(str(tmp_path / "pops.txt")), design)
    repeats = ts.num_sites - np.unique(shifted).size
    assert repeats >= 3  # this seed rounds several mutations onto one base
    assert data.sites == ts.num_sites and data.report["repeated_position_records"] == repeats
    np.testing.assert_array_equal(data.positions, shifted)
    np.testing.assert_array_equal(data.calls, ts.genotype_matrix().T)
    assert any("records at a position an earlier record already holds" in w for w in data.report["warnings"])


# ---------------------------------------------------------------- Perez et al.'s -1/+1/0 matrices
def matrix_design(samples=(3, 2), sites=(4, 3)):
    return SamplingDesign.from_spec({"populations": ["north", "south"], "samples": list(samples), "ploidy": 1,
                                     "loci": [{"name": f"l{i}", "segregating_sites": s} for i, s in enumerate(sites)]},
                                    "test", lambda value, key: None)


def write_rows(path, rows):
    path.write_text("\n".join(" ".join(str(value) for value in row) for row in rows) + "\n")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=hnp.arrays(np.int8, (5, 7), elements=st.sampled_from([0, 1, -1])))
def test_perez_sites_by_haplotypes_plus_minus_matrix_reads_as_the_zero_one_matrix(tmp_path, calls):
    write_rows(tmp_path / "zero_one.txt", np.where(calls < 0, "N", calls.astype(str)))
    perez = np.where(calls < 0, 0, 2 * calls.astype(int) - 1).T  # sites x haplotypes; -1 ref, +1 alt, 0 missing
    write_rows(tmp_path / "perez.txt", perez)
    reference = readers.read_matrix(str(tmp_path / "zero_one.txt"), matrix_design(), coding="zero-one")
    data = readers.read_matrix(str(tmp_path / "perez.txt"), matrix_design(), orientation="auto",
                               coding="auto" if (calls == 0).any() else "plus-minus")
    np.testing.assert_array_equal(data.calls, calls)
    np.testing.assert_array_equal(data.calls, reference.calls)
    assert data.report["orientation"] == "sites-by-haplotypes" and data.report["orientation_from"] == "detected"
    assert data.report["coding"].startswith("-1/+1/0") and data.provenance["coding"] == data.report["coding"]


def test_detected_and_given_codings_are_said_in_the_report(tmp_path):
    write_rows(tmp_path / "m.txt", [[1, -1, 0, 1, -1, 1, 1]] * 5)
    detected = readers.read_matrix(str(tmp_path / "m.txt"), matrix_design())
    assert detected.report["coding_from"] == "detected" and detected.report["format"] == "-1/+1/0 matrix"
    np.testing.assert_array_equal(detected.calls[0], [1, 0, -1, 1, 0, 1, 1])
    write_rows(tmp_path / "z.txt", [[1, 0, 0, 1, 0, 1, 1]] * 5)
    zero_one = readers.read_matrix(str(tmp_path / "z.txt"), matrix_design())
    assert zero_one.report["coding"].startswith("0/1") and zero_one.report["coding_from"] == "detected"
    given = readers.read_matrix(str(tmp_path / "z.txt"), matrix_design(), coding="plus-minus")
    assert given.report["coding_from"] == "given" and given.missing_fraction == pytest.approx(3 / 7)


@pytest.mark.parametrize("rows, orientation, coding, message", [
    ([[0, 0, "N", 0, 0, 0, 0]] * 5, "auto", "auto", r"every value is 0 or a missing code, which is all reference "
                                                      r"calls in the 0/1 coding but all missing calls"),
    ([[1, -1, "N", 1, 1, 1, 1]] * 5, "auto", "auto", r"line 1, column 3: 'N' is not -1, \+1 \(or 1\) or 0 "
                                                      r"\(missing\), the -1/\+1/0 coding detected"),
    ([[1, -1, 0, 1, 1]] * 5, "auto", "auto", r"5 rows and 5 columns, and the model takes 5 haplotypes: either side"),
    ([[1, -1, 0, 1, 1, 1]] * 4, "auto", "auto", r"4 rows and 6 columns, but the model takes 5 haplotypes"),
    ([[1, -1, 0, 1, 1, 1, 1]] * 5, "auto", "zero-one", r"line 1, column 2: '-1' is not 0, 1 or a missing code"),
])
def test_ambiguous_or_mixed_matrices_are_refused_in_one_sentence(tmp_path, rows, orientation, coding, message):
    write_rows(tmp_path / "m.txt", rows)
    sites = (4, 3) if len(rows[0]) == 7 or len(rows) == 7 else (3, 2)
    with pytest.raises(ValueError, match=message):
        readers.read_matrix(str(tmp_path / "m.txt"), matrix_design(sites=sites), orientation, coding=coding)


def test_observed_files_pass_the_matrix_coding_through(tmp_path):
    write_rows(tmp_path / "m.txt", [[1, 0, 0, 1, 0, 1, 1]] * 5)
    [data], _ = read_observed(ObservedFiles(matrix=str(tmp_path / "m.txt"), coding="plus-minus"), matrix_design())
    assert data.report["coding_from"] == "given" and (data.calls == -1).sum() == 15


def test_a_vcf_zarr_store_without_the_zarr_package_is_refused_naming_it(tmp_path, monkeypatch):
    from genomics.observed import vcf_zarr

    (tmp_path / "data.vcz").mkdir()
    (tmp_path / "pops.txt").write_text("tsk_0 pop_0\n")
    (tmp_path / "data.vcz" / ".zgroup").write_text('{"zarr_format": 2}')
    assert vcf_zarr.is_vcf_zarr(str(tmp_path / "data.vcz")) and not vcf_zarr.is_vcf_zarr(str(tmp_path))
    monkeypatch.setitem(__import__("sys").modules, "zarr", None)  # as if zarr were not installed
    with pytest.raises(GenotypesError, match=r"data.vcz is a VCF Zarr store, and reading one needs the optional "
                                             r"zarr package: pip install 'minidl\[zarr\]'"):
        read_observed(ObservedFiles(vcf=str(tmp_path / "data.vcz"), popmap=str(tmp_path / "pops.txt")),
                      SamplingDesign(["pop_0"], [1]))


def test_isolated_samples_of_a_trees_file_are_missing_calls_as_in_its_vcf(tmp_path):
    ts = simulate(9)
    tables = ts.dump_tables()
    edges = tables.edges
    left = np.where(edges.child == 0, np.maximum(edges.left, 10_000), edges.left)  # sample node 0: no parent before
    keep = left < edges.right
    tables.edges.set_columns(left=left[keep], right=edges.right[keep], parent=edges.parent[keep],
                             child=edges.child[keep])
    tables.sort()
    tables.build_index()
    tables.compute_mutation_parents()
    gapped = tables.tree_sequence()
    gapped.dump(tmp_path / "gapped.trees")
    (tmp_path / "gapped.vcf").write_text(vcf_text(gapped, "locus0"))
    write_popmap(tmp_path / "pops.txt", gapped)
    design = loci_design(1)
    [from_trees], _ = read_observed(ObservedFiles(trees=[str(tmp_path / "gapped.trees")], max_missing=1.0), design)
    [from_vcf], _ = read_observed(ObservedFiles(vcf=str(tmp_path / "gapped.vcf"), popmap=str(tmp_path / "pops.txt"),
                                                max_missing=1.0), design)
    assert (from_trees.calls[0] == -1).sum() >= 3 and from_trees.report["missing_calls_kept"] == \
        from_vcf.report["missing_calls_kept"]
    np.testing.assert_array_equal(from_trees.calls, from_vcf.calls)
    complete, _ = read_observed(ObservedFiles(trees=[str(tmp_path / "gapped.trees")], max_missing=0.0), design)
    assert complete[0].sites == from_trees.sites - int((from_trees.calls == -1).any(axis=0).sum())
