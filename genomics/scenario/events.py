"""The demographic events of a scenario file: one class per ``type``, each declaring, checking and building itself.

A scenario's ``[[events]]`` are tables with a ``type``; ``EVENTS`` maps each
type name to its class (``register`` adds one), and ``event_from_table``
turns a table into an event, refusing an unknown type by listing the known
ones. As in msprime's ``demography.py``, an event is a small dataclass:

- its fields are the table's keys (a field with a default is optional); a
  field's ``kind`` (``FIELD_KINDS``) says what it holds: a deme name, a list of
  deme names, or a value (a number, a prior's name or an expression of them,
  ``genomics.scenario.expressions``) of a kind whose range is checked;
- ``check`` checks its values over the priors' whole supports and its deme
  names against the scenario's demes (``EventChecks``), with one sentence
  naming the event, the field, the value and what was expected;
- ``add_to`` adds it to an ``msprime.Demography`` for one draw of the priors,
  converting units through ``DrawValues``.

Times are generations before the present (backward in time); source and
dest follow msprime's convention: lineages move from source to dest. The
types (``type = ...`` in the file, then the class):

- ``split`` (``PopulationSplit``): time, derived (list), ancestral: the derived demes start from the ancestral one;
- ``join`` (``Join``): time, source, dest: every lineage of source moves to dest, and no lineage enters source
  afterwards (ms ``-ej``; source may be a sampled deme);
- ``pulse`` (``Pulse``): time, source, dest, proportion: each lineage of source moves to dest with that
  probability (admixture; ms ``-es`` into a new deme);
- ``symmetric_migration`` (``SymmetricMigration``): populations, rate, from time 0;
  ``migration`` (``Migration``): source, dest, rate (asymmetric), from time 0;
- ``migration_rate_change`` (``SymmetricMigrationRateChange``): time, populations, rate;
  ``migration_change`` (``MigrationRateChange``): time, source, dest, rate;
- ``size_change`` (``SizeChange``): time, population, size (and growth_rate, default 0);
  ``growth_change`` (``GrowthRateChange``): time, population, growth_rate.
"""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import msprime
import numpy

from genomics.scenario.expressions import ScenarioError, evaluate

__all__ = ["EVENTS", "EVENT_AT_ZERO", "DrawValues", "Event", "EventChecks", "event_from_table", "register"]

#: msprime applies no event at the sampling time itself (lineages do not exist yet): an event at time 0 (ms's
#: "-ej 0 2 4", lumping two samples) happens this many generations back instead.
EVENT_AT_ZERO = 1e-9
#: What a field may hold: a deme's name, a list of deme names, or a value whose range is that kind's
#: (``scenario.RANGES``; growth rates may have either sign, so they have no range).
FIELD_KINDS = ("deme", "demes", "time", "size", "rate", "proportion", "growth_rate")
VALUE_KINDS = ("time", "rate", "size", "growth_rate", "proportion")  # the order in which values are checked

Value = Any  # a number, a prior's name or an arithmetic expression of them


@dataclass
class EventChecks:
    """What an event checks itself against: ``value(value, key, kind)`` checks the prior names a value uses and
    its range over the priors' supports (kind None: names only), ``demes`` are the scenario's deme names."""

    where: str
    value: Callable[[Value, str, "str | None"], None]
    demes: set

    def deme(self, name: Any, key: str) -> None:
        if name not in self.demes:
            raise ScenarioError(f"{self.where}: {key} names the deme {name!r}, which is not in demes "
                                f"{sorted(self.demes)}")


@dataclass
class DrawValues:
    """An event's values for one draw of the priors, in msprime's units.

    ``scales`` multiply a value of each kind in the scenario's units (time,
    size, rate) to give msprime's; ``size_scale`` then multiplies every
    size (a locus with its own effective size); ``deme_names`` are the
    scenario's demes in order.
    """

    where: str
    parameters: dict
    scales: dict
    size_scale: float
    deme_names: list

    def __call__(self, value: Value, kind: str) -> float:
        result = evaluate(value, self.parameters) * self.scales.get(kind, 1.0)
        if not numpy.isfinite(result):
            raise ScenarioError(f"{self.where}: {value!r} is {result} for {self.parameters}")
        return result

    def time(self, value: Value) -> float:
        """A time in generations, moved to EVENT_AT_ZERO if it is 0."""
        return max(self(value, "time"), EVENT_AT_ZERO)

    def size(self, value: Value) -> float:
        return self(value, "size") * self.size_scale


