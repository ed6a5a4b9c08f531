"""VCF Zarr stores (sgkit-dev/vcf-zarr-spec's layout, as bio2zarr writes it) read as the VCF they encode: the store
and the VCF are both written here from the same calls, the store with zarr directly."""

import numpy as np
import pytest

from genomics.encoding.sumstats import statistics
from genomics.observed import vcf, vcf_zarr
from genomics.observed.files import ObservedFiles, read_observed
from genomics.scenario.design import Locus, SamplingDesign

zarr = pytest.importorskip("zarr")

SAMPLES = ["a1", "a2", "a3", "b1", "b2", "b3"]
ALLELES = [("A", "G", ""), ("C", "T", ""), ("G", "A", "T"), ("T", "C", ""), ("A", "", ""), ("C", "A", ""),
           ("G", "T", ""), ("T", "G", ""), ("A", "C", ""), ("AT", "A", ""), ("C", "G", ""), ("G", "C", "")]
CONTIGS = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]  # three contigs; the fourth, "chr4", holds no variant
POSITIONS = [150, 20, 400, 400, 900, 1200, 5, 77, 610, 3, 300, 1999]  # unsorted; 400 twice
NAMES, LENGTHS = ["chr1", "chr2", "chr3", "chr4"], [2000, 2000, 2000, 2000]


def calls(seed=0, missing=0.1):
    """(variants, samples, 2) genotype calls: 0 REF, 1/2 ALTs, -1 missing; every third sample unphased."""
    rng = np.random.default_rng(seed)
    genotypes = np.stack([rng.integers(0, 2 + (len(alleles[2]) > 0), size=(len(SAMPLES), 2))
                          for alleles in ALLELES])
    genotypes[4] = 0  # the record without ALT holds REF only
    genotypes[rng.random(genotypes.shape[:2]) < missing] = -1
    genotypes[rng.random(genotypes.shape) < missing / 2] = -1  # and some half-missing calls ("0/.")
    phased = np.ones(genotypes.shape[:2], dtype=bool)
    phased[:, ::3] = False
    return genotypes, phased


def write_vcf_text(path, genotypes, phased):
    lines = ["##fileformat=VCFv4.2"] + [f"##contig=<ID={n},length={l}>" for n, l in zip(NAMES, LENGTHS)]
    lines += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
              "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *SAMPLES])]
    for v, (alleles, contig, position) in enumerate(zip(ALLELES, CONTIGS, POSITIONS)):
        alt = ",".join(a for a in alleles[1:] if a) or "."
        gts = [("|" if phased[v, s] else "/").join("." if a < 0 else str(a) for a in genotypes[v, s])
               for s in range(len(SAMPLES))]
        lines.append("\t".join([NAMES[contig], str(position), ".", alleles[0], alt, ".", "PASS", ".", "GT", *gts]))
    path.write_text("\n".join(lines) + "\n")


def write_store(path, genotypes, phased, contigs_as="array", mask=True):
    """A VCF Zarr store (Zarr format 2) with the specification's arrays, dimension names and attributes."""
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    header = "\n".join(["##fileformat=VCFv4.2"] + [f"##contig=<ID={n},length={l}>" for n, l in zip(NAMES, LENGTHS)])
    group.attrs.update({"vcf_zarr_version": "0.4", "vcf_header": header, "filters": ["PASS"]})

    def array(name, data, dimensions, dtype=None):
        created = group.create_array(name, shape=np.shape(data), dtype=dtype or np.asarray(data).dtype)
        created[...] = data
        created.attrs["_ARRAY_DIMENSIONS"] = dimensions

    if contigs_as == "array":
        array("contig_id", np.array(NAMES), ["contigs"], str)
        array("contig_length", np.array(LENGTHS, dtype=np.int64), ["contigs"])
    else:
        group.attrs["contigs"] = NAMES
    array("sample_id", np.array(SAMPLES), ["samples"], str)
    array("variant_contig", np.array(CONTIGS, dtype=np.int8), ["variants"])
    array("variant_position", np.array(POSITIONS, dtype=np.int32), ["variants"])
    array("variant_allele", np.array(ALLELES), ["variants", "alleles"], str)
    array("call_genotype", genotypes.astype(np.int8), ["variants", "samples", "ploidy"])
    array("call_genotype_phased", phased, ["variants", "samples"])
    if mask:
        array("call_genotype_mask", genotypes < 0, ["variants", "samples", "ploidy"])


