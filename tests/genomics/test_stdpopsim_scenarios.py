"""stdpopsim catalogue models as scenarios: priors on the model's numbers, checked against stdpopsim and msprime."""

import math
import subprocess
import sys

import msprime
import numpy as np
import pytest

stdpopsim = pytest.importorskip("stdpopsim")

from genomics.scenario.expressions import ScenarioError  # noqa: E402
from genomics.scenario.scenario import Scenario, load_toml  # noqa: E402
from genomics.scenario.stdpopsim_models import catalogue_demography, model_parameters  # noqa: E402
from genomics.simulation.run import load_simulations, simulate  # noqa: E402

OOA = {"name": "ooa", "stdpopsim": {"species": "HomSap", "model": "OutOfAfrica_3G09", "length": 2e4},
       "priors": {"T_1": {"log_uniform": [400, 2000]}, "T_2": {"log_uniform": [3000, 8000]}},
       "design": {"populations": ["YRI", "CEU", "CHB"], "samples": [2, 2, 2]}}


def with_changes(spec, **changes):
    result = {**spec, **changes}
    merged = {**spec["stdpopsim"], **changes.get("stdpopsim", {})}
    result["stdpopsim"] = {key: value for key, value in merged.items() if value is not None}  # None: left out
    return result


def epochs(demography):
    """msprime's own reading of a demography: every epoch's times, sizes, growth rates and migration matrix."""
    return [(epoch.start_time, epoch.end_time, [p.start_size for p in epoch.populations],
             [p.end_size for p in epoch.populations], [p.growth_rate for p in epoch.populations],
             epoch.migration_matrix) for epoch in demography.debug().epochs]


def assert_same_epochs(ours, reference):
    assert len(ours) == len(reference)
    for mine, theirs in zip(ours, reference):
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12)


def gutenkunst_2009(T_EU_AS, T_B):
    """The three-population out-of-Africa model written out with msprime from Gutenkunst et al. 2009 (Table 1),
    with the present-day sizes of stdpopsim's catalogue (N_EU0 / exp(-r_EU * 848) for 21.2 ka at 25 years)."""
    N_A, N_B, N_AF, r_EU, r_AS = 7300, 2100, 12300, 0.004, 0.0055
    N_EU, N_AS = 1000 / math.exp(-r_EU * 848.0), 510 / math.exp(-r_AS * 848.0)
    m_AF_B, m_AF_EU, m_AF_AS, m_EU_AS = 25e-5, 3e-5, 1.9e-5, 9.6e-5
    return msprime.Demography.from_old_style(
        population_configurations=[msprime.PopulationConfiguration(initial_size=N_AF),
                                   msprime.PopulationConfiguration(initial_size=N_EU, growth_rate=r_EU),
                                   msprime.PopulationConfiguration(initial_size=N_AS, growth_rate=r_AS)],
        migration_matrix=[[0, m_AF_EU, m_AF_AS], [m_AF_EU, 0, m_EU_AS], [m_AF_AS, m_EU_AS, 0]],
        demographic_events=[
            msprime.MassMigration(time=T_EU_AS, source=2, dest=1, proportion=1.0),
            msprime.MigrationRateChange(time=T_EU_AS, rate=0),
            msprime.MigrationRateChange(time=T_EU_AS, rate=m_AF_B, matrix_index=(0, 1)),
            msprime.MigrationRateChange(time=T_EU_AS, rate=m_AF_B, matrix_index=(1, 0)),
            msprime.PopulationParametersChange(time=T_EU_AS, initial_size=N_B, growth_rate=0, population_id=1),
            msprime.MassMigration(time=T_B, source=1, dest=0, proportion=1.0),
            msprime.MigrationRateChange(time=T_B, rate=0),
            msprime.PopulationParametersChange(time=8800.0, initial_size=N_A, population_id=0)])


