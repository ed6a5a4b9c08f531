"""Real-data reading on a VCF the test writes, and the command line end to end on a tiny run."""

import csv
import json
import os

import numpy as np
import pytest

from genomics.observed import vcf
from genomics.scenario import catalogue
from genomics.learning import networks as models
from genomics import pipeline
from genomics.bundle import Bundle
from genomics.cli.main import main
from genomics.scenario.design import SamplingDesign

HEADER = """##fileformat=VCFv4.2
##contig=<ID=1,length=100000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\ts4\ts5
"""
ROWS = [
    ("100", "A", "G", ["0|1", "1|1", "0|0", "0/1", "1|0"]),
    ("200", "C", "T,G", ["0|1", "1|2", "0|0", "0|1", "1|0"]),   # multiallelic: dropped
    ("300", "G", "A", ["0|1", "./.", "0|0", "0|1", "1|0"]),     # missing call: dropped
    ("400", "AT", "A", ["0|1", "1|1", "0|0", "0|1", "1|0"]),    # indel: dropped
    ("500", "T", "C", ["1|1", "0|0", "0|1", "1|1", "0|0"]),
]


def haplotype_design(populations, haplotypes):
    """A design sampling these haplotypes per population (counted as ms does, ploidy 1)."""
    return SamplingDesign(list(populations), list(haplotypes), ploidy=1)


def write_vcf(path):
    with open(path, "w") as handle:
        handle.write(HEADER)
        for pos, ref, alt, calls in ROWS:
            handle.write("\t".join(["1", pos, ".", ref, alt, ".", "PASS", ".", "GT", *calls]) + "\n")


def write_popmap(path, rows):
    with open(path, "w") as handle:
        handle.write("# sample population\n")
        handle.writelines(f"{sample}\t{population}\n" for sample, population in rows)


def test_read_vcf_keeps_biallelic_complete_snps_and_reports_the_rest(tmp_path):
    write_vcf(tmp_path / "data.vcf")
    write_popmap(tmp_path / "pops.txt", [("s1", "A"), ("s2", "A"), ("s3", "B"), ("s4", "B")])
    mapping = vcf.read_population_map(str(tmp_path / "pops.txt"))
    data = vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 4]))
    assert data.report["sites_in_vcf"] == 5
    assert data.report["dropped_not_biallelic_snp"] == 2
    assert data.report["dropped_missing_calls"] == 1
    np.testing.assert_array_equal(data.positions, [100, 500])
    np.testing.assert_array_equal(data.haplotypes[:, 0], [0, 1, 1, 1, 0, 0, 0, 1])  # s1, s2 | s3, s4
    np.testing.assert_array_equal(data.haplotype_populations, [0, 0, 0, 0, 1, 1, 1, 1])
    assert data.report["samples_ignored_not_in_map"] == 1
    assert data.report["unphased_heterozygous_calls"] == 1  # s4's 0/1 at position 100 (s5 is not mapped)


def test_read_vcf_keeps_sites_with_missing_calls_up_to_max_missing(tmp_path):
    write_vcf(tmp_path / "data.vcf")
    write_popmap(tmp_path / "pops.txt", [("s1", "A"), ("s2", "A"), ("s3", "B"), ("s4", "B")])
    mapping = vcf.read_population_map(str(tmp_path / "pops.txt"))
    kept = vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 4]), max_missing=0.25)
    np.testing.assert_array_equal(kept.positions, [100, 300, 500])  # site 300 misses 2 of 8 haplotypes
    np.testing.assert_array_equal(kept.haplotypes[:, 1], [0, 1, -1, -1, 0, 0, 0, 1])
    assert kept.report["missing_calls_kept"] == 2 and kept.report["dropped_missing_calls"] == 0
    strict = vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 4]), max_missing=0.2)
    assert strict.report["dropped_missing_calls"] == 1
    with pytest.raises(ValueError, match=r"max_missing must be a fraction in \[0, 1\], got 2"):
        vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 4]), max_missing=2)