def popmap(tmp_path):
    path = tmp_path / "pops.txt"
    path.write_text("".join(f"{name}\t{name[0].upper()}\n" for name in SAMPLES))
    return vcf.read_population_map(str(path))


def design(contiguous=True):
    loci = [Locus("sequence", sequence_length=2000)] if contiguous else [Locus("rad", count=5, sequence_length=2000)]
    return SamplingDesign(["A", "B"], [3, 3], ploidy=2, loci=loci, contiguous=contiguous)


@pytest.mark.parametrize("contigs_as, mask, missing", [("array", True, 0.1), ("attribute", False, 0.1),
                                                       ("array", True, 0.0)])
def test_a_vcf_zarr_store_reads_as_the_vcf_it_encodes(tmp_path, contigs_as, mask, missing):
    genotypes, phased = calls(missing=missing)
    write_vcf_text(tmp_path / "data.vcf", genotypes, phased)
    write_store(tmp_path / "data.vcz", genotypes, phased, contigs_as, mask)
    for max_missing in (0.0, 1.0):
        expected = vcf.read_vcf(str(tmp_path / "data.vcf"), popmap(tmp_path), design(), max_missing=max_missing)
        data = vcf_zarr.read_vcf_zarr(str(tmp_path / "data.vcz"), popmap(tmp_path), design(), max_missing=max_missing)
        np.testing.assert_array_equal(data.calls, expected.calls)
        np.testing.assert_array_equal(data.positions, expected.positions)
        assert data.locus_names == expected.locus_names and data.site_counts.tolist() == expected.site_counts.tolist()
        same = {key: value for key, value in expected.report.items() if key not in ("format", "byte_order_mark")}
        assert {key: data.report[key] for key in same} == same
        assert data.report["format"] == "VCF Zarr" and data.report["repeated_position_records"] == 1
        np.testing.assert_allclose(statistics(data), statistics(expected), rtol=1e-9, atol=1e-9)


def test_a_store_as_loci_and_as_windows_through_the_observed_files(tmp_path):
    genotypes, phased = calls()
    write_vcf_text(tmp_path / "data.vcf", genotypes, phased)
    write_store(tmp_path / "data.vcz", genotypes, phased)
    (tmp_path / "pops.txt").write_text("".join(f"{name}\t{name[0].upper()}\n" for name in SAMPLES))
    for contiguous in (False, True):
        files = [ObservedFiles(vcf=str(tmp_path / name), popmap=str(tmp_path / "pops.txt"))
                 for name in ("data.vcf", "data.vcz")]
        (expected, expected_labels), (data, labels) = (read_observed(f, design(contiguous)) for f in files)
        assert labels == expected_labels or not contiguous  # loci are labelled by the file's name
        for a, b in zip(data, expected):
            np.testing.assert_array_equal(a.calls, b.calls)
            assert a.site_counts.tolist() == b.site_counts.tolist()
            np.testing.assert_array_equal(a.locus_lengths, b.locus_lengths)
        if contiguous:  # one window of 2,000 bp on each contig with sites
            assert labels == ["chr1:1-2000", "chr2:1-2000", "chr3:1-2000"]
        else:  # three contigs with sites and two loci without (the design has 5)
            assert data[0].site_counts.tolist()[3:] == [0, 0] and data[0].locus_names[:3] == NAMES[:3]


def test_a_store_without_a_required_array_or_with_mixed_ploidy_is_refused(tmp_path):
    genotypes, phased = calls()
    write_store(tmp_path / "data.vcz", genotypes, phased)
    del zarr.open_group(str(tmp_path / "data.vcz"), mode="a")["call_genotype"]
    with pytest.raises(vcf_zarr.GenotypesError, match=r"data.vcz: a VCF Zarr store needs the arrays .*absent: "
                                                      r"call_genotype"):
        vcf_zarr.read_vcf_zarr(str(tmp_path / "data.vcz"), popmap(tmp_path), design())
    genotypes[0, 0, 1] = -2
    write_store(tmp_path / "mixed.vcz", genotypes, phased, mask=False)
    with pytest.raises(vcf_zarr.GenotypesError, match=r"calls of mixed ploidy"):
        vcf_zarr.read_vcf_zarr(str(tmp_path / "mixed.vcz"), popmap(tmp_path), design())
