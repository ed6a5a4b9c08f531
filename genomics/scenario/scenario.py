"""Demographic scenarios: priors, a sampling design, and demes and events that build an ``msprime.Demography``.

A scenario is written as a specification (a Python dict or a TOML file of
the same shape; the schema is in the README)::

    name = "divergence"
    [priors]
    N_A = { log_uniform = [1e3, 1e5] }
    T1  = { log_uniform = [1e3, 1e5] }
    [design]
    populations = ["A", "B"]       # the sampled populations, in the order of the image's rows
    samples = [10, 10]             # individuals per population
    sequence_length = 2e5
    recombination_rate = 1e-8      # a number, a prior's name or an expression of them
    mutation_rate = 1.25e-8
    [[demes]]
    name = "A"
    initial_size = "N_A"
    [[events]]
    type = "split"
    time = "T1"
    derived = ["A", "B"]
    ancestral = "ANC"

Values are numbers, prior names, or arithmetic on them ("T1 + dT"). Times
are in generations before the present, sizes are diploid effective sizes,
rates are per generation (msprime's conventions), unless the scenario says
``units = "coalescent"``: then, as in ms, times are in units of 4 N0
generations, sizes are relative to N0 (``reference_size``, default 10,000),
migration rates are M = 4 N0 m, growth rates are 4 N0 r, and loci give
``theta = 4 N0 mu L`` and ``rho = 4 N0 r (L - 1)`` instead of per-base rates.
The design (populations, samples, ploidy, loci, missing data) is described
in ``genomics/scenario/design.py``.

Events (``[[events]]``, each with a ``type``: split, join, pulse, symmetric_migration, migration,
migration_rate_change, migration_change, size_change, growth_change) are classes in
``genomics/scenario/events.py``, which documents each one's fields.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import msprime
import numpy

from genomics.scenario.demes_graph import demography_from_demes, read_demes_yaml, validate_demes_graph
from genomics.scenario.design import MAX_RATE, Locus, SamplingDesign
from genomics.scenario.events import EVENT_AT_ZERO, EVENTS, DrawValues, Event, EventChecks, event_from_table
from genomics.scenario.expressions import ScenarioError, evaluate, is_number, names_in, value_range
from genomics.scenario.priors import Prior, from_spec
from genomics.textfile import read_toml

__all__ = ["EVENT_AT_ZERO", "EVENTS", "Scenario", "ScenarioError", "evaluate", "load_toml", "validate_spec"]

UNITS = ("generations", "coalescent")
#: Allowed values of each kind: (low, high, must be > 0, what the message says is expected).
RANGES = {
    "size": (0.0, math.inf, True, "a size > 0"),
    "length": (0.0, math.inf, True, "a length > 0"),
    "time": (0.0, math.inf, False, "a time >= 0"),
    "proportion": (0.0, 1.0, False, "a proportion in [0, 1]"),
    "rate_generations": (0.0, 1.0, False, "a migration rate in [0, 1] per generation"),
    "rate_coalescent": (0.0, math.inf, False, "a migration rate M = 4 N0 m >= 0"),
    "per_base": (0.0, MAX_RATE, False, f"a rate in [0, {MAX_RATE:g}] per base per generation"),
    "non_negative": (0.0, math.inf, False, "a value >= 0"),
}
#: A scenario's name: it becomes part of file names (shards), so no folder part, no '..', nothing hidden.
SCENARIO_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
TOP_KEYS = {"name", "description", "priors", "design", "demes", "events", "sampling", "units", "reference_size",
            "demes_graph", "stdpopsim"}


class Scenario:
    """A named demographic model with priors on its parameters, built from a checked specification."""

    def __init__(self, spec: dict) -> None:
        self.spec = validate_spec(spec)
        self.name: str = self.spec["name"]
        self.priors: dict[str, Prior] = {key: from_spec(value, key) for key, value in self.spec["priors"].items()}
        self.units: str = self.spec.get("units", "generations")
        self.reference_size = float(self.spec.get("reference_size", 1e4))
        self.events: list[Event] = [event_from_table(table, f"events[{i}]", f"scenario {self.name!r}")
                                    for i, table in enumerate(self.spec.get("events", []))]
        self.design = SamplingDesign.from_spec(self.spec["design"], f"scenario {self.name!r}", lambda v, k: None,
                                               self.units)
        self.check_simulates()

    @property
    def description(self) -> str:
        return self.spec.get("description", "")

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.priors)} priors, populations {self.design.populations}>"

    def check_simulates(self, draws: int = 3) -> None:
        """Simulate a tiny genealogy for a few seeded draws, so that a demography msprime cannot run (a deme split
        twice, lineages moved into a deme not yet active, lineages that can never meet) is one ScenarioError when
        the scenario is read, not in a worker. Every size is multiplied by a million there, so that the lineages
        outlive every event (coalescing first would end the check before the event that fails)."""
        generator = numpy.random.default_rng(12345)
        for _ in range(draws):
            parameters = self.draw_parameters(generator)
            try:
                demography = self.demography(parameters, 1e6)
                _check_lineages_enter_active_demes(demography)
                msprime.sim_ancestry(samples=self.sample_sets(), demography=demography, sequence_length=1,
                                     random_seed=1)
            except ScenarioError:
                raise
            except Exception as error:  # msprime's LibraryError, InputError, ValueError name the problem
                raise ScenarioError(f"scenario {self.name!r}: msprime cannot simulate this demography for the draw "
                                    f"{ {k: round(v, 6) for k, v in parameters.items()} }: {error}") from None

    def with_missing(self, missing: dict) -> "Scenario":
        """The same scenario with the design's missing data replaced by ``missing`` (a [design.missing] table)."""
        spec = copy.deepcopy(self.spec)
        spec["design"]["missing"] = missing
        return Scenario(spec)

    def draw_parameters(self, generator: numpy.random.Generator) -> dict[str, float]:
        """One draw of every prior, in the order the specification lists them."""
        return {name: prior.draw(generator) for name, prior in self.priors.items()}

    # ------------------------------------------------------------------ units
    def _scale(self, kind: str) -> float:
        """Multiply a value of ``kind`` (size, time, rate) in the scenario's units to get msprime's."""
        if self.units == "generations":
            return 1.0
        return {"size": self.reference_size, "time": 4 * self.reference_size,
                "rate": 1 / (4 * self.reference_size)}[kind]

    def locus_genome(self, locus: Locus, parameters: dict) -> tuple[float, Any, float]:
        """(sequence_length, recombination rate, mutation rate) of one locus, per base per generation (the rate
        of recombination may be an ``msprime.RateMap``: a stdpopsim contig's genetic map)."""
        length = evaluate(locus.sequence_length, parameters)
        if self.units == "coalescent":
            per_base = 1 / (4 * self.reference_size)
            mutation = 0.0 if locus.theta is None else evaluate(locus.theta, parameters) * per_base / length
            recombination = 0.0 if locus.rho is None else \
                evaluate(locus.rho, parameters) * per_base / max(length - 1, 1.0)
        else:
            mutation = 0.0 if locus.mutation_rate is None else evaluate(locus.mutation_rate, parameters)
            recombination = evaluate(locus.recombination_rate, parameters)
        for key, value in (("sequence_length", length), ("mutation rate", mutation),
                           ("recombination rate", recombination)):
            if not numpy.isfinite(value) or value < 0 or (key == "sequence_length" and value <= 0):
                raise ScenarioError(f"scenario {self.name!r}, locus {locus.name!r}: the {key} is {value!r} for "
                                    f"the parameters {parameters}")
        if "stdpopsim" in self.spec:  # a catalogue contig's genetic map (genomics/scenario/stdpopsim_contig.py)
            from genomics.scenario.stdpopsim_contig import catalogue_recombination  # noqa: PLC0415 - optional
            recombination = catalogue_recombination(self.spec, recombination)
        return length, recombination, mutation

    def genome(self, parameters: dict) -> tuple[float, float, float]:
        """(sequence_length, recombination_rate, mutation_rate) of a design of one contiguous sequence."""
        return self.locus_genome(self.design.loci[0], parameters)

    # ------------------------------------------------------------------ msprime
    def demography(self, parameters: dict, size_scale: float = 1.0) -> msprime.Demography:
        """The msprime Demography of this scenario for one draw of its parameters.

        ``size_scale`` multiplies every effective size (a locus with its own
        effective size, such as mtDNA), which scales its coalescence times.
        """
        if "demes_graph" in self.spec:
            return demography_from_demes(self.spec["demes_graph"], parameters, size_scale, f"scenario {self.name!r}")
        if "stdpopsim" in self.spec:  # a catalogue model (genomics/scenario/stdpopsim_models.py)
            from genomics.scenario.stdpopsim_models import catalogue_demography  # noqa: PLC0415 - optional
            return catalogue_demography(self.spec, parameters, size_scale)
        scales = {kind: self._scale(kind) for kind in ("size", "time", "rate")}
        values = DrawValues(f"scenario {self.name!r}", parameters, scales, size_scale,
                            [deme["name"] for deme in self.spec["demes"]])
        demography = msprime.Demography()
        for deme in self.spec["demes"]:
            demography.add_population(name=deme["name"], initial_size=values.size(deme["initial_size"]),
                                      growth_rate=values(deme.get("growth_rate", 0.0), "rate"))
        for event in self.events:
            event.add_to(demography, values)
        demography.sort_events()
        return demography

    def sample_sets(self) -> list[msprime.SampleSet]:
        """One SampleSet per sampled population, taken from the deme the ``sampling`` table names.

        Individuals have ``design.ploidy`` haplotypes; the coalescent's time
        scale stays diploid (sizes are diploid effective sizes), so a ploidy
        of 1 samples haplotypes as ms does.
        """
        sampling = self.spec.get("sampling", {})
        return [msprime.SampleSet(n, population=sampling.get(population, population), ploidy=self.design.ploidy)
                for population, n in zip(self.design.populations, self.design.samples)]


