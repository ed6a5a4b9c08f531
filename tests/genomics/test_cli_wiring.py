"""Library features reached from the command line: ABC's R-compatible choices, observed data as tskit .trees
files and -1/+1/0 matrices, the HTML report of a run and the posterior of a scenario's parameters."""

import csv
import io
import json
import os
import warnings

import msprime
import numpy as np
import pytest

from genomics.baselines import abc
from genomics.cli.main import main
from genomics.learning.posterior import PosteriorEstimator
from genomics.observed.files import ObservedFiles, read_observed
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations, simulate


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    """12 replicates of each built-in three-population scenario (seconds)."""
    folder = str(tmp_path_factory.mktemp("wiring") / "sims")
    assert main(["simulate", "three_populations", "--replicates", "12", "--out", folder, "--workers", "1"]) == 0
    return folder


@pytest.fixture(scope="module")
def run(sims, tmp_path_factory):
    """A network trained for one epoch on ``sims``: RUN/model.npz."""
    folder = str(tmp_path_factory.mktemp("wiring") / "run")
    assert main(["train", sims, "--out", folder, "--epochs", "1", "--n-snps", "16"]) == 0
    return folder


def posterior_rows(printed):
    """The printed ABC posterior rows (numbers only), in order, without the data sets' labels."""
    lines = printed.splitlines()
    return [lines[i + 2].split() for i, line in enumerate(lines) if "posterior model probabilities (" in line]


# ---------------------------------------------------------------- ABC settings
def test_r_compatible_fallback_and_guard_reach_every_postpr_call(sims, capsys, monkeypatch):
    seen = []
    original = abc.postpr

    def spy(*arguments, **options):
        seen.append({key: options.get(key) for key in ("r_compatible", "fallback", "guard")})
        return original(*arguments, **options)

    monkeypatch.setattr(abc, "postpr", spy)
    assert main(["abc", sims, "--methods", "mnlogistic", "--per-scenario", "2", "--tolerance", "0.3",
                 "--r-compatible", "--fallback", "regress"]) == 0
    assert seen and all(options == {"r_compatible": True, "fallback": "regress", "guard": None} for options in seen)
    seen.clear()
    assert main(["abc", sims, "--methods", "mnlogistic", "--per-scenario", "2", "--guard", "off"]) == 0
    assert seen and all(options == {"r_compatible": False, "fallback": None, "guard": "off"} for options in seen)


def test_compare_takes_the_r_compatible_choices_and_records_them(sims, run, tmp_path, capsys):
    out = tmp_path / "compare.json"
    assert main(["compare", sims, os.path.join(run, "model.npz"), "--methods", "rejection", "--per-scenario", "2",
                 "--no-hybrid", "--r-compatible", "--guard", "off", "--out", str(out)]) == 0
    settings = json.loads(out.read_text())["settings"]
    assert settings["r_compatible"] is True and settings["guard"] == "off" and settings["fallback"] is None


def test_a_missing_scenario_falls_back_to_the_rejection_shares_with_one_warning_per_call(sims, capsys):
    """At a tolerance accepting one of 30 simulations, two scenarios are always missing: with --fallback
    rejection, mnlogistic gives the rejection shares (R's choice); the warnings are one sentence per call."""
    arguments = ["abc", sims, "--per-scenario", "3", "--tolerance", "0.03"]
    assert main([*arguments, "--methods", "rejection"]) == 0
    rejection = capsys.readouterr().out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main([*arguments, "--methods", "mnlogistic", "--fallback", "rejection"]) == 0
    mnlogistic = capsys.readouterr().out
    said = [str(w.message) for w in caught if str(w.message).startswith("ABC mnlogistic at tolerance 0.03")]
    assert len(said) == 1 and "of 6 targets, 6 had a scenario missing" in said[0]

    def table(printed):
        return printed[printed.index("ABC "):].split("\n\n")[0].splitlines()[1:]

    assert table(rejection) == table(mnlogistic)


