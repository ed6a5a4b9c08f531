"""Demographic scenarios: priors, a sampling design, and a recipe for an ``msprime.Demography``.

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
rates are per generation (msprime's conventions).
"""

from __future__ import annotations

import ast
import copy
import operator
from dataclasses import dataclass
from typing import Any

import msprime
import numpy

from genomics.priors import Prior, from_spec

EVENT_TYPES = {
    "split": {"time", "derived", "ancestral"},
    "symmetric_migration": {"populations", "rate"},
    "migration_rate_change": {"time", "populations", "rate"},
    "size_change": {"time", "population", "size"},
}
OPTIONAL_EVENT_KEYS = {"size_change": {"growth_rate"}}


class ScenarioError(ValueError):
    """A scenario specification that cannot be used; the message names the key and what was expected."""


# ---------------------------------------------------------------------- values and expressions
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow, ast.USub: operator.neg}


def _names_in(value: Any, where: str) -> set:
    """The prior names a value refers to (checking that it is a number or a valid expression)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return set()
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: expected a number, a prior name or an expression, got {value!r}")
    try:
        tree = ast.parse(value, mode="eval")
    except SyntaxError:
        raise ScenarioError(f"{where}: {value!r} is not a valid expression") from None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Load, *_OPERATORS)):
            raise ScenarioError(f"{where}: {value!r} may only use numbers, prior names and + - * / **")
    return names


def evaluate(value: Any, parameters: dict) -> float:
    """A number, a prior name or an arithmetic expression evaluated with the drawn ``parameters``."""
    if isinstance(value, (int, float)):
        return float(value)

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(parameters[node.id])
        if isinstance(node, ast.BinOp):
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return _OPERATORS[type(node.op)](walk(node.operand))
        raise ScenarioError(f"unsupported expression {value!r}")

    return walk(ast.parse(value, mode="eval"))


# ---------------------------------------------------------------------- the scenario
@dataclass
class SamplingDesign:
    """Who is sampled and what genome is simulated."""

    populations: list[str]
    samples: list[int]
    ploidy: int = 2
    sequence_length: Any = 1e5
    recombination_rate: Any = 1e-8
    mutation_rate: Any = 1.25e-8

    @property
    def haplotypes_per_population(self) -> list[int]:
        return [n * self.ploidy for n in self.samples]

    @property
    def haplotype_populations(self) -> numpy.ndarray:
        """Index of the sampled population of each haplotype, in msprime's sample order."""
        return numpy.repeat(numpy.arange(len(self.populations)), self.haplotypes_per_population)


class Scenario:
    """A named demographic model with priors on its parameters, built from a checked specification."""

    def __init__(self, spec: dict) -> None:
        self.spec = validate_spec(spec)
        self.name: str = self.spec["name"]
        self.priors: dict[str, Prior] = {key: from_spec(value, key) for key, value in self.spec["priors"].items()}
        design = self.spec["design"]
        self.design = SamplingDesign(
            populations=list(design["populations"]), samples=[int(n) for n in design["samples"]],
            ploidy=int(design.get("ploidy", 2)), sequence_length=design.get("sequence_length", 1e5),
            recombination_rate=design.get("recombination_rate", 1e-8),
            mutation_rate=design.get("mutation_rate", 1.25e-8),
        )

    @property
    def description(self) -> str:
        return self.spec.get("description", "")

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.priors)} priors, populations {self.design.populations}>"

    def draw_parameters(self, generator: numpy.random.Generator) -> dict[str, float]:
        """One draw of every prior, in the order the specification lists them."""
        return {name: prior.draw(generator) for name, prior in self.priors.items()}

    def genome(self, parameters: dict) -> tuple[float, float, float]:
        """(sequence_length, recombination_rate, mutation_rate) for these parameters."""
        design = self.design
        return (evaluate(design.sequence_length, parameters), evaluate(design.recombination_rate, parameters),
                evaluate(design.mutation_rate, parameters))

    def demography(self, parameters: dict) -> msprime.Demography:
        """The msprime Demography of this scenario for one draw of its parameters."""
        demography = msprime.Demography()
        for deme in self.spec["demes"]:
            demography.add_population(
                name=deme["name"], initial_size=evaluate(deme["initial_size"], parameters),
                growth_rate=evaluate(deme.get("growth_rate", 0.0), parameters),
            )
        for event in self.spec.get("events", []):
            kind = event["type"]
            if kind == "split":
                demography.add_population_split(
                    time=evaluate(event["time"], parameters), derived=list(event["derived"]),
                    ancestral=event["ancestral"])
            elif kind == "symmetric_migration":
                demography.set_symmetric_migration_rate(list(event["populations"]),
                                                        evaluate(event["rate"], parameters))
            elif kind == "migration_rate_change":
                demography.add_symmetric_migration_rate_change(
                    time=evaluate(event["time"], parameters), populations=list(event["populations"]),
                    rate=evaluate(event["rate"], parameters))
            elif kind == "size_change":
                demography.add_population_parameters_change(
                    time=evaluate(event["time"], parameters), population=event["population"],
                    initial_size=evaluate(event["size"], parameters),
                    growth_rate=evaluate(event.get("growth_rate", 0.0), parameters))
        demography.sort_events()
        return demography

    def sample_sets(self) -> list[msprime.SampleSet]:
        """One SampleSet per sampled population, taken from the deme the ``sampling`` table names."""
        sampling = self.spec.get("sampling", {})
        return [msprime.SampleSet(n, population=sampling.get(population, population), ploidy=self.design.ploidy)
                for population, n in zip(self.design.populations, self.design.samples)]


