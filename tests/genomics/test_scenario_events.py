"""Scenario events are classes found through a registry: each declares its fields, checks itself in one sentence
and adds to an msprime Demography what msprime's own calls add."""

import dataclasses

import msprime
import numpy as np
import pytest

from genomics.scenario.events import EVENTS, EVENT_AT_ZERO, DrawValues, Event, Pulse, event_from_table, register
from genomics.scenario.scenario import Scenario, ScenarioError

DEMES = [{"name": "A", "initial_size": 1000.0}, {"name": "B", "initial_size": 2000.0},
         {"name": "C", "initial_size": 3000.0}]


def scenario_with(events, units="generations"):
    events = events if events[:1] == [BACKGROUND] else [BACKGROUND, *events]
    return Scenario({"name": "s", "priors": {"T": 500.0, "m": 1e-4, "p": 0.25}, "units": units,
                     "design": {"populations": ["A", "B"], "samples": [2, 2], "sequence_length": 1e3},
                     "demes": DEMES, "events": events})


#: Migration between the sampled demes, so that every demography below can end in a common ancestor.
BACKGROUND = {"type": "symmetric_migration", "populations": ["A", "B"], "rate": 1e-3}


def msprime_demography(build):
    demography = msprime.Demography()
    for deme in DEMES:
        demography.add_population(name=deme["name"], initial_size=deme["initial_size"])
    demography.set_symmetric_migration_rate(["A", "B"], 1e-3)
    build(demography)
    demography.sort_events()
    return demography


CASES = {
    "split": ({"time": "T", "derived": ["A", "B"], "ancestral": "C"},
              lambda d: d.add_population_split(time=500.0, derived=["A", "B"], ancestral="C")),
    "join": ({"time": "T", "source": "A", "dest": "B"},
             lambda d: (d.add_mass_migration(time=500.0, source="A", dest="B", proportion=1.0),
                        d.add_migration_rate_change(time=500.0, rate=0.0, source="B", dest="A"),
                        d.add_migration_rate_change(time=500.0, rate=0.0, source="C", dest="A"))),
    "pulse": ({"time": "T", "source": "A", "dest": "B", "proportion": "p"},
              lambda d: d.add_mass_migration(time=500.0, source="A", dest="B", proportion=0.25)),
    "symmetric_migration": ({"populations": ["A", "B"], "rate": "m"},
                            lambda d: d.set_symmetric_migration_rate(["A", "B"], 1e-4)),
    "migration": ({"source": "B", "dest": "A", "rate": "m"},
                  lambda d: d.set_migration_rate(source="B", dest="A", rate=1e-4)),
    "migration_rate_change": ({"time": "T", "populations": ["A", "C"], "rate": "m"},
                              lambda d: d.add_symmetric_migration_rate_change(time=500.0, populations=["A", "C"],
                                                                              rate=1e-4)),
    "migration_change": ({"time": 0, "source": "A", "dest": "C", "rate": "m"},
                         lambda d: d.add_migration_rate_change(time=EVENT_AT_ZERO, rate=1e-4, source="A", dest="C")),
    "size_change": ({"time": "T", "population": "B", "size": "T * 2", "growth_rate": 0.01},
                    lambda d: d.add_population_parameters_change(time=500.0, population="B", initial_size=1000.0,
                                                                 growth_rate=0.01)),
    "growth_change": ({"time": "T", "population": "C", "growth_rate": -0.01},
                      lambda d: d.add_population_parameters_change(time=500.0, population="C", growth_rate=-0.01)),
}


def test_the_registry_maps_every_scenario_file_type_to_its_class():
    assert set(EVENTS) == set(CASES)
    for name, cls in EVENTS.items():
        assert cls.type_name == name and issubclass(cls, Event) and cls.__doc__


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_each_event_adds_to_the_demography_what_msprimes_own_calls_add(type_name):
    fields, build = CASES[type_name]
    event = event_from_table({"type": type_name, **fields}, "events[0]", "scenario 's'")
    values = DrawValues("scenario 's'", {"T": 500.0, "m": 1e-4, "p": 0.25}, {}, 1.0, [d["name"] for d in DEMES])
    ours = msprime_demography(lambda demography: event.add_to(demography, values))
    theirs = msprime_demography(build)
    assert ours.events == theirs.events
    np.testing.assert_array_equal(ours.migration_matrix, theirs.migration_matrix)