@pytest.mark.parametrize("arguments, message", [
    (["--fallback", "drop"], "invalid choice: 'drop'"),
    (["--guard", "loud"], "invalid choice: 'loud'"),
])
def test_unknown_abc_choices_are_refused_by_the_parser(sims, capsys, arguments, message):
    with pytest.raises(SystemExit):
        main(["abc", sims, *arguments])
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------- observed data
def test_a_plus_minus_matrix_and_its_transpose_read_as_the_zero_one_matrix(sims, tmp_path, capsys):
    data = load_simulations(sims)
    calls = data.genotypes[int(np.flatnonzero(data.labels == 1)[0])].astype(int)  # (haplotypes, sites) 0/1
    np.savetxt(tmp_path / "zero_one.txt", calls, fmt="%d")
    np.savetxt(tmp_path / "plus_minus.txt", 2 * calls - 1, fmt="%d")
    np.savetxt(tmp_path / "plus_minus_t.txt", (2 * calls - 1).T, fmt="%d")
    common = ["abc", sims, "--methods", "rejection", "--tolerance", "0.2"]
    printed = {}
    for name, extra in (("zero_one.txt", []), ("plus_minus.txt", []),
                        ("plus_minus.txt", ["--coding", "plus-minus"]),
                        ("plus_minus_t.txt", ["--orientation", "auto"])):
        assert main([*common, "--matrix", str(tmp_path / name), *extra]) == 0
        printed[(name, *extra)] = posterior_rows(capsys.readouterr().out)
    reference = printed[("zero_one.txt",)]
    assert reference and all(rows == reference for rows in printed.values())
    assert main([*common, "--matrix", str(tmp_path / "plus_minus.txt"), "--coding", "zero-one"]) == 2
    assert "plus_minus.txt" in capsys.readouterr().err


def three_population_trees(seed, length=200_000):
    """A tree sequence of 10 diploid individuals in each of A, B and C (the built-in design: 200 kb windows)."""
    demography = msprime.Demography()
    for name in ("A", "B", "C"):
        demography.add_population(name=name, initial_size=10_000)
    demography.set_symmetric_migration_rate(["A", "B", "C"], 1e-4)
    ancestry = msprime.sim_ancestry({"A": 10, "B": 10, "C": 10}, demography=demography, sequence_length=length,
                                    recombination_rate=1e-8, random_seed=seed)
    return msprime.sim_mutations(ancestry, rate=1.25e-8, random_seed=seed)


def test_a_trees_file_gives_the_abc_answer_of_the_vcf_tskit_writes_of_it(sims, tmp_path, capsys):
    ts = three_population_trees(3)
    ts.dump(tmp_path / "genome.trees")
    text = io.StringIO()
    ts.write_vcf(text)
    (tmp_path / "genome.vcf").write_text(text.getvalue())
    (tmp_path / "pops.txt").write_text("".join(f"tsk_{i}\t{'ABC'[i // 10]}\n" for i in range(30)))
    common = ["abc", sims, "--methods", "rejection", "--tolerance", "0.2"]
    assert main([*common, "--trees", str(tmp_path / "genome.trees")]) == 0
    from_trees = capsys.readouterr().out
    assert main([*common, "--vcf", str(tmp_path / "genome.vcf"), "--popmap", str(tmp_path / "pops.txt")]) == 0
    from_vcf = capsys.readouterr().out
    assert ".trees (tskit)" in from_trees
    assert posterior_rows(from_trees) and posterior_rows(from_trees) == posterior_rows(from_vcf)
    assert main([*common, "--trees", str(tmp_path / "genome.trees"), "--matrix", str(tmp_path / "pops.txt")]) == 2
    assert "exactly one of" in capsys.readouterr().err