def test_read_vcf_subsamples_with_a_seed_and_names_problems(tmp_path):
    write_vcf(tmp_path / "data.vcf")
    write_popmap(tmp_path / "pops.txt", [("s1", "A"), ("s2", "A"), ("s3", "A"), ("s4", "B"), ("s5", "B")])
    mapping = vcf.read_population_map(str(tmp_path / "pops.txt"))
    first = vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 4]), seed=3)
    again = vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 4]), seed=3)
    np.testing.assert_array_equal(first.haplotypes, again.haplotypes)
    assert first.haplotypes.shape == (8, 2)
    with pytest.raises(ValueError, match="population 'B' has 4 haplotypes .* trained on 6"):
        vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "B"], [4, 6]))
    with pytest.raises(ValueError, match=r"populations \['B'\] that the model was not trained on"):
        vcf.read_vcf(str(tmp_path / "data.vcf"), mapping, haplotype_design(["A", "C"], [4, 4]))
    write_popmap(tmp_path / "bad.txt", [("s1", "A"), ("s9", "A")])
    with pytest.raises(ValueError, match="not in"):
        vcf.read_vcf(str(tmp_path / "data.vcf"), vcf.read_population_map(str(tmp_path / "bad.txt")),
                     haplotype_design(["A"], [2]))
    (tmp_path / "broken.txt").write_text("s1 A extra\n")
    with pytest.raises(ValueError, match="broken.txt, line 1"):
        vcf.read_population_map(str(tmp_path / "broken.txt"))


def numpy_sites(positions, start, end):
    return np.flatnonzero((positions >= start) & (positions <= end))


def test_the_example_vcf_comes_from_the_training_simulator_and_reads_back_whole(tmp_path):
    scenario = catalogue.get("divergence")
    vcf_path, popmap_path, parameters = pipeline.write_example_vcf(str(tmp_path), scenario, seed=3, windows=2)
    assert set(parameters) == set(scenario.priors)
    data = vcf.read_vcf(vcf_path, vcf.read_population_map(popmap_path),
                        haplotype_design(["A", "B", "C"], [20, 20, 20]))
    assert data.report["sites_kept"] == data.report["sites_in_vcf"] > 0
    assert np.all(np.diff(data.positions) > 0)
    (tmp_path / "again").mkdir()
    again = pipeline.write_example_vcf(str(tmp_path / "again"), scenario, seed=3, windows=2)[0]
    assert open(again).read() == open(vcf_path).read()  # same seed, same file


