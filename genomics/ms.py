"""Hudson's ms: its command lines as scenarios, and its output as genotype matrices.

``scenario_from_ms`` translates an ms command into a scenario specification
in coalescent units (``units = "coalescent"``): times in 4 N0 generations,
sizes relative to N0, migration M = 4 N0 m, growth 4 N0 r, samples counted
as haplotypes (``ploidy = 1``), exactly as ms reads them. Parameters are
written ``{name}`` or ``{expression}`` where ms would take a number
(``-ej {T1 * f} 2 4``); their priors come separately. Supported:
``-s -t -r -I (with the island-model M) -n -g -G -m -ma -en -eN -eg -eG -ej
-es -em -eM -ema``. As in ms: ``-ej t i j`` moves every lineage of i into
j and stops migration into i; ``-es t i p`` sends each lineage of i to a new
population (size N0, no migration) with probability 1 - p; ``-I``'s last
argument M gives every pair M / (npop - 1); with ``-s`` the number of
segregating sites is fixed and ``-t`` has no effect.

``read_ms_output`` reads ms's output (``//`` blocks with ``segsites:``,
``positions:`` and one 0/1 line per haplotype) into genotype matrices;
positions outside [0, 1] or out of order are refused naming the replicate.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import numpy

from genomics.expressions import ScenarioError
from genomics.textfile import read_text

_PRIOR = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*([a-z_]+)\s*\(([^)]*)\)\s*$")


def parse_priors(text: str) -> dict:
    """``"theta=uniform(1,15), T=log_uniform(1e-2,1)"`` as a priors table; numbers alone are fixed values."""
    priors: dict = {}
    for part in filter(None, (p.strip() for p in re.split(r",(?![^(]*\))", text or ""))):
        if "=" in part and "(" not in part:
            name, value = (s.strip() for s in part.split("=", 1))
            try:
                priors[name] = float(value)
            except ValueError:
                raise ScenarioError(f"priors: {part!r} is neither 'name=distribution(a,b)' nor 'name=number'") \
                    from None
            continue
        match = _PRIOR.match(part)
        if not match:
            raise ScenarioError(f"priors: cannot read {part!r}; write name=distribution(numbers), e.g. "
                                "theta=uniform(1,15)")
        name, kind, arguments = match.groups()
        try:
            priors[name] = {kind: [float(a) for a in arguments.split(",")]}
        except ValueError:
            raise ScenarioError(f"priors: the arguments of {part!r} must be numbers") from None
    return priors


class _Tokens:
    def __init__(self, command: str) -> None:
        self.items = shlex.split(command)
        self.position = 0

    def more(self) -> bool:
        return self.position < len(self.items)

    def take(self, what: str) -> str:
        if not self.more():
            raise ScenarioError(f"ms command: expected {what} at the end of the command")
        self.position += 1
        return self.items[self.position - 1]

    def value(self, what: str) -> Any:
        """A number, or a {expression} of priors (kept as the expression's text)."""
        token = self.take(what)
        if token.startswith("{") and token.endswith("}"):
            return token[1:-1].strip()
        try:
            return float(token)
        except ValueError:
            raise ScenarioError(f"ms command: {what} must be a number or {{expression}}, got {token!r}") from None

    def integer(self, what: str) -> int:
        token = self.take(what)
        try:
            return int(token)
        except ValueError:
            raise ScenarioError(f"ms command: {what} must be an integer, got {token!r}") from None

    def matrix(self, npop: int, what: str) -> dict:
        """An npop x npop matrix of values, row by row; diagonal entries (often 'x') are skipped."""
        entries = {}
        for i in range(1, npop + 1):
            for j in range(1, npop + 1):
                if i == j:
                    self.take(what)
                else:
                    entries[(i, j)] = self.value(what)
        return entries

    def peek_is_value(self) -> bool:
        if not self.more():
            return False
        token = self.items[self.position]
        if token.startswith("{"):
            return True
        try:
            float(token)
            return not token.startswith("-") or token[1:2].isdigit() or token[1:2] == "."
        except ValueError:
            return False


def _times(value: Any, factor: float) -> Any:
    """value * factor, as a number or an expression."""
    if factor == 1:
        return value
    return value * factor if isinstance(value, float) else f"({value}) * {factor!r}"


def scenario_from_ms(command: str, priors: dict, name: str = "ms_model",
                     segregating_sites: list[int] | None = None) -> dict:
    """A scenario specification (coalescent units) equivalent to an ms command; see the module docstring.

    ``segregating_sites`` makes one locus per value (ms -s per locus, as
    studies that run ms once per locus do), overriding ``-s``.
    """
    tokens = _Tokens(command)
    if tokens.more() and tokens.items[0].endswith("ms"):
        tokens.take("ms")
    nsam = tokens.integer("the number of haplotypes (nsam)")
    tokens.integer("the number of replicates")
    samples, island_m = [nsam], None
    sizes: dict[int, Any] = {}
    growth: dict[int, Any] = {}
    migration: dict[tuple, Any] = {}
    locus: dict = {"name": "locus", "count": 1}
    events: list[dict] = []
    extra_demes: list[dict] = []
    seg_sites = None

    def population(index_text: str, what: str, count: int) -> int:
        try:
            index = int(index_text)
        except ValueError:
            raise ScenarioError(f"ms command: {what} must be a population number, got {index_text!r}") from None
        if not 1 <= index <= count:
            raise ScenarioError(f"ms command: {what} {index} is not a population (1 to {count})")
        return index

    while tokens.more():
        flag = tokens.take("an option")
        npop = len(samples) + len(extra_demes)
        if flag == "-s":
            seg_sites = tokens.integer("-s's number of segregating sites")
        elif flag == "-t":
            locus["theta"] = tokens.value("-t's theta")
        elif flag == "-r":
            locus["rho"] = tokens.value("-r's rho")
            locus["sequence_length"] = float(tokens.integer("-r's number of sites"))
        elif flag == "-I":
            count = tokens.integer("-I's number of populations")
            samples = [tokens.integer(f"-I's sample size of population {i + 1}") for i in range(count)]
            if sum(samples) != nsam:
                raise ScenarioError(f"ms command: -I's sample sizes {samples} add up to {sum(samples)}, not nsam "
                                    f"= {nsam}")
            if tokens.peek_is_value():
                island_m = tokens.value("-I's migration rate")
        elif flag == "-n":
            sizes[population(tokens.take("-n's population"), "-n", npop)] = tokens.value("-n's size")
        elif flag == "-g":
            growth[population(tokens.take("-g's population"), "-g", npop)] = tokens.value("-g's growth rate")
        elif flag == "-G":
            rate = tokens.value("-G's growth rate")
            growth.update({i: rate for i in range(1, npop + 1)})
        elif flag == "-m":
            i = population(tokens.take("-m's population i"), "-m", npop)
            j = population(tokens.take("-m's population j"), "-m", npop)
            migration[(i, j)] = tokens.value("-m's rate")
        elif flag == "-ma":
            migration.update(tokens.matrix(npop, "-ma's matrix entry"))
        elif flag in ("-en", "-eg"):
            time = tokens.value(f"{flag}'s time")
            i = population(tokens.take(f"{flag}'s population"), flag, npop)
            if flag == "-en":
                events.append({"type": "size_change", "time": time, "population": f"pop{i}",
                               "size": tokens.value("-en's size"), "growth_rate": 0.0})
            else:
                events.append({"type": "growth_change", "time": time, "population": f"pop{i}",
                               "growth_rate": tokens.value("-eg's growth rate")})
        elif flag in ("-eN", "-eG"):
            time, value = tokens.value(f"{flag}'s time"), tokens.value(f"{flag}'s value")
            for i in range(1, npop + 1):
                events.append({"type": "size_change", "time": time, "population": f"pop{i}", "size": value,
                               "growth_rate": 0.0} if flag == "-eN" else
                              {"type": "growth_change", "time": time, "population": f"pop{i}", "growth_rate": value})
        elif flag == "-ej":
            time = tokens.value("-ej's time")
            i = population(tokens.take("-ej's population i"), "-ej", npop)
            j = population(tokens.take("-ej's population j"), "-ej", npop)
            events.append({"type": "join", "time": time, "source": f"pop{i}", "dest": f"pop{j}"})
        elif flag == "-es":
            time = tokens.value("-es's time")
            i = population(tokens.take("-es's population"), "-es", npop)
            p = tokens.value("-es's proportion")
            new = npop + 1
            extra_demes.append({"name": f"pop{new}", "initial_size": 1.0})
            proportion = 1 - p if isinstance(p, float) else f"1 - ({p})"
            events.append({"type": "pulse", "time": time, "source": f"pop{i}", "dest": f"pop{new}",
                           "proportion": proportion})
        elif flag == "-em":
            time = tokens.value("-em's time")
            i = population(tokens.take("-em's population i"), "-em", npop)
            j = population(tokens.take("-em's population j"), "-em", npop)
            events.append({"type": "migration_change", "time": time, "source": f"pop{i}", "dest": f"pop{j}",
                           "rate": tokens.value("-em's rate")})
        elif flag in ("-eM", "-ema"):
            time = tokens.value(f"{flag}'s time")
            if flag == "-eM":
                rate = tokens.value("-eM's rate")
                pairs = {(i, j): _times(rate, 1 / (npop - 1)) if npop > 1 else rate
                         for i in range(1, npop + 1) for j in range(1, npop + 1) if i != j}
            else:
                tokens.integer("-ema's number of populations")
                pairs = tokens.matrix(npop, "-ema's matrix entry")
            events.extend({"type": "migration_change", "time": time, "source": f"pop{i}", "dest": f"pop{j}",
                           "rate": rate} for (i, j), rate in pairs.items())
        elif flag in ("-T", "-L", "-seeds", "-p", "-f", "-c"):
            raise ScenarioError(f"ms command: {flag} is not supported (output or gene-conversion options have no "
                                "counterpart in a scenario)")
        else:
            raise ScenarioError(f"ms command: unknown option {flag!r}")

    npop = len(samples)
    if island_m is not None and npop > 1:
        for i in range(1, npop + 1):
            for j in range(1, npop + 1):
                if i != j:
                    migration.setdefault((i, j), _times(island_m, 1 / (npop - 1)))
    if seg_sites is None and "theta" not in locus and segregating_sites is None:
        raise ScenarioError("ms command: give -s (segregating sites) or -t (theta)")
    if segregating_sites:
        loci = [{**{k: v for k, v in locus.items() if k not in ("theta", "name")}, "name": f"locus{k + 1}",
                 "segregating_sites": int(s)} for k, s in enumerate(segregating_sites)]
    else:
        if seg_sites is not None:
            locus.pop("theta", None)
            locus["segregating_sites"] = seg_sites
        loci = [locus]
    names = [f"pop{i}" for i in range(1, npop + 1)]
    demes = [{"name": f"pop{i}", "initial_size": sizes.get(i, 1.0),
              **({"growth_rate": growth[i]} if i in growth else {})} for i in range(1, npop + 1)] + extra_demes
    migrations = [{"type": "migration", "source": f"pop{i}", "dest": f"pop{j}", "rate": rate}
                  for (i, j), rate in sorted(migration.items())]
    return {"name": name, "description": f"translated from: {command}", "units": "coalescent",
            "priors": priors, "design": {"populations": names, "samples": samples, "ploidy": 1, "loci": loci},
            "demes": demes, "events": migrations + events}


def rename_populations(spec: dict, names: list[str]) -> dict:
    """The same scenario with ms's pop1, pop2, ... called ``names`` (in ms's order)."""
    current = spec["design"]["populations"]
    if len(names) != len(current) or len(set(names)) != len(names) or not all(names):
        raise ScenarioError(f"population names: need {len(current)} distinct names for {current}, got {names}")
    mapping = dict(zip(current, names))
    text = json.dumps(spec)
    renamed = json.loads(text)
    renamed["design"]["populations"] = names
    for deme in renamed["demes"]:
        deme["name"] = mapping.get(deme["name"], deme["name"])
    for event in renamed["events"]:
        for key in ("source", "dest", "population"):
            if key in event:
                event[key] = mapping.get(event[key], event[key])
    return renamed


def to_toml(spec: dict) -> str:
    """A scenario specification as TOML text (the subset scenario files use: tables, arrays, numbers, strings)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)  # a TOML basic string: JSON's escapes are TOML's
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(f"cannot write {v!r} as TOML")

    lines = [f"{key} = {value(spec[key])}" for key in ("name", "description", "units", "reference_size")
             if key in spec]
    lines += ["", "[priors]"] + [f"{k} = {value(v)}" for k, v in spec["priors"].items()]
    design = spec["design"]
    lines += ["", "[design]"] + [f"{k} = {value(v)}" for k, v in design.items() if k not in ("loci", "missing")]
    if "missing" in design:
        lines += ["", "[design.missing]"] + [f"{k} = {value(v)}" for k, v in design["missing"].items()]
    for locus in design.get("loci", []):
        lines += ["", "[[design.loci]]"] + [f"{k} = {value(v)}" for k, v in locus.items()]
    if "sampling" in spec:
        lines += ["", "[sampling]"] + [f"{k} = {value(v)}" for k, v in spec["sampling"].items()]
    for table in ("demes", "events"):
        for entry in spec.get(table, []):
            lines += ["", f"[[{table}]]"] + [f"{k} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def _check_positions(positions: numpy.ndarray, path: str, line: int, replicate: int) -> None:
    """ms writes positions in [0, 1), in increasing order (printed to 4 decimals, so 1.0000 and ties occur); any
    other value would place sites where the encoder reads distances, so it is refused naming the replicate."""
    outside = numpy.flatnonzero((positions < 0) | (positions > 1))
    if outside.size:
        raise ValueError(f"{path}, line {line}: replicate {replicate} has the position {positions[outside[0]]:g}, "
                         "outside [0, 1] where ms writes positions")
    decreasing = numpy.flatnonzero(numpy.diff(positions) < 0)
    if decreasing.size:
        k = decreasing[0]
        raise ValueError(f"{path}, line {line}: replicate {replicate} has the position {positions[k + 1]:g} after "
                         f"{positions[k]:g}; ms writes positions in increasing order")


def read_ms_output(path: str, haplotypes: int | None = None) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """(genotypes (haplotypes, sites) int8, positions (sites,) in [0, 1)) of each replicate in an ms output file."""
    lines = read_text(path, "ms output file").splitlines()
    replicates, number = [], 0
    while number < len(lines):
        if not lines[number].startswith("//"):
            number += 1
            continue
        start = number + 1
        if start >= len(lines) or not lines[start].startswith("segsites:"):
            raise ValueError(f"{path}, line {start + 1}: expected 'segsites: S' after '//'")
        try:
            sites = int(lines[start].split(":", 1)[1])
        except ValueError:
            sites = -1
        if sites < 0:
            raise ValueError(f"{path}, line {start + 1}: expected 'segsites: S' with S a whole number >= 0, "
                             f"got {lines[start]!r}")
        if sites == 0:
            n = haplotypes or 0
            replicates.append((numpy.zeros((n, 0), numpy.int8), numpy.zeros(0)))
            number = start + 1
            continue
        if start + 1 >= len(lines) or not lines[start + 1].startswith("positions:"):
            raise ValueError(f"{path}, line {start + 2}: expected 'positions:'")
        try:
            positions = numpy.array([float(x) for x in lines[start + 1].split(":", 1)[1].split()])
        except ValueError:
            positions = numpy.array([numpy.nan])
        if not numpy.isfinite(positions).all():
            raise ValueError(f"{path}, line {start + 2}: positions must be numbers, got {lines[start + 1][:60]!r}")
        if positions.size != sites:
            raise ValueError(f"{path}, line {start + 2}: {positions.size} positions for {sites} segregating sites")
        _check_positions(positions, path, start + 2, len(replicates) + 1)
        rows, number = [], start + 2
        while number < len(lines) and lines[number].strip() and not lines[number].startswith("//"):
            row = lines[number].strip()
            if len(row) != sites or set(row) - {"0", "1"}:
                raise ValueError(f"{path}, line {number + 1}: expected {sites} characters 0 or 1, got {row[:40]!r}")
            rows.append(numpy.frombuffer(row.encode(), dtype=numpy.uint8) - ord("0"))
            number += 1
        if haplotypes is not None and len(rows) != haplotypes:
            raise ValueError(f"{path}: a replicate has {len(rows)} haplotypes, the design {haplotypes}")
        replicates.append((numpy.array(rows, dtype=numpy.int8), positions))
    if not replicates:
        raise ValueError(f"{path}: no ms replicate (no line starting with '//')")
    return replicates