def test_an_event_reads_back_the_table_it_came_from():
    table = {"type": "pulse", "time": "T", "source": "A", "dest": "B", "proportion": "p"}
    event = event_from_table(table, "events[0]", "scenario 's'")
    assert isinstance(event, Pulse) and event.proportion == "p"
    assert event.to_table() == table


def test_an_unknown_event_type_is_refused_listing_the_known_ones():
    with pytest.raises(ScenarioError, match=r"^scenario 's': events\[1\].type must be one of \['growth_change', "
                                            r"'join', 'migration', .*'symmetric_migration'\], got 'bottleneck'$"):
        scenario_with([{"type": "bottleneck", "time": 10}])


@pytest.mark.parametrize("event, message", [
    ({"type": "pulse", "time": "T", "source": "A", "dest": "B"},
     r"events\[1\] \(pulse\) lacks \['proportion'\]; it needs \['dest', 'proportion', 'source', 'time'\]$"),
    ({"type": "size_change", "time": 1, "population": "A", "size": 10, "rate": 1},
     r"events\[1\] \(size_change\) has unknown keys \['rate'\]; it needs \['population', 'size', 'time'\] and may "
     r"have \['growth_rate'\]$"),
    ({"type": "pulse", "time": "T", "source": "A", "dest": "B", "proportion": 1.5},
     r"^scenario 's', pulse event: events\[1\].proportion = 1.5 is 1.5; it must be a proportion in \[0, 1\]$"),
    ({"type": "migration_change", "time": "-T", "source": "A", "dest": "B", "rate": 0},
     r"^scenario 's', migration_change event: events\[1\].time = '-T' is -500; it must be a time >= 0$"),
    ({"type": "size_change", "time": 10, "population": "A", "size": "N"},
     r"^scenario 's', size_change event: events\[1\].size refers to \['N'\], which are not priors"),
    ({"type": "join", "time": 10, "source": "A", "dest": "D"},
     r"^scenario 's', join event: events\[1\].dest names the deme 'D', which is not in demes \['A', 'B', 'C'\]$"),
    ({"type": "migration", "source": "B", "dest": "B", "rate": "m"},
     r"^scenario 's', migration event: events\[1\] moves lineages from 'B' to itself; source and dest must differ$"),
    ({"type": "symmetric_migration", "populations": "A", "rate": "m"},
     r"events\[1\].populations must be a list of deme names, got 'A'$"),
])
def test_a_wrong_event_is_one_sentence_naming_the_event_the_field_and_the_value(event, message):
    with pytest.raises(ScenarioError, match=message) as error:
        scenario_with([event])
    assert "\n" not in str(error.value) and "Traceback" not in str(error.value)


def test_coalescent_units_scale_times_sizes_and_rates_in_every_event():
    events = [{"type": "size_change", "time": 0.5, "population": "A", "size": 2.0, "growth_rate": 4.0},
              {"type": "migration", "source": "A", "dest": "B", "rate": 2.0}]
    demography = scenario_with(events, units="coalescent").demography({})
    change = demography.events[0]
    assert change.time == 0.5 * 4 * 1e4 and change.initial_size == 2.0 * 1e4 and change.growth_rate == 4.0 / 4e4
    assert demography.migration_matrix[0, 1] == 2.0 / 4e4


def test_a_registered_type_name_cannot_be_registered_twice():
    @dataclasses.dataclass(frozen=True)
    class AnotherPulse(Pulse):
        type_name = "pulse"

    with pytest.raises(ValueError, match="needs a type_name not yet registered, got 'pulse'"):
        register(AnotherPulse)
    assert EVENTS["pulse"] is Pulse