def test_simulate_train_evaluate_predict_through_the_command_line(tmp_path, capsys):
    sims, other, run = str(tmp_path / "sims"), str(tmp_path / "other"), str(tmp_path / "run")
    assert main(["simulate", "three_populations", "--replicates", "12", "--out", sims, "--shard-size", "5",
                 "--workers", "1"]) == 0
    assert main(["simulate", "three_populations", "--replicates", "4", "--out", other, "--simulation-seed", "9",
                 "--workers", "1"]) == 0
    assert main(["train", sims, "--out", run, "--epochs", "1", "--n-snps", "32", "--row-sort", "similarity"]) == 0
    printed = capsys.readouterr().out
    assert "confusion matrix" in printed and "divergence_with_migration" in printed and "precision" in printed
    assert os.path.exists(os.path.join(run, "model.npz"))
    assert main(["evaluate", os.path.join(run, "model.npz"), other, "--out", str(tmp_path / "eval.json")]) == 0
    assert json.load(open(tmp_path / "eval.json"))["samples"] == 12
    vcf_path, popmap_path, _ = pipeline.write_example_vcf(str(tmp_path), catalogue.get("divergence"), seed=5,
                                                          windows=2)
    assert main(["predict", os.path.join(run, "model.npz"), vcf_path, "--popmap", popmap_path,
                 "--out", str(tmp_path / "prediction.json")]) == 0
    prediction = json.load(open(tmp_path / "prediction.json"))
    assert [(w["start"], w["end"]) for w in prediction["windows"]] == [(1, 200_000), (200_001, 400_000)]
    # The printed probabilities are the bundle's network applied to the VCF's windows, encoded independently here.
    trained = Bundle.load(os.path.join(run, "model.npz"))
    model, design = trained.model, trained.design
    data = vcf.read_vcf(vcf_path, vcf.read_population_map(popmap_path), design)
    encoder = trained.encoder
    for window in prediction["windows"]:
        sites = numpy_sites(data.positions, window["start"], window["end"])
        image, _ = encoder.encode(data.haplotypes[:, sites], data.positions[sites] - window["start"], 200_000.0,
                                  data.haplotype_populations)
        softmax = model.predict(models.model_input(image[None], trained.network))[0].astype(float)
        tempered = softmax ** (1 / trained.temperature)  # softmax(z / T) = p^(1/T) / sum
        np.testing.assert_allclose(window["values"], tempered / tempered.sum(), atol=5e-5)  # float32 softmax
    assert prediction["output"] == f"calibrated probabilities (T = {trained.temperature:.3f})"
    np.testing.assert_allclose(prediction["summary"]["mean"],
                               np.mean([w["values"] for w in prediction["windows"]], axis=0), rtol=1e-6)
    assert "highest mean" in capsys.readouterr().out
    assert main(["predict", os.path.join(run, "model.npz"), vcf_path, "--popmap", popmap_path, "--step", "100000",
                 "--out", str(tmp_path / "prediction.csv")]) == 0
    with open(tmp_path / "prediction.csv") as handle:
        table = list(csv.DictReader(handle))
    assert [(row["start"], row["end"]) for row in table] == [("1", "200000"), ("100001", "300000"),
                                                              ("200001", "400000"), ("300001", "500000")][:len(table)]
    assert len(table) >= 3 and set(trained.scenario_names) <= set(table[0])
    assert all(abs(sum(float(row[name]) for name in trained.scenario_names) - 1) < 1e-4 for row in table)
    assert table[0]["output"].startswith("calibrated probabilities")
    capsys.readouterr()
    assert main(["abc", sims, "--tolerance", "0.2", "--methods", "rejection"]) == 0
    assert "ABC rejection" in capsys.readouterr().out
    ancestral = str(tmp_path / "ancestral")
    assert main(["train", sims, "--out", ancestral, "--epochs", "1", "--n-snps", "32",
                 "--polarisation", "ancestral"]) == 0
    capsys.readouterr()
    bundle = os.path.join(ancestral, "model.npz")
    assert main(["predict", bundle, vcf_path, "--popmap", popmap_path]) == 2
    assert "ALT is not known to be derived" in capsys.readouterr().err
    assert main(["predict", bundle, vcf_path, "--popmap", popmap_path, "--ref-is-ancestral"]) == 0


