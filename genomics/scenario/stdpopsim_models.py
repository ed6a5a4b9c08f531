"""stdpopsim catalogue models as scenarios, with priors on the model's own numbers.

A scenario file names a catalogue model instead of listing demes and events::

    name = "ooa"
    [stdpopsim]
    species = "HomSap"
    model = "OutOfAfrica_3G09"
    length = 1e5                  # a generic contig of this many bases (the species' mean rates), or
    # contig = "22"               # a chromosome, optionally cut to [left, right): left = 1e7, right = 1.02e7
    [stdpopsim.parameters]        # optional: model parameters set to numbers or expressions of priors
    m_CEU_YRI = "m_YRI_CEU"       # keep the migration matrix symmetric
    [priors]                      # a prior named as a model parameter replaces the catalogue's number
    T_1 = { log_uniform = [500, 2000] }
    T_2 = { log_uniform = [3000, 8000] }
    [design]
    populations = ["YRI", "CEU", "CHB"]
    samples = [4, 4, 4]

The rule that names a model's parameters works for every catalogue model,
because it reads the ``msprime.Demography`` the catalogue builds (the model's
source keeps no parameter names: its numbers are local variables):

- ``T_k``: the k-th distinct time at which events happen, counted from the
  present (k = 1, 2, ...); every event at that time moves with it, so an epoch
  boundary of ``Demography.debug()`` is one parameter, and so do the samples of an
  ancient population whose catalogue sampling time it is (often its start). Catalogue order is kept:
  priors whose supports let ``T_k`` pass ``T_(k+1)`` are refused, and a draw
  that reorders them (through an expression) is an error.
- ``N_P`` and ``growth_rate_P``: the present-day size and growth rate of
  population P (msprime's ``initial_size``: sizes at later times follow from
  them; where an event at time 0 sets the size, ``N_P_1`` is the one in force).
- ``m_P_Q``: the present-day migration rate from P to Q (msprime's backward
  convention, ``migration_matrix[P, Q]``), for every entry the model sets above 0.
- Values set by the events at ``T_k``: ``N_P_k``, ``growth_rate_P_k`` (P is
  ``all`` for an event on every population), ``m_P_Q_k`` (``m_all_k``), rates of
  0 excepted (they end migration: structure, not a number to estimate);
  ``proportion_P_Q_k`` of a pulse from P to Q (mass migrations of proportion 1
  are structure); ``proportion_A_D_k`` of ancestral A in an admixture of D.

Every other number stays at its catalogue value. ``python -m
genomics.scenario.stdpopsim_models HomSap/OutOfAfrica_3G09`` lists a model's
parameters with their catalogue values. The design (the contig: one sequence,
or unlinked loci of a generic contig) is filled from the catalogue by
``genomics.scenario.stdpopsim_contig``. Samples of ancient populations are taken at their
catalogue sampling times. stdpopsim is an
optional dependency (``pip install "minidl[stdpopsim]"``).
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msprime

from genomics.scenario.design import SamplingDesign
from genomics.scenario.expressions import ScenarioError, evaluate, is_number, names_in

__all__ = ["ModelParameter", "catalogue_demography", "catalogue_model", "import_stdpopsim", "model_key",
           "model_parameters", "validate_catalogue_spec"]

STDPOPSIM_KEYS = {"species", "model", "contig", "length", "left", "right", "parameters", "genetic_map"}
#: Kinds of parameters and the range check (scenario.RANGES) each gets.
RANGE_KIND = {"time": "time", "size": "size", "migration_rate": "rate", "proportion": "proportion", "growth_rate": None}
LISTED_AT_MOST = 60  # parameter names a refusal lists (a model may have thousands)


@dataclass(frozen=True)
class ModelParameter:
    """One number of a catalogue model: its value there, its kind and where it sits in the Demography.

    ``places``: tuples ``("population", index, attribute)``, ``("matrix", source, dest)``,
    ``("event", index, attribute)`` or ``("event", index, "proportions", position)``.
    """

    name: str
    value: float
    kind: str
    places: tuple
    description: str


def import_stdpopsim():
    """The optional stdpopsim package, or one ScenarioError saying how to install it."""
    try:
        import stdpopsim  # noqa: PLC0415 - optional, needed only for catalogue scenarios
    except ImportError:
        raise ScenarioError("a [stdpopsim] scenario needs the optional package stdpopsim "
                            "(pip install \"minidl[stdpopsim]\" or pip install stdpopsim)") from None
    return stdpopsim


@functools.lru_cache(maxsize=64)
def catalogue_model(species_id: str, model_id: str) -> Any:
    """The stdpopsim ``DemographicModel``; unknown species or models are one ScenarioError listing the known."""
    stdpopsim = import_stdpopsim()
    species = {s.id: s for s in stdpopsim.all_species()}
    if species_id not in species:
        raise ScenarioError(f"stdpopsim has no species {species_id!r}; known species: {', '.join(sorted(species))}")
    models = {m.id: m for m in species[species_id].demographic_models}
    if model_id not in models:
        raise ScenarioError(f"stdpopsim has no demographic model {model_id!r} for {species_id}; its models: "
                            f"{', '.join(sorted(models)) or 'none'}")
    return models[model_id]


def _population_name(demography: msprime.Demography, reference: Any) -> str:
    if reference is None or (isinstance(reference, int) and reference < 0):
        return "all"
    return demography[reference].name


@functools.lru_cache(maxsize=64)
def model_parameters(species_id: str, model_id: str) -> dict[str, ModelParameter]:
    """The parameters of a catalogue model by name, following the rule of the module docstring."""
    demography = catalogue_model(species_id, model_id).model
    found: dict[str, ModelParameter] = {}

    def add(name: str, value: float, kind: str, places: list, description: str) -> None:
        unique, copy_number = name, 1
        while unique in found:
            copy_number += 1
            unique = f"{name}_{copy_number}"
        found[unique] = ModelParameter(unique, float(value), kind, tuple(places), description)

    names = [population.name for population in demography.populations]
    for index, population in enumerate(demography.populations):
        add(f"N_{population.name}", population.initial_size, "size", [("population", index, "initial_size")],
            f"present-day size of {population.name}")
        add(f"growth_rate_{population.name}", population.growth_rate, "growth_rate",
            [("population", index, "growth_rate")], f"present-day growth rate of {population.name}")
    for source, dest in zip(*demography.migration_matrix.nonzero()):
        add(f"m_{names[source]}_{names[dest]}", demography.migration_matrix[source, dest], "migration_rate",
            [("matrix", int(source), int(dest))], f"present-day migration rate from {names[source]} to {names[dest]}")
    times = sorted({float(event.time) for event in demography.events})
    for k, time in enumerate(times, start=1):
        at = [index for index, event in enumerate(demography.events) if float(event.time) == time]
        kinds = sorted({type(demography.events[index]).__name__ for index in at})
        sampled_then = [index for index, population in enumerate(demography.populations)
                        if population.default_sampling_time and float(population.default_sampling_time) == time]
        add(f"T_{k}", time, "time", [("event", index, "time") for index in at]
            + [("population", index, "default_sampling_time") for index in sampled_then],
            f"time of {len(at)} event(s) ({', '.join(kinds)})"
            + (f" and of the samples of {', '.join(names[i] for i in sampled_then)}" if sampled_then else ""))
        for index in at:
            event = demography.events[index]
            kind = type(event).__name__
            if kind == "PopulationParametersChange":
                population = _population_name(demography, event.population)
                if event.initial_size is not None:
                    add(f"N_{population}_{k}", event.initial_size, "size", [("event", index, "initial_size")],
                        f"size of {population} from T_{k}")
                if event.growth_rate is not None:
                    add(f"growth_rate_{population}_{k}", event.growth_rate, "growth_rate",
                        [("event", index, "growth_rate")], f"growth rate of {population} from T_{k}")
            elif kind == "MigrationRateChange" and event.rate != 0:
                pair = "all" if _population_name(demography, event.source) == "all" else \
                    f"{_population_name(demography, event.source)}_{_population_name(demography, event.dest)}"
                add(f"m_{pair}_{k}", event.rate, "migration_rate", [("event", index, "rate")],
                    f"migration rate {pair.replace('_', ' to ')} from T_{k}")
            elif kind == "SymmetricMigrationRateChange" and event.rate != 0:
                group = "_".join(_population_name(demography, p) for p in event.populations)
                add(f"m_{group}_{k}", event.rate, "migration_rate", [("event", index, "rate")],
                    f"symmetric migration rate among {group} from T_{k}")
            elif kind == "MassMigration" and event.proportion != 1:
                source, dest = _population_name(demography, event.source), _population_name(demography, event.dest)
                add(f"proportion_{source}_{dest}_{k}", event.proportion, "proportion",
                    [("event", index, "proportion")], f"proportion of {source} moving to {dest} at T_{k}")
            elif kind == "Admixture":
                derived = _population_name(demography, event.derived)
                for position, (ancestral, proportion) in enumerate(zip(event.ancestral, event.proportions)):
                    ancestral = _population_name(demography, ancestral)
                    add(f"proportion_{ancestral}_{derived}_{k}", proportion, "proportion",
                        [("event", index, "proportions", position)],
                        f"proportion of {derived} from {ancestral} at T_{k}")
    return found


def model_key(spec: dict) -> tuple[str, str]:
    """(species id, model id) of a [stdpopsim] scenario specification."""
    return str(spec["stdpopsim"]["species"]), str(spec["stdpopsim"]["model"])


def validate_catalogue_spec(spec: dict, design: SamplingDesign, where: str, check_value: Callable,
                            check_range: Callable) -> dict:
    """Checks of a [stdpopsim] scenario: the model's parameter names, their ranges and order, the populations."""
    species_id, model_id = model_key(spec)
    model = catalogue_model(species_id, model_id)
    parameters = model_parameters(species_id, model_id)
    listing = f"{species_id}/{model_id}"
    known = ", ".join(list(parameters)[:LISTED_AT_MOST]) + (
        f" and {len(parameters) - LISTED_AT_MOST} more (all: python -m genomics.scenario.stdpopsim_models {listing})"
        if len(parameters) > LISTED_AT_MOST else "")
    table = spec["stdpopsim"].get("parameters", {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: [stdpopsim.parameters] must be a table of model parameter = value")
    used = set()
    for name, value in table.items():
        if name not in parameters:
            raise ScenarioError(f"{where}: stdpopsim.parameters names {name!r}, which is not a parameter of "
                                f"{listing}; its parameters: {known}")
        if name in spec["priors"]:
            raise ScenarioError(f"{where}: {name!r} is both a prior and in [stdpopsim.parameters]; give it once")
        check_value(value, f"stdpopsim.parameters.{name}")
        used |= names_in(value, where)
    for locus in design.loci:
        for value in (locus.sequence_length, locus.mutation_rate, locus.recombination_rate):
            used |= names_in(value, where) if value is not None else set()
    for name in spec["priors"]:
        if name not in parameters and name not in used:
            raise ScenarioError(f"{where}: the prior {name!r} is not a parameter of {listing} and no value uses it; "
                                f"its parameters: {known}")
    values = {**{name: p.value for name, p in parameters.items()}, **table,
              **{name: name for name in spec["priors"] if name in parameters}}
    for name, value in values.items():
        kind = RANGE_KIND[parameters[name].kind]
        if kind is not None and not is_number(value):
            check_range(value, f"{listing} parameter {name}", kind)
    _check_time_order_of_ranges(spec, parameters, values, where)
    populations = [p.name for p in model.model.populations]
    for population in design.populations:
        sampled = spec.get("sampling", {}).get(population, population)
        if sampled not in populations:
            raise ScenarioError(f"{where}: the sampled population {sampled!r} is not a population of {listing}; "
                                f"its populations: {', '.join(populations)}")
    return spec


def _check_time_order_of_ranges(spec: dict, parameters: dict, values: dict, where: str) -> None:
    """Times given as numbers or prior names must keep the catalogue order over the priors' whole supports."""
    from genomics.scenario.priors import from_spec  # noqa: PLC0415 - the scenario layer's priors

    def bounds(value: Any) -> tuple[float, float] | None:
        if is_number(value):
            return float(value), float(value)
        if value in spec["priors"]:
            return tuple(from_spec(spec["priors"][value], value).support)
        return None  # an expression: checked on each draw

    times = [name for name in parameters if parameters[name].kind == "time"]
    for earlier, later in zip(times, times[1:]):
        first, second = bounds(values[earlier]), bounds(values[later])
        if first is not None and second is not None and first[1] > second[0]:
            raise ScenarioError(f"{where}: {earlier} may reach {first[1]:g} and {later} may be as low as "
                                f"{second[0]:g}, but the model's epochs keep their order ({earlier} <= {later}); "
                                f"narrow the priors or write {later} as an expression such as \"{earlier} + dT\"")


def catalogue_demography(spec: dict, parameters: dict, size_scale: float = 1.0) -> msprime.Demography:
    """The catalogue model's Demography with this draw's values in place (sizes times ``size_scale``)."""
    species_id, model_id = model_key(spec)
    table = model_parameters(species_id, model_id)
    overrides = {name: evaluate(value, parameters) for name, value in spec["stdpopsim"].get("parameters", {}).items()}
    overrides.update({name: value for name, value in parameters.items() if name in table})
    times = [(name, overrides.get(name, p.value)) for name, p in table.items() if p.kind == "time"]
    for (earlier, first), (later, second) in zip(times, times[1:]):
        if first > second:
            raise ScenarioError(f"scenario {spec['name']!r}: {earlier} = {first:g} is after {later} = {second:g} in "
                                f"this draw, but the model's epochs keep their order")
    demography = copy.deepcopy(catalogue_model(species_id, model_id).model)
    for name, value in overrides.items():
        for place in table[name].places:
            _set(demography, place, float(value))
    if size_scale != 1.0:
        for population in demography.populations:
            population.initial_size *= size_scale
        for event in demography.events:
            if type(event).__name__ == "PopulationParametersChange" and event.initial_size is not None:
                event.initial_size *= size_scale
    demography.events.sort(key=lambda event: event.time)
    return demography


def _set(demography: msprime.Demography, place: tuple, value: float) -> None:
    if place[0] == "population":
        setattr(demography.populations[place[1]], place[2], value)
    elif place[0] == "matrix":
        demography.migration_matrix[place[1], place[2]] = value
    elif len(place) == 4:
        proportions = list(getattr(demography.events[place[1]], place[2]))
        proportions[place[3]] = value
        setattr(demography.events[place[1]], place[2], proportions)
    else:
        setattr(demography.events[place[1]], place[2], value)


def main(argv: list[str]) -> int:
    """Print the parameters of ``SPECIES/MODEL`` with their catalogue values."""
    species_id, _, model_id = argv[0].partition("/") if len(argv) == 1 else ("", "", "")
    try:
        parameters = model_parameters(species_id, model_id)
    except ScenarioError as error:
        print(f"error: {error} (usage: python -m genomics.scenario.stdpopsim_models SPECIES/MODEL)")
        return 2
    for parameter in parameters.values():
        print(f"{parameter.name:32s} {parameter.value:<14.6g} {parameter.kind:15s} {parameter.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