def kind(field_kind: str) -> Any:
    """A dataclass field's metadata naming what it holds (one of FIELD_KINDS)."""
    return {"kind": field_kind}


@dataclass(frozen=True)
class Event(abc.ABC):
    """One event of a scenario file. Subclasses set ``type_name`` and declare their fields with ``kind``."""

    type_name: ClassVar[str] = ""

    @classmethod
    def field_kinds(cls) -> dict[str, str]:
        return {f.name: f.metadata["kind"] for f in dataclasses.fields(cls)}

    @classmethod
    def required(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]

    @classmethod
    def from_table(cls, table: dict, label: str, where: str) -> "Event":
        """The event of a table (its ``type`` already read), refusing missing or unknown keys."""
        required, allowed = set(cls.required()), set(cls.field_kinds())
        missing, extra = required - set(table), set(table) - allowed - {"type"}
        if missing or extra:
            optional = sorted(allowed - required)
            problem = (f"lacks {sorted(missing)}" if missing else "") + (" and " if missing and extra else "") \
                + (f"has unknown keys {sorted(extra)}" if extra else "")
            raise ScenarioError(f"{where}: {label} ({cls.type_name}) {problem}; it needs {sorted(required)}"
                                + (f" and may have {optional}" if optional else ""))
        return cls(**{key: value for key, value in table.items() if key != "type"})

    def to_table(self) -> dict:
        return {"type": self.type_name, **dataclasses.asdict(self)}

    def check(self, checks: EventChecks, label: str) -> None:
        """Check every value (prior names and range) and every deme name; a ScenarioError names the field."""
        kinds = self.field_kinds()
        for field_kind in VALUE_KINDS:
            for key in (k for k, v in kinds.items() if v == field_kind):
                checks.value(getattr(self, key), f"{label}.{key}", None if field_kind == "growth_rate" else field_kind)
        for key in (k for k, v in kinds.items() if v == "demes"):
            names = getattr(self, key)
            if not isinstance(names, list):
                raise ScenarioError(f"{checks.where}: {label}.{key} must be a list of deme names, got {names!r}")
            for name in names:
                checks.deme(name, f"{label}.{key}")
        for key in (k for k, v in kinds.items() if v == "deme"):
            checks.deme(getattr(self, key), f"{label}.{key}")
        if "source" in kinds and getattr(self, "source") == getattr(self, "dest", None):
            raise ScenarioError(f"{checks.where}: {label} moves lineages from "
                                f"{getattr(self, 'source')!r} to itself; source and dest must differ")

    @abc.abstractmethod
    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        """Add this event to ``demography`` for one draw (``values``)."""


#: The scenario file's event type names and their classes.
EVENTS: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: make ``cls`` the event of scenario files' ``type = cls.type_name``."""
    if not cls.type_name or cls.type_name in EVENTS:
        raise ValueError(f"event class {cls.__name__} needs a type_name not yet registered, got {cls.type_name!r}")
    EVENTS[cls.type_name] = cls
    return cls


def event_from_table(table: Any, label: str, where: str) -> Event:
    """The event of one ``[[events]]`` table; an unknown type is refused, listing the known ones."""
    type_name = table.get("type") if isinstance(table, dict) else None
    if type_name not in EVENTS:
        raise ScenarioError(f"{where}: {label}.type must be one of {sorted(EVENTS)}, got {type_name!r}")
    return EVENTS[type_name].from_table(table, label, where)