def test_command_line_errors_are_one_clear_line(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run")]) == 2
    assert "holds no manifest.json" in capsys.readouterr().err
    assert main(["simulate", "no_such_scenario", "--replicates", "1", "--out", str(tmp_path / "s")]) == 2
    assert "panmixia" in capsys.readouterr().err


def test_simulate_missing_like_a_vcf_gives_its_per_population_rates(tmp_path, capsys):
    from genomics.simulation.run import load_simulations

    write_vcf(tmp_path / "data.vcf")
    write_popmap(tmp_path / "pops.txt", [("s1", "A"), ("s2", "A"), ("s3", "B"), ("s4", "B")])
    (tmp_path / "model.toml").write_text(
        'name = "two"\n[priors]\nN = 1000.0\n[design]\npopulations = ["A", "B"]\nsamples = [20, 20]\n'
        '[[design.loci]]\nname = "snp"\ncount = 400\nsegregating_sites = 1\n'
        '[[demes]]\nname = "A"\ninitial_size = "N"\n[[demes]]\nname = "B"\ninitial_size = "N"\n'
        '[[demes]]\nname = "C"\ninitial_size = "N"\n'
        '[[events]]\ntype = "split"\ntime = 100.0\nderived = ["A", "B"]\nancestral = "C"\n')
    out = str(tmp_path / "sims")
    assert main(["simulate", str(tmp_path / "model.toml"), "--replicates", "2", "--out", out, "--workers", "1",
                 "--missing-like", str(tmp_path / "data.vcf"), "--popmap", str(tmp_path / "pops.txt")]) == 0
    assert "A 0.167, B 0.000" in capsys.readouterr().out
    data = load_simulations(out)
    assert data.design.missing.rates == pytest.approx((1 / 6, 0.0))
    calls_a = np.concatenate([g[:40] for g in data.genotypes], axis=1) == -1
    assert abs(calls_a.mean() - 1 / 6) < 4 * np.sqrt((1 / 6) * (5 / 6) / (20 * 800))
    assert not any((g[40:] == -1).any() for g in data.genotypes)


def write_rows(path, rows, samples=("s1", "s2", "s3", "s4", "s5")):
    header = HEADER.replace("\ts1\ts2\ts3\ts4\ts5", "\t" + "\t".join(samples))
    with open(path, "w") as handle:
        handle.write(header)
        for pos, ref, alt, calls in rows:
            handle.write("\t".join(["1", pos, ".", ref, alt, ".", "PASS", ".", "GT", *calls]) + "\n")


def read_ab(path, tmp_path, counts=(4, 4), pairs=(("s1", "A"), ("s2", "A"), ("s3", "B"), ("s4", "B"))):
    write_popmap(tmp_path / "pops.txt", list(pairs))
    return vcf.read_vcf(str(path), vcf.read_population_map(str(tmp_path / "pops.txt")),
                        haplotype_design(["A", "B"], list(counts)))


def test_unsorted_records_are_sorted_and_said_so(tmp_path):
    write_rows(tmp_path / "v.vcf", [ROWS[4], ROWS[0]])
    data = read_ab(tmp_path / "v.vcf", tmp_path)
    np.testing.assert_array_equal(data.positions, [100, 500])
    np.testing.assert_array_equal(data.haplotypes[:, 0], [0, 1, 1, 1, 0, 0, 0, 1])  # position 100's calls
    assert data.report["sorted_by_position"]


@pytest.mark.parametrize("rows, message", [
    ([("100", "A", "G", ["0|1|0|1", "1|1", "0|0", "0|1", "1|0"])], r"calls of ploidy 4 \(first: 1:100 '0\|1\|0\|1'\)"),
    ([("100", "A", "G", ["0|2", "1|1", "0|0", "0|1", "1|0"])], r"1:100 '0\|2' with 1 ALT allele"),
])
def test_polyploid_calls_and_unknown_alleles_are_errors_naming_the_site(tmp_path, rows, message):
    write_rows(tmp_path / "v.vcf", rows)
    with pytest.raises(ValueError, match=message):
        read_ab(tmp_path / "v.vcf", tmp_path)


def test_haploid_calls_give_one_haplotype_per_sample(tmp_path):
    write_rows(tmp_path / "v.vcf", [("100", "A", "G", ["0", "1", "1", "0", "1"]),
                                     ("200", "C", "T", ["1", "1", "0", "0", "."])])
    data = read_ab(tmp_path / "v.vcf", tmp_path, counts=(2, 2))
    assert data.report["sites_kept"] == 2 and data.report["call_ploidy"] == [1]
    np.testing.assert_array_equal(data.haplotypes, [[0, 1], [1, 1], [1, 0], [0, 0]])


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("GT\t0|1\t1|1", "XX\t0|1\t1|1\t.\tA\tGT\t1", 1),
     r"v.vcf, line 5: 18 tab-separated fields, but the header line has 14"),  # crashes scikit-allel 1.3.13
    (lambda text: text.replace("#CHROM\tPOS", "#CHROM\n#CHROM\tPOS"), r"v.vcf, line 4: expected one header line"),
    (lambda text: text.replace("#CHROM", "1\t5\t.\tA\tT\t.\t.\t.\tGT\t0|1\n#CHROM"),
     r"v.vcf, line 4: a data line before the '#CHROM"),
])
def test_malformed_layouts_are_refused_before_scikit_allel_reads_them(tmp_path, edit, message):
    write_rows(tmp_path / "v.vcf", [ROWS[0], ROWS[4]])
    path = tmp_path / "v.vcf"
    path.write_text(edit(path.read_text()))
    with pytest.raises(ValueError, match=message):
        read_ab(path, tmp_path)
