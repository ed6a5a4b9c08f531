"""Priors, scenario specifications, the TOML loader and the built-in catalogue."""

import numpy as np
import pytest

from genomics.scenario import catalogue, priors
from genomics.scenario.scenario import Scenario, ScenarioError, load_toml

VALID_TOML = """
name = "split"
description = "two populations split T generations ago"

[priors]
N = { log_uniform = [1e3, 1e4] }
T = { uniform = [100, 1000] }

[design]
populations = ["A", "B"]
samples = [3, 4]
sequence_length = 1e4

[[demes]]
name = "A"
initial_size = "N"
[[demes]]
name = "B"
initial_size = "N / 2"
[[demes]]
name = "ANC"
initial_size = "N"

[[events]]
type = "split"
time = "T"
derived = ["A", "B"]
ancestral = "ANC"
"""


def test_priors_draw_within_their_bounds_and_repeat_with_the_seed():
    for prior in (priors.Uniform(1, 2), priors.LogUniform(1e-5, 1e-3), priors.TruncatedNormal(0, 1, -0.5, 2)):
        first = [prior.draw(np.random.default_rng(7)) for _ in range(3)]
        assert first == [prior.draw(np.random.default_rng(7)) for _ in range(3)]
        draws = [prior.draw(np.random.default_rng(s)) for s in range(200)]
        assert all(getattr(prior, "low") <= d <= getattr(prior, "high") for d in draws)
    log_draws = np.log10([priors.LogUniform(1e3, 1e5).draw(np.random.default_rng(s)) for s in range(2000)])
    assert abs(np.mean(log_draws < 4) - 0.5) < 0.05  # each order of magnitude equally likely
    assert priors.from_spec(3.5).draw(None) == 3.5


@pytest.mark.parametrize("spec, message", [
    ({"gamma": [1, 2]}, "unknown distribution 'gamma'"),
    ({"uniform": [1]}, "uniform expects 2 numbers"),
    ({"log_uniform": [0, 1]}, "0 < low < high"),
    ("big", "expected a number or a table"),
])
def test_bad_priors_say_what_was_expected(spec, message):
    with pytest.raises(ValueError, match=message):
        priors.from_spec(spec, "N")


def test_a_toml_scenario_loads_and_builds_its_demography(tmp_path):
    path = tmp_path / "split.toml"
    path.write_text(VALID_TOML)
    (scenario,) = load_toml(str(path))
    parameters = scenario.draw_parameters(np.random.default_rng(1))
    demography = scenario.demography(parameters)
    assert [p.name for p in demography.populations] == ["A", "B", "ANC"]
    assert demography.populations[1].initial_size == pytest.approx(parameters["N"] / 2)
    assert scenario.design.haplotypes_per_population == [6, 8]
    assert scenario.genome(parameters)[0] == 1e4


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('name = "split"\n', ""), "missing the key 'name'"),
    (lambda t: t.replace('type = "split"', 'type = "merge"'), r"events\[0\].type must be one of"),
    (lambda t: t.replace('time = "T"', 'time = "T_split"'), r"events\[0\].time refers to \['T_split'\]"),
    (lambda t: t.replace('ancestral = "ANC"', 'ancestral = "ROOT"'), r"events\[0\].ancestral names the deme 'ROOT'"),
    (lambda t: t.replace('samples = [3, 4]', 'samples = [3]'), "equal length"),
    (lambda t: t.replace('initial_size = "N / 2"', 'initial_size = "N /"'), "not a valid expression"),
    (lambda t: t.replace('initial_size = "N / 2"', 'initial_size = "__import__(N)"'), "may only use numbers"),
    (lambda t: t + "\n[colours]\nred = 1\n", r"unknown keys \['colours'\]"),
    (lambda t: t.replace("derived = ", "derivd = "),
     r"events\[0\] \(split\) lacks \['derived'\] and has unknown keys \['derivd'\]; "
     r"it needs \['ancestral', 'derived', 'time'\]"),
    (lambda t: t.replace("[priors]", "[priors\n"), "not valid TOML"),
])
def test_a_wrong_toml_file_says_which_key_is_wrong(tmp_path, change, message):
    path = tmp_path / "bad.toml"
    path.write_text(change(VALID_TOML))
    with pytest.raises(ScenarioError, match=message) as error:
        load_toml(str(path))
    assert "bad.toml" in str(error.value)


def test_the_catalogue_holds_the_required_scenarios_with_literature_priors():
    assert catalogue.GROUPS["one_population"] == ["constant", "bottleneck", "expansion"]
    assert catalogue.GROUPS["three_populations"] == ["panmixia", "divergence", "divergence_with_migration"]
    migration = catalogue.get("divergence_with_migration")
    assert migration.priors["m"] == priors.LogUniform(1e-5, 1e-3)
    assert migration.priors["T1"] == priors.LogUniform(1e3, 1e5)
    assert migration.priors["N_A"] == priors.LogUniform(1e3, 1e5)
    for name in catalogue.SPECS:
        scenario = catalogue.get(name)
        scenario.demography(scenario.draw_parameters(np.random.default_rng(0))).debug()  # msprime accepts it


def test_resolve_rejects_unknown_names_listing_the_valid_ones():
    with pytest.raises(ValueError, match="panmixia"):
        catalogue.resolve(["panmictic"])
    with pytest.raises(ValueError, match="unique"):
        catalogue.resolve(["constant", "constant"])


def test_python_defined_scenarios_use_the_same_specification():
    spec = {"name": "tiny", "priors": {"N": 1000}, "design": {"populations": ["P"], "samples": [2]},
            "demes": [{"name": "P", "initial_size": "N"}]}
    assert Scenario(spec).demography({"N": 1000.0}).populations[0].initial_size == 1000