def _check_lineages_enter_active_demes(demography: msprime.Demography) -> None:
    """A deme that starts as the ancestor of a split exists only from that time back: migration or a pulse into it
    before then would fail inside msprime (or only in some replicates). Raise a ValueError naming it."""
    starts = {event.ancestral: event.time for event in demography.events
              if type(event).__name__ == "PopulationSplit"}
    names = [population.name for population in demography.populations]
    for (source, dest) in zip(*numpy.nonzero(demography.migration_matrix)):
        if names[dest] in starts:
            raise ValueError(f"lineages migrate from {names[source]} into {names[dest]} from time 0, but "
                             f"{names[dest]} exists only from its split at {starts[names[dest]]:g} generations back")
    for event in demography.events:
        kind = type(event).__name__
        dest = getattr(event, "dest", None)
        if kind == "MigrationRateChange" and event.rate > 0 and dest is not None:
            dest = dest if isinstance(dest, str) else names[dest]
            if dest in starts and event.time < starts[dest]:
                raise ValueError(f"migration into {dest} starts at {event.time:g} generations, before {dest} exists "
                                 f"(its split at {starts[dest]:g})")
        if kind == "MassMigration":
            dest = dest if isinstance(dest, str) else names[dest]
            if dest in starts and event.time < starts[dest]:
                raise ValueError(f"lineages move into {dest} at {event.time:g} generations, before {dest} exists "
                                 f"(its split at {starts[dest]:g})")