@register
@dataclass(frozen=True)
class PopulationSplit(Event):
    """At ``time``, the ``derived`` demes' lineages move to ``ancestral``, which starts then (msprime's
    ``add_population_split``); the derived demes are inactive before it."""

    type_name: ClassVar[str] = "split"
    time: Value = dataclasses.field(metadata=kind("time"))
    derived: list = dataclasses.field(metadata=kind("demes"))
    ancestral: str = dataclasses.field(metadata=kind("deme"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        demography.add_population_split(time=values.time(self.time), derived=list(self.derived),
                                        ancestral=self.ancestral)


@register
@dataclass(frozen=True)
class Join(Event):
    """ms's ``-ej``: at ``time`` every lineage of ``source`` moves to ``dest`` (a mass migration of proportion
    1), and migration into ``source`` from every other deme stops, so no lineage enters it again."""

    type_name: ClassVar[str] = "join"
    time: Value = dataclasses.field(metadata=kind("time"))
    source: str = dataclasses.field(metadata=kind("deme"))
    dest: str = dataclasses.field(metadata=kind("deme"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        at = values.time(self.time)
        demography.add_mass_migration(time=at, source=self.source, dest=self.dest, proportion=1.0)
        for other in values.deme_names:
            if other != self.source:
                demography.add_migration_rate_change(time=at, rate=0.0, source=other, dest=self.source)


@register
@dataclass(frozen=True)
class Pulse(Event):
    """Admixture: at ``time`` each lineage of ``source`` moves to ``dest`` with probability ``proportion``
    (msprime's ``add_mass_migration``; ms's ``-es`` into a new deme)."""

    type_name: ClassVar[str] = "pulse"
    time: Value = dataclasses.field(metadata=kind("time"))
    source: str = dataclasses.field(metadata=kind("deme"))
    dest: str = dataclasses.field(metadata=kind("deme"))
    proportion: Value = dataclasses.field(metadata=kind("proportion"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        demography.add_mass_migration(time=values.time(self.time), source=self.source, dest=self.dest,
                                      proportion=values(self.proportion, "proportion"))


@register
@dataclass(frozen=True)
class SymmetricMigration(Event):
    """Migration at ``rate`` between every pair of ``populations`` from time 0 (the initial migration matrix)."""

    type_name: ClassVar[str] = "symmetric_migration"
    populations: list = dataclasses.field(metadata=kind("demes"))
    rate: Value = dataclasses.field(metadata=kind("rate"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        demography.set_symmetric_migration_rate(list(self.populations), values(self.rate, "rate"))


@register
@dataclass(frozen=True)
class Migration(Event):
    """Lineages of ``source`` move to ``dest`` at ``rate`` per generation from time 0 (backward in time)."""

    type_name: ClassVar[str] = "migration"
    source: str = dataclasses.field(metadata=kind("deme"))
    dest: str = dataclasses.field(metadata=kind("deme"))
    rate: Value = dataclasses.field(metadata=kind("rate"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        demography.set_migration_rate(source=self.source, dest=self.dest, rate=values(self.rate, "rate"))


@register
@dataclass(frozen=True)
class SymmetricMigrationRateChange(Event):
    """From ``time`` on, migration at ``rate`` between every pair of ``populations``."""

    type_name: ClassVar[str] = "migration_rate_change"
    time: Value = dataclasses.field(metadata=kind("time"))
    populations: list = dataclasses.field(metadata=kind("demes"))
    rate: Value = dataclasses.field(metadata=kind("rate"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        demography.add_symmetric_migration_rate_change(time=values.time(self.time), populations=list(self.populations),
                                                       rate=values(self.rate, "rate"))


@register
@dataclass(frozen=True)
class MigrationRateChange(Event):
    """From ``time`` on, lineages of ``source`` move to ``dest`` at ``rate`` (ms's ``-em``)."""

    type_name: ClassVar[str] = "migration_change"
    time: Value = dataclasses.field(metadata=kind("time"))
    source: str = dataclasses.field(metadata=kind("deme"))
    dest: str = dataclasses.field(metadata=kind("deme"))
    rate: Value = dataclasses.field(metadata=kind("rate"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        at = values.time(self.time)
        demography.add_migration_rate_change(time=at, rate=values(self.rate, "rate"), source=self.source,
                                             dest=self.dest)


@register
@dataclass(frozen=True)
class SizeChange(Event):
    """From ``time`` on, ``population`` has effective size ``size`` and grows at ``growth_rate`` (default 0:
    constant; ms's ``-en``)."""

    type_name: ClassVar[str] = "size_change"
    time: Value = dataclasses.field(metadata=kind("time"))
    population: str = dataclasses.field(metadata=kind("deme"))
    size: Value = dataclasses.field(metadata=kind("size"))
    growth_rate: Value = dataclasses.field(default=0.0, metadata=kind("growth_rate"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        at = values.time(self.time)
        demography.add_population_parameters_change(time=at, population=self.population,
                                                     initial_size=values.size(self.size),
                                                     growth_rate=values(self.growth_rate, "rate"))


@register
@dataclass(frozen=True)
class GrowthRateChange(Event):
    """From ``time`` on, ``population`` grows at ``growth_rate`` (size at that time kept; ms's ``-eg``)."""

    type_name: ClassVar[str] = "growth_change"
    time: Value = dataclasses.field(metadata=kind("time"))
    population: str = dataclasses.field(metadata=kind("deme"))
    growth_rate: Value = dataclasses.field(metadata=kind("growth_rate"))

    def add_to(self, demography: msprime.Demography, values: DrawValues) -> None:
        demography.add_population_parameters_change(time=values.time(self.time), population=self.population,
                                                     growth_rate=values(self.growth_rate, "rate"))
