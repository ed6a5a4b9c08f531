"""Every value of a scenario is checked over its priors' whole supports when the file is read, with one sentence
naming the key; random scenarios built from valid and invalid pieces either simulate or raise ScenarioError."""

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from genomics.scenario.expressions import value_range
from genomics.scenario.scenario import Scenario, ScenarioError, load_toml
from genomics.simulation.run import simulate_replicate


def spec(**changes):
    base = {"name": "s", "priors": {"N": {"log_uniform": [1e3, 1e4]}, "T": {"uniform": [100, 1000]}},
            "design": {"populations": ["A", "B"], "samples": [3, 3], "sequence_length": 1e4,
                       "mutation_rate": 1e-8, "recombination_rate": 1e-8},
            "demes": [{"name": "A", "initial_size": "N"}, {"name": "B", "initial_size": "N"},
                      {"name": "C", "initial_size": "N"}],
            "events": [{"type": "split", "time": "T", "derived": ["A", "B"], "ancestral": "C"}]}
    for key, value in changes.items():
        base[key] = value
    return base


@pytest.mark.parametrize("changes, message", [
    ({"events": [{"type": "symmetric_migration", "populations": ["A", "B"], "rate": 2.0}]},
     r"events\[0\].rate = 2.0 is 2; it must be a migration rate in \[0, 1\] per generation"),
    ({"priors": {"N": {"uniform": [-10, 100]}, "T": 1.0}},
     r"demes\[0\].initial_size = 'N' is from -10 to 100 over the priors' supports; it must be a size > 0"),
    ({"events": [{"type": "migration", "source": "A", "dest": "B", "rate": -0.01}]}, r"rate = -0.01 is -0.01"),
    ({"events": [{"type": "split", "time": "T / (N - N)", "derived": ["A", "B"], "ancestral": "C"}]},
     r"events\[0\].time: 'T / \(N - N\)' can divide by zero"),
    ({"events": [{"type": "split", "time": "T - 2000", "derived": ["A", "B"], "ancestral": "C"}]},
     r"time = 'T - 2000' is from -1900 to -1000 over the priors' supports; it must be a time >= 0"),
    ({"design": {"populations": ["A", "B"], "samples": [3, 3], "mutation_rate": 2.0}},
     r"design \(sequence\): mutation_rate must be in \[0, 0.001\] per base per generation, got 2.0"),
    ({"design": {"populations": ["A", "B"], "samples": [3, 3], "ploidy": 0}}, "ploidy must be an integer from 1"),
    ({"events": [{"type": "migration", "source": "A", "dest": "C", "rate": 1e-4},
                 {"type": "split", "time": "T", "derived": ["A", "B"], "ancestral": "C"}]},
     r"msprime cannot simulate .* lineages migrate from A into C from time 0, but C exists only from its split"),
    ({"events": [{"type": "pulse", "time": 50.0, "source": "A", "dest": "C", "proportion": 0.2},
                 {"type": "split", "time": "T", "derived": ["A", "B"], "ancestral": "C"}]},
     r"lineages move into C at 50 generations, before C exists"),
    ({"events": [{"type": "split", "time": "T", "derived": ["A", "B"], "ancestral": "C"},
                 {"type": "split", "time": "T * 2", "derived": ["A", "B"], "ancestral": "C"}]},
     r"msprime cannot simulate this demography"),
])
def test_values_outside_their_range_name_the_key_and_the_range(changes, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario(spec(**changes))


def test_interval_ranges_are_exact_for_single_use_and_safe_otherwise():
    supports = {"N": (1e3, 1e5), "f": (1e-3, 0.1), "T": (1.0, 2.0)}
    assert value_range("N * f", supports) == pytest.approx((1.0, 1e4))
    assert value_range("T / 2 + 1", supports) == (1.5, 2.0)
    assert value_range("-T", supports) == (-2.0, -1.0)
    low, high = value_range("T - T", supports)  # really 0; interval arithmetic is conservative
    assert low <= 0 <= high


@pytest.mark.parametrize("content, message", [
    (None, r"s.toml: cannot read the scenario file \(Is a directory\)"),
    ("scenario = 5\n", "'scenario' must be an array of tables"),
    (b"name = \"\xff\xfe\"\n", "not a UTF-8 text file"),
])
def test_unreadable_scenario_files_are_one_sentence(tmp_path, content, message):
    path = tmp_path / "s.toml"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ScenarioError, match=message):
        load_toml(str(path))


# Mostly valid pieces, so that both outcomes occur; the invalid ones each break one rule.
VALUES = st.one_of(st.sampled_from([1000.0, "N", "N * 2", "T", 500.0, "T / 2"]),
                   st.sampled_from([0.0, -5.0, 1e9, "X", "N +", "T - 5000", "__import__('os')", "T / (N - N)"]))
EVENTS = st.fixed_dictionaries({
    "type": st.sampled_from(["join", "pulse", "migration", "size_change", "migration", "teleport"]),
}).flatmap(lambda event: st.fixed_dictionaries({
    "type": st.just(event["type"]), "time": VALUES, "derived": st.just(["A", "B"]), "ancestral": st.just("C"),
    "source": st.sampled_from(["A", "B", "B", "Z"]), "dest": st.just("C"),
    "proportion": st.sampled_from([0.5, 0.1, 1.5, "T"]), "rate": st.sampled_from([1e-4, 0.0, 3.0, "1 / N"]),
    "population": st.sampled_from(["A", "C"]), "size": VALUES,
}).map(lambda full: {key: value for key, value in full.items()
                     if key == "type" or key in {"split": {"time", "derived", "ancestral"},
                                                 "join": {"time", "source", "dest"},
                                                 "pulse": {"time", "source", "dest", "proportion"},
                                                 "migration": {"source", "dest", "rate"},
                                                 "size_change": {"time", "population", "size"},
                                                 "teleport": {"time"}}[event["type"]]}))


@settings(max_examples=60, deadline=None)
@given(size=VALUES, events=st.lists(EVENTS, max_size=2),
       samples=st.sampled_from([[3, 3], [1, 2], [2, 1], [0, 2], [-1, 3]]),
       rate=st.sampled_from([1e-8, 0.0, 1e-7, 2.0, "N", -1e-8]))
def test_random_scenarios_either_simulate_or_raise_a_scenario_error(size, events, samples, rate):
    candidate = spec(demes=[{"name": "A", "initial_size": size}, {"name": "B", "initial_size": "N"},
                            {"name": "C", "initial_size": "N"}],
                     events=events + [{"type": "split", "time": 2000.0, "derived": ["A", "B"], "ancestral": "C"}],
                     design={"populations": ["A", "B"], "samples": samples, "sequence_length": 1000.0,
                             "mutation_rate": rate})
    try:
        scenario = Scenario(candidate)
    except ScenarioError as error:
        assert str(error).startswith("scenario 's'")
        event("refused with a ScenarioError")
        return
    event("valid: simulated")
    replicate = simulate_replicate(scenario, 1)
    assert replicate["genotypes"].shape[0] == sum(samples) * 2
    assert np.isin(replicate["genotypes"], [0, 1]).all()
