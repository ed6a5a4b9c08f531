"""The CNN, ABC and hybrid ABC through the command line: same held-out replicates, observed data, export, calibrate."""

import csv
import json
import os
import re

import numpy as np
import pytest

from genomics.scenario import catalogue
from genomics.baselines import comparison
from genomics import pipeline
from genomics.cli.main import main
from genomics.simulation.run import load_simulations
from genomics.pipeline import split_replicates
from genomics.bundle import Bundle
from minidl.saving.npz import read_metadata


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    sims, fresh, run = str(folder / "sims"), str(folder / "fresh"), str(folder / "run")
    assert main(["simulate", "three_populations", "--replicates", "40", "--out", sims, "--workers", "1"]) == 0
    assert main(["simulate", "three_populations", "--replicates", "12", "--out", fresh, "--simulation-seed", "5",
                 "--workers", "1"]) == 0
    assert main(["train", sims, "--out", run, "--epochs", "2", "--n-snps", "32", "--split-seed", "3",
                 "--init-seed", "4"]) == 0
    return folder, sims, fresh, os.path.join(run, "model.npz")


def test_compare_scores_every_method_on_the_same_replicates(trained, capsys):
    folder, sims, _, bundle = trained
    capsys.readouterr()
    out = str(folder / "compare.json")
    assert main(["compare", sims, bundle, "--per-scenario", "4", "--tolerance", "0.3", "--methods",
                 "rejection,mnlogistic", "--out", out]) == 0
    printed = capsys.readouterr().out
    assert "simulations in the reference table" in printed and "hybrid ABC mnlogistic" in printed
    result = json.load(open(out))
    names = list(result["results"])
    assert names == ["CNN, whole test set (24)", "CNN", "ABC rejection", "ABC mnlogistic", "hybrid ABC rejection",
                     "hybrid ABC mnlogistic"]
    for name in names[1:]:  # the same 12 replicates, 4 per scenario, for every method
        assert np.sum(result["results"][name]["confusion_matrix"], axis=1).tolist() == [4, 4, 4]
    # The bundle's split is rebuilt: ABC's reference table is the 96 replicates outside the test split of 24.
    assert result["budgets"]["ABC rejection"].startswith("96 simulations")
    data = load_simulations(sims)
    config = comparison.bundle_config(Bundle.load(bundle, weights=False), data, sims)
    reference, scored, test = comparison.held_out(data, split_replicates(data.labels, config), 4, 0)
    assert not set(reference) & set(test) and set(scored) <= set(test)


def test_compare_on_fresh_simulations_and_calibrate_refuse_training_replicates(trained, capsys):
    folder, sims, fresh, bundle = trained
    assert main(["compare", sims, bundle, "--test-simulations", fresh, "--per-scenario", "3", "--methods",
                 "rejection", "--no-hybrid"]) == 0
    assert "120 simulations in the reference table" in capsys.readouterr().out
    assert main(["calibrate", bundle, sims, "--out", str(folder / "again.npz")]) == 2
    assert "training simulations' master seed" in capsys.readouterr().err
    assert main(["calibrate", bundle, fresh, "--out", str(folder / "recalibrated.npz")]) == 0
    assert "temperature scaling on 36 replicates" in capsys.readouterr().out
    metadata = read_metadata(str(folder / "recalibrated.npz"))
    assert metadata["calibration"]["replicates"] == 36 and metadata["calibration"]["temperature"] > 0


def test_abc_on_observed_data_and_the_exported_table(trained, capsys):
    folder, sims, fresh, _ = trained
    data = load_simulations(fresh)
    replicate = int(np.flatnonzero(data.labels == 0)[0])  # panmixia
    matrix = folder / "observed.txt"
    matrix.write_text("\n".join(" ".join(map(str, row)) for row in data.genotypes[replicate]) + "\n")
    export = str(folder / "stats.csv")
    assert main(["abc", sims, "--matrix", str(matrix), "--methods", "rejection,mnlogistic", "--tolerance", "0.2",
                 "--export", export]) == 0
    printed = capsys.readouterr().out
    assert "observed.txt, mnlogistic: posterior model probabilities (24 accepted)" in printed
    assert "Bayes factors of" in printed
    with open(export) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and rows[0]["scenario"] == "panmixia" and "fst_A_B" in rows[0]
    assert rows[-1]["scenario"] == "divergence_with_migration" and rows[-1]["T1"] != "NA"
    assert rows[0]["T1"] == "NA"  # panmixia has no split time
    assert main(["abc", sims, "--per-scenario", "3", "--methods", "rejection", "--tolerances", "0.1,0.3"]) == 0
    printed = capsys.readouterr().out
    assert "ABC on 9 held-out replicates" in printed
    assert "ABC rejection (tolerance 0.1)" in printed and "ABC rejection (tolerance 0.3)" in printed