def test_predict_on_a_trees_file_gives_the_windows_of_the_vcf_tskit_writes_of_it(run, tmp_path, capsys):
    ts = three_population_trees(4, length=600_000)
    ts.dump(tmp_path / "genome.trees")
    text = io.StringIO()
    ts.write_vcf(text)
    (tmp_path / "genome.vcf").write_text(text.getvalue())
    (tmp_path / "pops.txt").write_text("".join(f"tsk_{i}\t{'ABC'[i // 10]}\n" for i in range(30)))
    bundle = os.path.join(run, "model.npz")
    assert main(["predict", bundle, "--trees", str(tmp_path / "genome.trees"), "--out", str(tmp_path / "t.csv")]) == 0
    assert main(["predict", bundle, str(tmp_path / "genome.vcf"), "--popmap", str(tmp_path / "pops.txt"),
                 "--min-snps", "1", "--out", str(tmp_path / "v.csv")]) == 0

    def probabilities(name):
        with open(tmp_path / name) as handle:
            rows = list(csv.DictReader(handle))
        return [[row[scenario] for scenario in ("panmixia", "divergence", "divergence_with_migration")]
                for row in rows]

    assert len(probabilities("t.csv")) == 3 and probabilities("t.csv") == probabilities("v.csv")
    capsys.readouterr()
    assert main(["predict", bundle, "--trees", str(tmp_path / "genome.trees"), "--window", "1000"]) == 2
    assert "--window and --step cut a text VCF" in capsys.readouterr().err
    store = write_vcf_zarr_of(tmp_path / "genome.vcf", tmp_path / "genome.vcz")
    assert main(["predict", bundle, store, "--popmap", str(tmp_path / "pops.txt"), "--out", str(tmp_path / "z.csv")]) \
        == 0
    assert probabilities("z.csv") == probabilities("t.csv")


def write_vcf_zarr_of(vcf_path, store_path):
    """A VCF Zarr store (format 2, the specification's arrays) of a one-contig, phased diploid VCF text."""
    zarr = pytest.importorskip("zarr")
    lines = vcf_path.read_text().splitlines()
    contig = next(line for line in lines if line.startswith("##contig"))
    samples = next(line for line in lines if line.startswith("#CHROM")).split("\t")[9:]
    records = [line.split("\t") for line in lines if not line.startswith("#")]
    group = zarr.open_group(str(store_path), mode="w", zarr_format=2)
    group.attrs.update({"vcf_zarr_version": "0.4", "vcf_header": "##fileformat=VCFv4.2\n" + contig})

    def array(name, data, dimensions):
        data = np.asarray(data)
        created = group.create_array(name, shape=data.shape, dtype=str if data.dtype.kind == "U" else data.dtype)
        created[...] = data
        created.attrs["_ARRAY_DIMENSIONS"] = dimensions

    array("contig_id", [records[0][0]], ["contigs"])
    array("sample_id", samples, ["samples"])
    array("variant_contig", np.zeros(len(records), dtype=np.int8), ["variants"])
    array("variant_position", np.array([int(record[1]) for record in records], dtype=np.int32), ["variants"])
    alleles = [[record[3], *record[4].split(",")] for record in records]  # REF, then the ALTs, padded with ""
    width = max(len(row) for row in alleles)
    array("variant_allele", [row + [""] * (width - len(row)) for row in alleles], ["variants", "alleles"])
    array("call_genotype", np.array([[call.split("|") for call in record[9:]] for record in records], dtype=np.int8),
          ["variants", "samples", "ploidy"])
    return str(store_path)


# ---------------------------------------------------------------- the report of a run
def test_report_writes_one_page_into_the_run_folder_or_where_asked(run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["report", run]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {os.path.join(run, 'report.html')}: the run's report"
    page = open(os.path.join(run, "report.html"), encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>") and 'id="confusion"' in page
    assert main(["report", run, "--out", str(tmp_path / "elsewhere.html")]) == 0
    assert os.path.getsize(tmp_path / "elsewhere.html") == len(page.encode())
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "holds no genomics bundle" in capsys.readouterr().err and not os.listdir(tmp_path / "empty")


# ---------------------------------------------------------------- the posterior of a scenario's parameters
SHRINK = {
    "name": "shrink", "description": "size N * f today, N before T generations ago",
    "priors": {"N": {"log_uniform": [500, 20000]}, "T": {"log_uniform": [50, 2000]}, "f": {"uniform": [0.05, 1.0]},
               "mu": 1e-7},
    "design": {"populations": ["POP"], "samples": [6], "ploidy": 2,
               "loci": [{"name": "w", "count": 4, "sequence_length": 5000, "mutation_rate": 1e-7,
                         "recombination_rate": 1e-8}]},
    "demes": [{"name": "POP", "initial_size": "N * f"}],
    "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N"}],
}


