"""Hudson's ms command lines as scenarios (its output is read by ``genomics.observed.ms_output``).

``scenario_from_ms`` translates an ms command into a scenario in coalescent
units (``units = "coalescent"``), as ms reads it and as msprime's own ms
parser (``mspms``) converts it: times in 4 N0 generations, sizes relative to
N0, M = 4 N0 m, growth rates alpha per 4 N0 generations (N(t) = N exp(-alpha
t) back in time), samples as haplotypes (``ploidy = 1``). ``{name}`` or
``{expression}`` stands where ms takes a number (``-eg {T2} 1 {-log(a/b)/T}``);
priors come separately. Supported:

- ``ms nsam nreps``: nreps becomes the number of unlinked loci (``ms 270 1000
  -s 1``: 1,000 one-SNP loci); ``-s S`` (exactly S sites; ``-t`` then has no
  effect), ``-t theta`` (per locus), ``-r rho nsites``;
- ``-I npop n1 ... [M]`` (each pair M / (npop - 1)), ``-m i j M``, ``-ma``
  (row by row, diagonal skipped); ``-n i x``, ``-g i alpha``, ``-G alpha``
  (every population of -I; -g overrides it, wherever they stand, as in mspms);
- events ``-en t i x``, ``-eN t x`` (size x N0, growth 0), ``-eg t i alpha``,
  ``-eG t alpha``, ``-ej t i j`` (lineages of i move to j; no more migration
  into i), ``-es t i p`` (each lineage of i moves with probability 1 - p to a
  new population of size N0), ``-em t i j M``, ``-eM t M``, ``-ema t npop ...``.

``parse_loci`` reads ``--loci``: comma-separated entries, one per locus, each
S alone (``26``) or ``key=value`` pairs with the keys S, theta, rho, length
(ms's nsites) and count (``"theta=2.1 rho=0.5 length=500, theta=0.7"``),
written as one ``[[design.loci]]`` table each (``segregating_sites``,
``theta``, ``rho``, ``sequence_length``, ``count``); keys an entry does not
give come from the ms command.
"""

from __future__ import annotations

import json
import re
import shlex
from itertools import permutations
from typing import Any

import numpy

from genomics.scenario.expressions import ScenarioError, ScenarioSettingError

_PRIOR = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*([a-z_]+)\s*\(([^)]*)\)\s*$")
_TOP_LEVEL_COMMA = re.compile(r",(?![^(]*\))(?![^{]*\})")
#: --loci keys and the [[design.loci]] keys they are written as.
LOCUS_KEYS = {"S": "segregating_sites", "theta": "theta", "rho": "rho", "length": "sequence_length", "count": "count"}


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


def _number(token: str, what: str) -> Any:
    """A number, or a {expression} of priors (kept as the expression's text)."""
    if token.startswith("{") and token.endswith("}"):
        return token[1:-1].strip()
    try:
        return float(token)
    except ValueError:
        raise ScenarioError(f"{what} must be a number or {{expression}}, got {token!r}") from None


def parse_loci(text: str) -> list[dict]:
    """``--loci`` as one table of [[design.loci]] keys per locus; see the module docstring."""
    loci = []
    for entry in (e.strip() for e in _TOP_LEVEL_COMMA.split(text)):
        where = f"--loci entry {len(loci) + 1} ({entry!r})"
        if re.fullmatch(r"\d+", entry):
            entry = f"S={entry}"
        locus: dict = {}
        for pair in entry.split():
            key, _, value = pair.partition("=")
            if key not in LOCUS_KEYS or not value:
                raise ScenarioError(f"{where}: expected S alone or key=value pairs with the keys "
                                    f"{', '.join(LOCUS_KEYS)}, got {pair!r}")
            if key in ("S", "count"):
                if not re.fullmatch(r"\d+", value) or int(value) < 1:
                    raise ScenarioError(f"{where}: {key} must be a whole number >= 1, got {value!r}")
                locus[LOCUS_KEYS[key]] = int(value)
            else:
                locus[LOCUS_KEYS[key]] = _number(value, f"{where}: {key}")
        if not locus:
            raise ScenarioError(f"{where}: empty; write S (e.g. 26) or key=value pairs (e.g. theta=2 length=500)")
        loci.append(locus)
    return loci