@pytest.mark.parametrize("arguments, message", [
    (["--methods", "loclinear"], "methods must be among rejection, mnlogistic, neuralnet"),
    (["--tolerance", "0"], r"tolerance must be in \(0, 1\]"),
    (["--pca", "1.5"], r"pca must be a fraction of variance in \(0, 1\]"),
])
def test_bad_abc_settings_are_named_before_any_work(trained, capsys, arguments, message):
    _, sims, _, bundle = trained
    assert main(["compare", sims, bundle, *arguments]) == 2
    assert re.search(message, capsys.readouterr().err)


UNRELATED = """name = "unrelated"
[priors]
N = { uniform = [2e5, 3e5] }
[design]
populations = ["A", "B", "C"]
samples = [10, 10, 10]
ploidy = 2
sequence_length = 2e5
recombination_rate = 1e-8
mutation_rate = 1.25e-8
[[demes]]
name = "ANC"
initial_size = "N"
""" + "".join(f'[[demes]]\nname = "{p}"\ninitial_size = "N"\n' for p in "ABC") + """[[events]]
type = "split"
time = 10.0
derived = ["A", "B", "C"]
ancestral = "ANC"
"""


def test_the_adequacy_check_flags_an_unrelated_scenario_and_passes_a_training_one(trained, capsys):
    folder, sims, fresh, bundle = trained
    (folder / "unrelated.toml").write_text(UNRELATED)
    assert main(["simulate", str(folder / "unrelated.toml"), "--replicates", "1", "--out", str(folder / "unrelated"),
                 "--workers", "1"]) == 0
    matrices = {}  # as ms output: the network's distance channel reads positions, which a 0/1 matrix has not
    for name, folder_name, replicate in (("training", fresh, 0), ("unrelated", str(folder / "unrelated"), 0)):
        data = load_simulations(folder_name)
        genotypes = data.genotypes[replicate]
        positions = data.positions[replicate] / data.sequence_lengths[replicate]
        matrices[name] = folder / f"{name}.ms"
        matrices[name].write_text(f"ms {genotypes.shape[0]} 1\n1 2 3\n\n//\nsegsites: {genotypes.shape[1]}\n"
                                  f"positions: {' '.join(f'{p:.6f}' for p in positions)}\n"
                                  + "".join("".join(map(str, row)) + "\n" for row in genotypes))
    capsys.readouterr()
    assert main(["check", sims, "--ms", str(matrices["unrelated"]), "--bundle", bundle,
                 "--out", str(folder / "check")]) == 0
    printed = capsys.readouterr().out
    assert "WARNING: the data lie outside 99% of every scenario's simulations" in printed
    assert "pi_A" in printed.split("statistics outside the central 99% of every scenario:")[1]
    assert os.path.exists(folder / "check" / "adequacy_pca.png")
    result = json.load(open(folder / "check" / "adequacy.json"))
    assert max(result["tail_share"]) < 0.01 and not result["adequate"]
    assert main(["check", sims, "--ms", str(matrices["training"]), "--posterior-predictive", "10"]) == 0
    printed = capsys.readouterr().out
    assert "within the simulations of at least one scenario" in printed and "posterior predictive check of" in printed
    assert main(["predict", bundle, "--ms", str(matrices["unrelated"]), "--check", sims,
                 "--out", str(folder / "checked.json")]) == 0
    assert "replicate 1: " in capsys.readouterr().out
    (entry,) = json.load(open(folder / "checked.json"))["data_sets"]
    assert entry["adequacy"]["adequate"] is False and len(entry["adequacy"]["embedding_tail_share"]) == 3


@pytest.mark.parametrize("arguments, message", [
    (["abc", "{sims}", "--tolerances", "0.1,x"], r"--tolerances must be comma-separated fractions in \(0, 1\]"),
    (["check", "{sims}", "--matrix", "m.txt", "--alpha", "2"], r"--alpha must be a share in \(0, 1\), got 2"),
    (["check", "{sims}", "--matrix", "m.txt", "--posterior-predictive", "-1"],
     "--posterior-predictive must be a number of replicates >= 0"),
])
def test_bad_check_and_abc_options_are_one_sentence(trained, capsys, arguments, message):
    _, sims, _, _ = trained
    assert main([argument.format(sims=sims) for argument in arguments]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_check_and_abc_read_a_vcf_in_windows_of_the_design_for_a_genome_design(trained, capsys):
    folder, sims, _, _ = trained
    vcf_path, popmap, _ = pipeline.write_example_vcf(str(folder), catalogue.get("divergence"), seed=7, windows=2)
    capsys.readouterr()
    assert main(["check", sims, "--vcf", vcf_path, "--popmap", popmap]) == 0
    printed = capsys.readouterr().out
    assert "1:1-200000: VCF:" in printed and "1:200001-400000:" in printed  # one data set per window
    assert main(["abc", sims, "--vcf", vcf_path, "--popmap", popmap, "--methods", "rejection"]) == 0
    assert "1:200001-400000, rejection: posterior model probabilities" in capsys.readouterr().out