def test_posterior_fits_checks_and_summarises_observed_loci_in_natural_units(tmp_path, capsys):
    folder = str(tmp_path / "sims")
    simulate([Scenario(SHRINK)], 150, folder, workers=1, progress=False)
    demography = msprime.Demography()
    demography.add_population(name="POP", initial_size=4_000)
    paths = []
    for locus in range(4):  # one .trees file per locus of the design
        ancestry = msprime.sim_ancestry({"POP": 6}, demography=demography, sequence_length=5000,
                                        recombination_rate=1e-8, random_seed=locus + 1)
        paths.append(str(tmp_path / f"locus{locus}.trees"))
        msprime.sim_mutations(ancestry, rate=1e-7, random_seed=locus + 1).dump(paths[-1])
    out = tmp_path / "posterior"
    assert main(["posterior", folder, "--out", str(out), "--targets", "N, T * f", "--components", "2", "--hidden",
                 "16", "--epochs", "15", "--patience", "5", "--batch-size", "64", "--held-out", "0.1",
                 "--predictive", "30", "--trees", *paths]) == 0
    printed = capsys.readouterr().out
    assert "calibration on 15 held-out simulations" in printed and "SBC chi2 p" in printed
    assert os.path.getsize(out / "calibration.png") > 0
    estimator = PosteriorEstimator.load(str(out / "posterior.npz"))
    assert estimator.space.targets == ["N", "T * f"] and estimator.calibration["simulations"] == 15
    with open(out / "posterior.csv") as handle:
        rows = list(csv.DictReader(handle))
    data_sets, labels = read_observed(ObservedFiles(trees=paths), load_simulations(folder).design)
    expected = estimator.summary_rows(data_sets, labels)  # the same draws (seed 0) from the saved posterior
    assert [(row["data_set"], row["target"]) for row in rows] == [("4 .trees files", "N"), ("4 .trees files", "T * f")]
    for row, want, (low, high) in zip(rows, expected, [(500, 20000), (2.5, 2000)]):  # the priors' supports
        assert float(row["mean"]) == pytest.approx(want["mean"], rel=1e-6)
        assert low <= float(row["low_95"]) <= float(row["median"]) <= float(row["high_95"]) <= high
    assert "4 .trees files" in printed and "95% interval" in printed
    # the posterior predictive check of the data set: 30 replicates, T and f (not targets) from their priors
    assert "4 .trees files: posterior predictive check (30 replicates of shrink; drawn from the prior: T, f)" in printed
    assert "distance to the replicates: D^2 = " in printed and "to the scenario's simulations: tail share" in printed
    with open(out / "predictive.csv") as handle:
        predictive = list(csv.DictReader(handle))
    assert [row["statistic"] for row in predictive][:3] == ["S", "pi", "theta_w"] and len(predictive) == 12
    assert all(0 < float(row["p_value"]) <= 1 and row["data_set"] == "4 .trees files" for row in predictive)
    with open(out / "predictive.json") as handle:
        assert json.load(handle)["4 .trees files"]["replicates"] == 30
    assert os.path.getsize(out / "predictive_1.png") > 0


@pytest.mark.parametrize("arguments, message", [
    (["--targets", "M"], "target 'M' names M, which scenario 'panmixia' has no prior for"),
    (["--scenario", "other"], "scenario 'other' is not in"),
    (["--matrix", "absent.txt"], "absent.txt"),
])
def test_posterior_refuses_bad_targets_and_data_before_training(sims, tmp_path, capsys, arguments, message):
    assert main(["posterior", sims, "--out", str(tmp_path / "out"), "--scenario", "panmixia", *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "out" / "posterior.npz")


def test_a_held_out_share_of_half_or_more_or_a_few_predictive_replicates_are_refused(sims, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["posterior", sims, "--out", str(tmp_path / "out"), "--held-out", "0.7"])
    assert "argument --held-out: expected a share in [0, 0.5), got '0.7'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["posterior", sims, "--out", str(tmp_path / "out"), "--predictive", "5"])
    assert "argument --predictive: expected 0 (no check) or a number of replicates >= 20, got '5'" in \
        capsys.readouterr().err
    assert not os.path.exists(tmp_path / "out")