class _Tokens:
    def __init__(self, command: str) -> None:
        self.items: list[str] = []
        for item in shlex.split(command):  # an {expression} may hold spaces: its pieces become one token
            if self.items and self.items[-1].count("{") > self.items[-1].count("}"):
                self.items[-1] += " " + item
            else:
                self.items.append(item)
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
        return _number(self.take(what), f"ms command: {what}")

    def integer(self, what: str) -> int:
        token = self.take(what)
        try:
            return int(token)
        except ValueError:
            raise ScenarioError(f"ms command: {what} must be an integer, got {token!r}") from None

    def population(self, flag: str, count: int, role: str = "") -> int:
        """A population number 1 to count (ms numbers populations from 1)."""
        index = self.integer(f"{flag}'s population {role}".strip())
        if not 1 <= index <= count:
            raise ScenarioError(f"ms command: {flag} {index} is not a population (1 to {count})")
        return index

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
        """Whether the next token is a value (an option starts with '-' and a letter)."""
        token = self.items[self.position] if self.more() else "-"
        return token.startswith("{") or re.fullmatch(r"\d*\.?\d+(e[+-]?\d+)?", token, re.IGNORECASE) is not None


def _times(value: Any, factor: float) -> Any:
    """value * factor, as a number or an expression."""
    if factor == 1:
        return value
    return value * factor if isinstance(value, float) else f"({value}) * {factor!r}"


def _sampled_populations(items: list[str]) -> int:
    """npop of -I wherever it stands (1 without -I), so that -n, -g and -m may come before it as ms allows."""
    k = items.index("-I") if "-I" in items[:-1] else -1
    return max(int(items[k + 1]), 1) if k >= 0 and items[k + 1].isdigit() else 1


