"""examples/stdpopsim_ooa: stdpopsim's OutOfAfrica_3G09 with priors on its split times goes through simulate, train,
calibrate, evaluate, a posterior of its split times and of an expression of them, and onto a VCF that stdpopsim's
own engine made (read back as the tree sequence's own genotypes); a stdpopsim design of unlinked generic contigs
gives each locus the contig's length and rates."""

import contextlib
import csv
import io
import json
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

from genomics.learning.parameter_space import ParameterSpace
from genomics.observed import vcf
from genomics.scenario.expressions import ScenarioError
from genomics.scenario.priors import from_spec
from genomics.scenario.scenario import load_toml
from genomics.simulation.replicate import simulate_replicate

stdpopsim = pytest.importorskip("stdpopsim")
tskit = pytest.importorskip("tskit")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "stdpopsim_ooa"


def test_a_linear_target_of_thousands_of_generations_maps_back_without_overflow():
    # "T_2 - T_1" spans [1000, 7600] generations: a linear target whose values would overflow exp()
    priors = {"T_1": from_spec({"log_uniform": [400, 2000]}, "T_1"), "T_2": from_spec({"log_uniform": [3000, 8000]},
                                                                                         "T_2")}
    space = ParameterSpace.from_priors(priors, ["T_1", "T_2 - T_1"])
    assert space.scales == ["log", "linear"] and space.low == [400, 1000] and space.high == [2000, 7600]
    unbounded = np.linspace(-40, 40, 81)[:, None].repeat(2, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        natural = space.to_natural(unbounded)
    assert np.all((natural >= [400, 1000]) & (natural <= [2000, 7600]))
    np.testing.assert_allclose(natural[40], [np.sqrt(400 * 2000), 4300], rtol=1e-12)  # t = 0: the support's middle


def test_the_alternatives_are_catalogue_models_sampled_in_the_same_three_populations():
    scenarios = [load_toml(str(EXAMPLE / name))[0] for name in
                 ("ooa_split_times.toml", "ooa_no_eurasian_migration.toml", "ooa_archaic_admixture.toml")]
    for scenario in scenarios:
        assert list(scenario.design.populations) == ["YRI", "CEU", "CHB"]
        assert list(scenario.design.samples) == [5, 5, 5] and scenario.design.sequence_length == 1e5
    # the no-migration alternative: stdpopsim's own 3G09 with the CEU-CHB entries of the migration matrix at 0
    catalogue = stdpopsim.get_species("HomSap").get_demographic_model("OutOfAfrica_3G09").model
    ceu, chb = catalogue["CEU"].id, catalogue["CHB"].id
    for scenario, rate in zip(scenarios[:2], (9.6e-5, 0.0)):
        demography = scenario.demography({"T_1": 848.0, "T_2": 5600.0})
        assert demography.migration_matrix[ceu, chb] == pytest.approx(rate)
        assert demography.migration_matrix[chb, ceu] == pytest.approx(rate)
        np.testing.assert_array_equal(np.delete(np.delete(demography.migration_matrix, chb, 0), chb, 1),
                                      np.delete(np.delete(catalogue.migration_matrix, chb, 0), chb, 1))


def test_stdpopsims_vcf_is_read_as_its_tree_sequences_genotypes_with_populations_from_the_map(tmp_path):
    example = runpy.run_path(str(EXAMPLE / "run.py"))
    vcf_path, popmap = example["write_stdpopsim_vcf"](str(tmp_path), 2, 11)
    species = stdpopsim.get_species("HomSap")
    model = species.get_demographic_model("OutOfAfrica_3G09")
    contig = species.get_contig(length=1e5, mutation_rate=model.mutation_rate)
    design = load_toml(str(EXAMPLE / "ooa_split_times.toml"))[0].design
    population_map = vcf.read_population_map(popmap)
    assert list(population_map) == [f"{p}_{i}" for i, p in enumerate(["YRI"] * 5 + ["CEU"] * 5 + ["CHB"] * 5)]
    data = vcf.read_vcf(vcf_path, population_map, design, seed=0, max_missing=0.0)
    expected = []
    for window in range(2):  # the reference: tskit's own genotypes of stdpopsim's tree sequences, biallelic sites
        trees = stdpopsim.get_engine("msprime").simulate(model, contig, {"YRI": 5, "CEU": 5, "CHB": 5},
                                                         seed=11 + window)
        for variant in trees.variants():
            if len(variant.alleles) == 2:
                per_population = variant.genotypes.reshape(3, 10).sum(axis=1)  # samples in YRI, CEU, CHB order
                expected.append(per_population)
    expected = np.array(expected)
    populations = np.asarray(data.haplotype_populations)
    counts = np.stack([data.haplotypes[populations == k].sum(axis=0) for k in range(3)], axis=1)
    assert counts.shape == expected.shape
    np.testing.assert_array_equal(counts, expected)


def _catalogue_scenario(tmp_path, contig: str, loci: str):
    path = tmp_path / "scenario.toml"
    path.write_text(f'''name = "ooa"
[stdpopsim]
species = "HomSap"
model = "OutOfAfrica_3G09"
{contig}
[priors]
T_1 = {{ log_uniform = [400, 2000] }}
[design]
populations = ["YRI", "CEU", "CHB"]
samples = [2, 2, 2]
{loci}''')
    return load_toml(str(path))[0]


def test_a_stdpopsim_design_of_loci_gives_each_locus_the_generic_contigs_length_and_rates(tmp_path):
    scenario = _catalogue_scenario(tmp_path, "length = 5e4", '''[[design.loci]]
name = "contig"
count = 3
[[design.loci]]
name = "fixed"
sequence_length = 2e4
segregating_sites = 4
''')
    species = stdpopsim.get_species("HomSap")
    contig = species.get_contig(length=5e4)  # the reference: stdpopsim's own generic contig and the model's rate
    model = species.get_demographic_model("OutOfAfrica_3G09")
    contig_locus, fixed = scenario.design.loci
    assert not scenario.design.contiguous and scenario.design.ploidy == species.ploidy == 2
    assert (contig_locus.count, contig_locus.sequence_length) == (3, 5e4)
    assert contig_locus.recombination_rate == pytest.approx(contig.recombination_map.mean_rate, rel=1e-12)
    assert contig_locus.mutation_rate == model.mutation_rate == 2.35e-8
    assert (fixed.sequence_length, fixed.segregating_sites, fixed.mutation_rate) == (2e4, 4, None)
    replicate = simulate_replicate(scenario, seed=5, parameters={"T_1": 848.0})
    assert replicate["sequence_lengths"].tolist() == [5e4, 5e4, 5e4, 2e4]
    assert replicate["site_counts"][-1] == 4 and replicate["genotypes"].shape[0] == 12


@pytest.mark.parametrize("contig, loci, message", [
    ('contig = "22"', '[[design.loci]]\nname = "a"\ncount = 2\n', "the loci of a [stdpopsim] scenario are unlinked "
     "generic contigs: give stdpopsim.length (bases), not a chromosome (contig)"),
    ("length = 1e4", 'loci = "ten"\n', "design.loci must be a non-empty list of loci tables, got 'ten'"),
])
def test_stdpopsim_loci_that_are_not_generic_contigs_are_refused_in_one_sentence(tmp_path, contig, loci, message):
    with pytest.raises(ScenarioError) as refusal:
        _catalogue_scenario(tmp_path, contig, loci)
    assert message in str(refusal.value) and "\n" not in str(refusal.value)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("stdpopsim_ooa")
    example = runpy.run_path(str(EXAMPLE / "run.py"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = example["main"](["--quick", "--out", str(out), "--workers", "1"])
    return out, results, printed.getvalue()


def test_the_quick_mode_chooses_among_the_three_models_and_predicts_stdpopsims_data(quick):
    out, results, printed = quick
    assert printed.startswith("quick mode: 16 training, 6 calibration and 6 test simulations per model")
    choice = results["choice"]
    assert choice["test_samples"] == 3 * 6 and sum(map(sum, choice["confusion_matrix"])) == 18
    assert 0 <= choice["test_accuracy"] <= 1 and choice["temperature"] > 0
    assert (out / "choice" / "calibrated.npz").is_file()
    external = choice["stdpopsim_data"]
    assert external["windows"] == 2
    assert list(external["mean_probability"]) == ["ooa_3g09", "ooa_3g09_no_ceu_chb_migration", "ooa_5r19_archaic"]
    assert sum(external["mean_probability"].values()) == pytest.approx(1, abs=1e-6)
    with open(external["table"]) as handle:
        assert len(list(csv.DictReader(handle))) == 2


def test_the_quick_mode_gives_the_posterior_of_the_split_times_and_their_difference(quick):
    out, results, _ = quick
    posterior = results["posterior"]
    assert posterior["targets"] == ["T_1", "T_2", "T_2 - T_1"]
    assert posterior["held_out_simulations"] == 10
    for target in posterior["targets"]:
        assert set(posterior["held_out"][target]["coverage"]) == {"0.5", "0.8", "0.9", "0.95"}
        assert 0 <= posterior["held_out"][target]["sbc_p_value"] <= 1
        assert posterior["stdpopsim_data"][target]["windows"] == 2
    with open(out / "posterior" / "posterior.csv") as handle:
        rows = list(csv.DictReader(handle))
    supports = {"T_1": (400, 2000), "T_2": (3000, 8000), "T_2 - T_1": (1000, 7600)}
    for row in rows:  # every interval inside the prior's support, in generations
        low, high = supports[row["target"]]
        assert low <= float(row["low_95"]) <= float(row["median"]) <= float(row["high_95"]) <= high
    inside = sum(float(r["low_90"]) <= 848 <= float(r["high_90"]) for r in rows if r["target"] == "T_1")
    assert posterior["stdpopsim_data"]["T_1"]["catalogue_inside_90"] == inside
    assert json.loads((out / "results.json").read_text())["posterior"]["targets"][2] == "T_2 - T_1"