def validate_spec(spec: dict) -> dict:
    """Check a scenario specification, raising ScenarioError that names the offending key."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"a scenario must be a table, got {type(spec).__name__}")
    spec = copy.deepcopy(spec)
    for key in ("name", "priors", "design"):
        if key not in spec:
            raise ScenarioError(f"scenario is missing the key {key!r} (needs name, priors, design, demes)")
    if "stdpopsim" in spec:  # the design's contig from the catalogue (genomics/scenario/stdpopsim_contig.py)
        from genomics.scenario.stdpopsim_contig import with_catalogue_design  # noqa: PLC0415 - optional
        spec = with_catalogue_design(spec, f"scenario {spec['name']!r}")
    elif ("demes" in spec) == ("demes_graph" in spec):
        raise ScenarioError(f"scenario {spec.get('name')!r}: give either 'demes' (with 'events') or a demes YAML "
                            "file ('demes_yaml'), not both and not neither")
    name = spec["name"]
    if not isinstance(name, str) or not SCENARIO_NAME.fullmatch(name):
        raise ScenarioError(f"a scenario's name must be 1 to 64 letters, digits, '_', '-' or '.', starting with a "
                            f"letter, digit or '_' (it names the scenario's shard files), got {name!r}")
    where = f"scenario {name!r}"
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}; valid: {', '.join(sorted(TOP_KEYS))}")
    units = spec.get("units", "generations")
    if units not in UNITS:
        raise ScenarioError(f"{where}: units must be one of {UNITS}, got {units!r}")
    reference = spec.get("reference_size", 1e4)
    if not is_number(reference) or reference <= 0:
        raise ScenarioError(f"{where}: reference_size must be a positive number, got {reference!r}")
    if not isinstance(spec["priors"], dict):
        raise ScenarioError(f"{where}: 'priors' must be a table of name = prior")
    for key, value in spec["priors"].items():
        try:
            from_spec(value, key)
        except ValueError as error:
            raise ScenarioError(f"{where}: priors.{key}: {error}") from None
    parameters = set(spec["priors"])
    supports = {key: from_spec(value, key).support for key, value in spec["priors"].items()}

    def check_value(value: Any, key: str, place: str = where) -> None:
        missing = names_in(value, f"{place}: {key}") - parameters
        if missing:
            raise ScenarioError(f"{place}: {key} refers to {sorted(missing)}, which are not priors "
                                f"(priors: {sorted(parameters)})")

    def check_range(value: Any, key: str, kind: str, place: str = where) -> None:
        """The value's range over the priors' whole supports must lie in what ``kind`` allows."""
        low, high, positive, expected = RANGES[kind if kind != "rate" else f"rate_{units}"]
        try:
            least, most = value_range(value, supports)
        except ScenarioError as error:
            raise ScenarioError(f"{place}: {key}: {error}") from None
        if least < low or most > high or (positive and least <= 0):
            shown = f"{least:g}" if least == most else f"from {least:g} to {most:g} over the priors' supports"
            raise ScenarioError(f"{place}: {key} = {value!r} is {shown}; it must be {expected}")

    design = SamplingDesign.from_spec(spec["design"], where, check_value, units)
    for index, locus in enumerate(design.loci):
        label = "design" if design.contiguous else f"design.loci[{index}]"
        for key, kind in (("sequence_length", "length"), ("mutation_rate", "per_base"),
                          ("recombination_rate", "per_base"), ("theta", "non_negative"), ("rho", "non_negative")):
            if getattr(locus, key) is not None:
                check_range(getattr(locus, key), f"{label}.{key}", kind)
    if "demes_graph" in spec:
        return validate_demes_graph(spec, design, where, units, check_value)
    if "stdpopsim" in spec:
        from genomics.scenario.stdpopsim_models import validate_catalogue_spec  # noqa: PLC0415 - optional
        return validate_catalogue_spec(spec, design, where, check_value, check_range)

    if not isinstance(spec["demes"], list) or not spec["demes"]:
        raise ScenarioError(f"{where}: 'demes' must be a non-empty list of tables with name and initial_size")
    demes: set = set()
    for i, deme in enumerate(spec["demes"]):
        if not isinstance(deme, dict) or "name" not in deme or "initial_size" not in deme:
            raise ScenarioError(f"{where}: demes[{i}] needs 'name' and 'initial_size'")
        if deme["name"] in demes:
            raise ScenarioError(f"{where}: demes[{i}] repeats the name {deme['name']!r}")
        demes.add(deme["name"])
        check_value(deme["initial_size"], f"demes[{i}].initial_size")
        check_range(deme["initial_size"], f"demes[{i}].initial_size", "size")
        if "growth_rate" in deme:
            check_value(deme["growth_rate"], f"demes[{i}].growth_rate")

    if not isinstance(spec.get("events", []), list):
        raise ScenarioError(f"{where}: 'events' must be a list of tables")
    for i, table in enumerate(spec.get("events", [])):
        event = event_from_table(table, f"events[{i}]", where)
        place = f"{where}, {event.type_name} event"  # every message names the scenario, the event and its field

        def check_event_value(value: Any, key: str, kind: str | None, place: str = place) -> None:
            check_value(value, key, place)
            if kind is not None:
                check_range(value, key, kind, place)

        event.check(EventChecks(place, check_event_value, demes), f"events[{i}]")
    for population in design.populations:
        EventChecks(where, check_value, demes).deme(spec.get("sampling", {}).get(population, population),
                                                    f"sampling of population {population!r}")
    return spec


def load_toml(path: str) -> list[Scenario]:
    """Scenarios from a TOML file: one scenario at top level, or several under ``[[scenario]]``.

    The file and a demes YAML it names are read with bounds (``genomics.textfile``): at most a megabyte,
    100,000 values once YAML aliases are expanded, 64 levels deep; the YAML file lies beside the TOML file
    or in a folder below it.
    """
    try:
        document = read_toml(path)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: cannot read the scenario file (No such file or directory)") from None
    except ValueError as error:
        raise ScenarioError(str(error)) from None
    specs = document["scenario"] if "scenario" in document else [document]
    if not isinstance(specs, list):
        raise ScenarioError(f"{path}: 'scenario' must be an array of tables ([[scenario]]), got {specs!r}")
    scenarios = []
    for spec in specs:
        if isinstance(spec, dict) and "demes_yaml" in spec:
            spec = dict(spec)
            spec["demes_graph"] = read_demes_yaml(spec.pop("demes_yaml"), path)
        try:
            scenarios.append(Scenario(spec))
        except ScenarioError as error:
            raise ScenarioError(f"{path}: {error}") from None
    return scenarios