def scenario_from_ms(command: str, priors: dict, name: str = "ms_model", loci: list | None = None) -> dict:
    """A scenario specification (coalescent units) equivalent to an ms command; see the module docstring.

    ``loci`` (from ``parse_loci``; a whole number is S) makes one
    [[design.loci]] table per entry, as studies that run ms once per locus
    do: ms's replicate count must then be 1 or the number of entries.
    Without it, ms's nreps unlinked copies of the command's locus.
    """
    tokens = _Tokens(command)
    if tokens.more() and tokens.items[0].endswith("ms"):
        tokens.take("ms")
    nsam = tokens.integer("the number of haplotypes (nsam)")
    replicates = tokens.integer("the number of replicates")
    if nsam < 2 or replicates < 1:
        raise ScenarioError(f"ms command: needs nsam >= 2 haplotypes and nreps >= 1 replicates, got {nsam} "
                            f"and {replicates}")
    sampled = _sampled_populations(tokens.items)
    samples, island_m = [nsam], None
    initial: dict[int, dict] = {i: {} for i in range(1, sampled + 1)}
    migration: dict[tuple, Any] = {}
    locus: dict = {"name": "locus", "count": replicates}
    events: list[dict] = []
    extra_demes: list[dict] = []
    seg_sites = all_growth = None

    while tokens.more():
        flag = tokens.take("an option")
        npop = sampled + len(extra_demes)
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
        elif flag in ("-n", "-g"):
            i = tokens.population(flag, sampled)  # the population first: it comes first on the command line
            key = "initial_size" if flag == "-n" else "growth_rate"
            initial[i][key] = tokens.value(f"{flag}'s {'size' if flag == '-n' else 'growth rate'}")
        elif flag == "-G":
            all_growth = tokens.value("-G's growth rate")
        elif flag == "-m":
            i, j = tokens.population("-m", npop, "i"), tokens.population("-m", npop, "j")
            migration[(i, j)] = tokens.value("-m's rate")
        elif flag == "-ma":
            migration.update(tokens.matrix(npop, "-ma's matrix entry"))
        elif flag in ("-en", "-eg", "-eN", "-eG"):  # one population, or (capital) every population
            time, size = tokens.value(f"{flag}'s time"), flag.lower() == "-en"
            which = [tokens.population(flag, npop)] if flag.islower() else range(1, npop + 1)
            value = tokens.value(f"{flag}'s {'size' if size else 'growth rate'}")
            events.extend({"type": "size_change", "time": time, "population": f"pop{i}", "size": value,
                           "growth_rate": 0.0} if size else
                          {"type": "growth_change", "time": time, "population": f"pop{i}", "growth_rate": value}
                          for i in which)
        elif flag == "-ej":
            time = tokens.value("-ej's time")
            i, j = tokens.population("-ej", npop, "i"), tokens.population("-ej", npop, "j")
            events.append({"type": "join", "time": time, "source": f"pop{i}", "dest": f"pop{j}"})
        elif flag == "-es":
            time = tokens.value("-es's time")
            i = tokens.population("-es", npop)
            p = tokens.value("-es's proportion")
            new = npop + 1
            extra_demes.append({"name": f"pop{new}", "initial_size": 1.0})
            proportion = 1 - p if isinstance(p, float) else f"1 - ({p})"
            events.append({"type": "pulse", "time": time, "source": f"pop{i}", "dest": f"pop{new}",
                           "proportion": proportion})
        elif flag in ("-em", "-eM", "-ema"):
            time = tokens.value(f"{flag}'s time")
            if flag == "-em":
                i, j = tokens.population("-em", npop, "i"), tokens.population("-em", npop, "j")
                pairs = {(i, j): tokens.value("-em's rate")}
            elif flag == "-eM":
                rate = tokens.value("-eM's rate")
                pairs = {pair: _times(rate, 1 / (npop - 1)) for pair in permutations(range(1, npop + 1), 2)}
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
        for pair in permutations(range(1, npop + 1), 2):
            migration.setdefault(pair, _times(island_m, 1 / (npop - 1)))
    if seg_sites is None and "theta" not in locus and not loci:
        raise ScenarioError("ms command: give -s (segregating sites) or -t (theta)")
    if seg_sites is not None:
        locus.pop("theta", None)
        locus["segregating_sites"] = seg_sites
    names = [f"pop{i}" for i in range(1, npop + 1)]
    growth = {i: initial[i].get("growth_rate", all_growth) for i in initial}  # -g overrides -G wherever it stands
    demes = [{"name": f"pop{i}", "initial_size": initial[i].get("initial_size", 1.0),
              **({"growth_rate": growth[i]} if growth[i] is not None else {})}
             for i in range(1, npop + 1)] + extra_demes
    migrations = [{"type": "migration", "source": f"pop{i}", "dest": f"pop{j}", "rate": rate}
                  for (i, j), rate in sorted(migration.items())]
    return {"name": name, "description": f"translated from: {command}", "units": "coalescent",
            "priors": priors, "design": {"populations": names, "samples": samples, "ploidy": 1,
                                         "loci": _design_loci(locus, loci, replicates)},
            "demes": demes, "events": migrations + events}


def _design_loci(locus: dict, loci: list | None, replicates: int) -> list[dict]:
    """The command's locus (nreps copies), or one table per --loci entry, each completed from the command."""
    if not loci:
        return [locus]
    if replicates not in (1, len(loci)):
        raise ScenarioSettingError(f"ms command: nreps = {replicates} replicates, but {{loci}} lists {len(loci)} "
                                   "loci; with {loci}, nreps must be 1 (one ms run per locus) or the number of loci")
    tables = []
    for k, entry in enumerate(loci):
        entry = {"segregating_sites": int(entry)} if isinstance(entry, (int, numpy.integer)) else dict(entry)
        table = {key: value for key, value in locus.items() if key != "name"}
        table["count"] = 1
        if "theta" in entry:
            table.pop("segregating_sites", None)
        if "segregating_sites" in entry:
            table.pop("theta", None)
        table.update(entry)
        table = {"count": table.pop("count"), "name": f"locus{k + 1}", **table}
        tables.append(table)
    return tables


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