def test_split_time_priors_fixed_at_the_catalogue_values_give_stdpopsims_own_model():
    fixed = with_changes(OOA, priors={"T_1": 848.0, "T_2": 5600.0})
    scenario = Scenario(fixed)
    ours = scenario.demography(scenario.draw_parameters(np.random.default_rng(1)))
    catalogue = stdpopsim.get_species("HomSap").get_demographic_model("OutOfAfrica_3G09").model
    assert_same_epochs(epochs(ours), epochs(catalogue))
    assert [type(e).__name__ for e in ours.events] == [type(e).__name__ for e in catalogue.events]


def test_drawn_split_times_move_every_event_of_their_epoch_as_in_the_published_model():
    scenario = Scenario(OOA)
    for seed in range(3):
        draw = scenario.draw_parameters(np.random.default_rng(seed))
        assert 400 <= draw["T_1"] <= 2000 and 3000 <= draw["T_2"] <= 8000
        assert_same_epochs(epochs(scenario.demography(draw)), epochs(gutenkunst_2009(draw["T_1"], draw["T_2"])))


def test_the_design_takes_the_contig_and_the_models_mutation_rate():
    design = Scenario(OOA).spec["design"]
    contig = stdpopsim.get_species("HomSap").get_contig(length=2e4)
    assert design["sequence_length"] == 2e4
    assert design["recombination_rate"] == pytest.approx(contig.recombination_map.mean_rate, rel=1e-12)
    assert design["mutation_rate"] == 2.35e-8  # the model's (Gutenkunst et al.), not the species' default
    chromosome = Scenario(with_changes(OOA, stdpopsim={"contig": "22", "left": 1e7, "right": 1.001e7,
                                                       "length": None}))
    assert chromosome.spec["design"]["sequence_length"] == 1e4


def test_a_stdpopsim_scenario_simulates_like_any_other(tmp_path):
    scenario = Scenario(OOA)
    simulate([scenario], 4, str(tmp_path / "sims"), master_seed=2, shard_size=4, workers=1, progress=False)
    data = load_simulations(str(tmp_path / "sims"))
    assert data.population_names == ["YRI", "CEU", "CHB"]
    assert all(g.shape[0] == 12 for g in data.genotypes) and sum(g.shape[1] for g in data.genotypes) > 0
    assert all(400 <= p["T_1"] <= 2000 and 3000 <= p["T_2"] <= 8000 for p in data.parameters)
    assert np.all(data.sequence_lengths == 2e4)
    reread = Scenario(data.manifest["scenarios"][0]["spec"])  # a worker rebuilds the scenario from the manifest
    assert reread.spec == scenario.spec