def validate_spec(spec: dict) -> dict:
    """Check a scenario specification, raising ScenarioError that names the offending key."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"a scenario must be a table, got {type(spec).__name__}")
    spec = copy.deepcopy(spec)
    for key in ("name", "priors", "design", "demes"):
        if key not in spec:
            raise ScenarioError(f"scenario is missing the key {key!r} (needs name, priors, design, demes)")
    name = spec["name"]
    where = f"scenario {name!r}"
    unknown = set(spec) - {"name", "description", "priors", "design", "demes", "events", "sampling"}
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}; valid: name, description, priors, design, "
                            "demes, events, sampling")
    if not isinstance(spec["priors"], dict):
        raise ScenarioError(f"{where}: 'priors' must be a table of name = prior")
    for key, value in spec["priors"].items():
        try:
            from_spec(value, key)
        except ValueError as error:
            raise ScenarioError(f"{where}: priors.{key}: {error}") from None
    parameters = set(spec["priors"])

    def check_value(value: Any, key: str) -> None:
        missing = _names_in(value, f"{where}: {key}") - parameters
        if missing:
            raise ScenarioError(f"{where}: {key} refers to {sorted(missing)}, which are not priors "
                                f"(priors: {sorted(parameters)})")

    design = spec["design"]
    if not isinstance(design, dict) or "populations" not in design or "samples" not in design:
        raise ScenarioError(f"{where}: 'design' needs 'populations' (names) and 'samples' (individuals per population)")
    unknown = set(design) - {"populations", "samples", "ploidy", "sequence_length", "recombination_rate",
                             "mutation_rate"}
    if unknown:
        raise ScenarioError(f"{where}: design has unknown keys {sorted(unknown)}")
    if len(design["populations"]) != len(design["samples"]) or not design["populations"]:
        raise ScenarioError(f"{where}: design.populations and design.samples must be non-empty lists of equal length")
    if not all(isinstance(n, int) and n > 0 for n in design["samples"]):
        raise ScenarioError(f"{where}: design.samples must be positive integers, got {design['samples']}")
    for key in ("sequence_length", "recombination_rate", "mutation_rate"):
        if key in design:
            check_value(design[key], f"design.{key}")

    demes = set()
    for i, deme in enumerate(spec["demes"]):
        if not isinstance(deme, dict) or "name" not in deme or "initial_size" not in deme:
            raise ScenarioError(f"{where}: demes[{i}] needs 'name' and 'initial_size'")
        demes.add(deme["name"])
        check_value(deme["initial_size"], f"demes[{i}].initial_size")
        if "growth_rate" in deme:
            check_value(deme["growth_rate"], f"demes[{i}].growth_rate")

    def check_deme(name: Any, key: str) -> None:
        if name not in demes:
            raise ScenarioError(f"{where}: {key} names the deme {name!r}, which is not in demes {sorted(demes)}")

    for i, event in enumerate(spec.get("events", [])):
        kind = event.get("type") if isinstance(event, dict) else None
        if kind not in EVENT_TYPES:
            raise ScenarioError(f"{where}: events[{i}].type must be one of {sorted(EVENT_TYPES)}, got {kind!r}")
        required, optional = EVENT_TYPES[kind], OPTIONAL_EVENT_KEYS.get(kind, set())
        missing, extra = required - set(event), set(event) - required - optional - {"type"}
        if missing or extra:
            raise ScenarioError(f"{where}: events[{i}] ({kind}) needs keys {sorted(required)}"
                                + (f", may have {sorted(optional)}" if optional else "")
                                + f"; missing {sorted(missing)}, unexpected {sorted(extra)}")
        for key in ("time", "rate", "size", "growth_rate"):
            if key in event:
                check_value(event[key], f"events[{i}].{key}")
        for key in ("derived", "populations"):
            for deme in event.get(key, []):
                check_deme(deme, f"events[{i}].{key}")
        for key in ("ancestral", "population"):
            if key in event:
                check_deme(event[key], f"events[{i}].{key}")
    for population in design["populations"]:
        check_deme(spec.get("sampling", {}).get(population, population), f"sampling of population {population!r}")
    return spec


def load_toml(path: str) -> list[Scenario]:
    """Scenarios from a TOML file: one scenario at top level, or several under ``[[scenario]]``."""
    try:
        import tomllib  # noqa: PLC0415
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # noqa: PLC0415
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    specs = document["scenario"] if "scenario" in document else [document]
    scenarios = []
    for spec in specs:
        try:
            scenarios.append(Scenario(spec))
        except ScenarioError as error:
            raise ScenarioError(f"{path}: {error}") from None
    return scenarios