def test_the_example_scenario_file_simulates_through_the_command_line(tmp_path):
    out = tmp_path / "sims"
    done = subprocess.run([sys.executable, "-m", "genomics", "simulate", "examples/stdpopsim_ooa/ooa_split_times.toml",
                           "--replicates", "2", "--out", str(out), "--workers", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert load_simulations(str(out)).scenario_names == ["ooa_3g09"]


@pytest.mark.parametrize("changes, message", [
    ({"stdpopsim": {"species": "HomSapiens"}}, r"no species 'HomSapiens'; known species: .*HomSap"),
    ({"stdpopsim": {"model": "OutOfAfrica_9"}}, r"no demographic model 'OutOfAfrica_9' .* OutOfAfrica_3G09"),
    ({"priors": {"T_split": 1000.0}}, r"prior 'T_split' is not a parameter .* its parameters: N_YRI, .*T_1, .*T_3"),
    ({"stdpopsim": {"parameters": {"m_AF_B": 1e-4}}}, r"'m_AF_B', which is not a parameter .*m_YRI_CEU_1"),
    ({"design": {"populations": ["YRI", "EUR"], "samples": [2, 2]}}, r"'EUR' is not a population .*YRI, CEU, CHB"),
    ({"stdpopsim": {"contig": "99", "length": None}}, r"cannot make the contig '99' .*chromosomes: 1, 2"),
    ({"priors": {"T_1": {"uniform": [400, 6000]}}}, r"T_1 may reach 6000 and T_2 may be as low as 5600"),
    ({"priors": {"N_CEU_1": {"uniform": [-5, 10]}}}, r"N_CEU_1 .* must be a size > 0"),
    ({"stdpopsim": {"genetic_map": "HapMapII_GRCh38"}}, r"genetic_map needs a chromosome"),
    ({"stdpopsim": {"genetic_map": "HapMap3", "contig": "22", "length": None}}, r"no genetic map 'HapMap3'.*HapMapII"),
])
def test_unknown_names_and_impossible_values_are_refused_in_one_sentence(changes, message):
    spec = with_changes(OOA, **changes)
    with pytest.raises(ScenarioError, match=message) as error:
        Scenario(spec)
    assert "\n" not in str(error.value) and "Traceback" not in str(error.value)


def test_expressions_of_priors_set_model_parameters_and_keep_the_epochs_in_order():
    spec = with_changes(OOA, priors={"T_1": {"log_uniform": [400, 2000]}, "dT": {"log_uniform": [100, 5000]}},
                        stdpopsim={"parameters": {"T_2": "T_1 + dT", "m_CEU_YRI": "m"}})
    spec["priors"]["m"] = {"log_uniform": [1e-5, 1e-4]}
    scenario = Scenario(spec)
    draw = scenario.draw_parameters(np.random.default_rng(4))
    demography = scenario.demography(draw)
    assert demography.debug().epochs[2].start_time == pytest.approx(draw["T_1"] + draw["dT"])
    assert demography.migration_matrix[1, 0] == draw["m"] and demography.migration_matrix[0, 1] == 3e-5
    with pytest.raises(ScenarioError, match="T_1 = 900 is after T_2 = 800"):
        catalogue_demography({**spec, "stdpopsim": {**spec["stdpopsim"], "parameters": {"T_2": "T_1 - 100"}}},
                             {"T_1": 900.0})


def test_every_catalogue_model_is_rebuilt_exactly_and_its_epoch_times_and_sizes_follow_the_priors():
    for species in stdpopsim.all_species():
        for model in species.demographic_models:
            spec = {"name": "m", "stdpopsim": {"species": species.id, "model": model.id}}
            parameters = model_parameters(species.id, model.id)
            same = catalogue_demography(spec, {name: p.value for name, p in parameters.items()})
            assert_same_epochs(epochs(same), epochs(model.model))
            moved = {name: 1.5 * p.value for name, p in parameters.items() if p.kind == "time"}
            moved.update({f"N_{p.name}": 2 * p.initial_size for p in model.model.populations})
            reference = epochs(model.model)
            ours = epochs(catalogue_demography(spec, moved))
            np.testing.assert_allclose([e[0] for e in ours], [1.5 * e[0] for e in reference], rtol=1e-12,
                                       err_msg=f"{species.id}/{model.id}")
            reset_at_0 = {e.population for e in model.model.events  # an event at time 0 sets the size in force
                          if e.time == 0 and type(e).__name__ == "PopulationParametersChange" and e.initial_size}
            start = np.asarray(reference[0][2])
            expected = [size if index in reset_at_0 or -1 in reset_at_0 else 2 * size
                        for index, size in enumerate(start)]
            np.testing.assert_allclose(ours[0][2], expected, rtol=1e-12, err_msg=f"{species.id}/{model.id}")


def test_the_parameter_listing_names_each_number_with_its_catalogue_value():
    done = subprocess.run([sys.executable, "-m", "genomics.scenario.stdpopsim_models", "HomSap/OutOfAfrica_3G09"],
                          capture_output=True, text=True, timeout=300)
    rows = {line.split()[0]: float(line.split()[1]) for line in done.stdout.splitlines()}
    assert rows["T_1"] == 848 and rows["T_2"] == 5600 and rows["T_3"] == 8800
    assert rows["N_CEU_1"] == 2100 and rows["N_YRI_3"] == 7300 and rows["m_YRI_CEU_1"] == 25e-5


def test_without_stdpopsim_installed_a_catalogue_scenario_is_one_sentence(monkeypatch):
    monkeypatch.setitem(sys.modules, "stdpopsim", None)  # import stdpopsim now raises ImportError
    with pytest.raises(ScenarioError, match=r"needs the optional package stdpopsim \(pip install"):
        Scenario(with_changes(OOA, stdpopsim={"model": "NotCachedYet_1X99"}))


@pytest.fixture
def cached_fly_map(tmp_path):
    """A genetic map of DroMel 2L, written into a temporary stdpopsim cache as stdpopsim would after a download
    (a HapMap-format file and the archive's checksum); rates in cM/Mb at the listed positions."""
    stdpopsim.set_cache_dir(tmp_path / "cache")
    genetic_map = stdpopsim.get_species("DroMel").get_genetic_map("ComeronCrossoverV2_dm6")
    path = genetic_map.map_cache_dir / genetic_map.file_pattern.format(id="2L")
    path.parent.mkdir(parents=True)
    positions, rates = [0, 1_000_000, 1_004_000, 1_007_000, 23_513_712], [0.5, 2.0, 6.0, 1.0, 0.0]
    path.write_text("Chromosome\tPosition(bp)\tRate(cM/Mb)\tMap(cM)\n"
                    + "".join(f"2L\t{p}\t{r}\t0\n" for p, r in zip(positions, rates)))
    genetic_map._cache.sha256_file.write_text(genetic_map._cache.sha256)
    yield
    stdpopsim.set_cache_dir(None)


def test_a_cached_genetic_map_gives_the_contigs_recombination_map_from_position_0(cached_fly_map, tmp_path):
    spec = {"name": "fly", "stdpopsim": {"species": "DroMel", "model": "African3Epoch_1S16", "contig": "2L",
                                         "left": 1_002_000, "right": 1_010_000,
                                         "genetic_map": "ComeronCrossoverV2_dm6"},
            "priors": {"T_1": {"log_uniform": [1e4, 1e5]}}, "design": {"populations": ["AFR"], "samples": [3]}}
    scenario = Scenario(spec)
    length, recombination, _ = scenario.genome(scenario.draw_parameters(np.random.default_rng(1)))
    assert length == 8000
    np.testing.assert_array_equal(recombination.position, [0, 2000, 5000, 8000])  # 1,004,000 and 1,007,000
    np.testing.assert_allclose(recombination.rate, [2e-8, 6e-8, 1e-8], rtol=1e-12)
    assert scenario.spec["design"]["recombination_rate"] == pytest.approx((2 * 2 + 6 * 3 + 1 * 3) / 8 * 1e-8)
    simulate([scenario], 2, str(tmp_path / "sims"), master_seed=1, shard_size=2, workers=1, progress=False)
    assert len(load_simulations(str(tmp_path / "sims")).genotypes) == 2


def test_a_genetic_map_not_in_the_cache_is_refused_without_a_download(tmp_path):
    stdpopsim.set_cache_dir(tmp_path / "empty")
    try:
        with pytest.raises(ScenarioError, match=r"not in stdpopsim's cache .*get_genetic_map\('HapMapII_GRCh38'\)"):
            Scenario(with_changes(OOA, stdpopsim={"contig": "22", "length": None, "genetic_map": "HapMapII_GRCh38"}))
    finally:
        stdpopsim.set_cache_dir(None)


def test_every_catalogue_model_with_a_prior_on_its_oldest_epoch_is_a_scenario_msprime_simulates():
    for species in stdpopsim.all_species():
        for model in species.demographic_models:
            times = [p for p in model_parameters(species.id, model.id).values() if p.kind == "time"]
            sampled = [p.name for p in model.model.populations if p.allow_samples][:2]
            priors = {times[-1].name: {"uniform": [times[-1].value, 1.1 * times[-1].value]}} if times else {}
            scenario = Scenario({"name": "m", "stdpopsim": {"species": species.id, "model": model.id, "length": 1e3},
                                 "priors": priors, "design": {"populations": sampled, "samples": [1] * len(sampled)}})
            draw = scenario.draw_parameters(np.random.default_rng(0))  # Scenario() simulated 3 draws already
            assert scenario.demography(draw).debug().epochs[-1].start_time == pytest.approx(
                draw[times[-1].name] if times else 0.0)
