"""The sampling design: who is sampled, which loci are simulated, and which calls go missing.

One ``SamplingDesign`` travels unchanged from the scenario file through the
simulation shards and the model bundle to the readers of real data, so that
observed data are checked and encoded exactly as the training data were.

A design is written in a scenario's ``[design]`` table::

    populations = ["north", "south"]  # sampled populations, in the order of the image's rows
    samples = [10, 12]                # individuals per population (haplotypes when ploidy = 1)
    ploidy = 2                        # haplotypes per individual

    # either one contiguous sequence (windows of a genome) ...
    sequence_length = 2e5
    recombination_rate = 1e-8
    mutation_rate = 1.25e-8

    # ... or a list of loci, simulated independently and concatenated along the SNP axis:
    [[design.loci]]
    name = "nuclear"
    count = 14                        # unlinked copies of this locus
    segregating_sites = 26            # exactly 26 SNPs each (ms -s), or:
    # sequence_length = 500, mutation_rate = 1e-8 (theta = ... in coalescent units), recombination_rate = 0
    size_scale = 1.0                  # effective size relative to the scenario's (0.25: mtDNA, one convention)

    [design.missing]                  # optional: missing calls as part of the model
    per_call = 0.15                   # or per_individual = 0.2, or a table per population {north = 0.1, ...}

Values may be numbers, prior names or expressions of them, as everywhere in
a scenario. ``per_call``: each genotype call (all haplotypes of one
individual at one site) is missing independently. ``per_individual``: each
individual misses each whole locus independently (locus dropout, as in RAD
data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy

from genomics.scenario.expressions import ScenarioError, is_number

MISSING_KINDS = ("per_call", "per_individual")
LOCUS_KEYS = {"name", "count", "segregating_sites", "sequence_length", "mutation_rate", "recombination_rate",
              "theta", "rho", "size_scale"}
DESIGN_KEYS = {"populations", "samples", "ploidy", "sequence_length", "recombination_rate", "mutation_rate", "loci",
               "missing"}
#: Per-base, per-generation rates above this are refused: a replicate would hold millions of sites.
MAX_RATE = 1e-3


@dataclass(frozen=True)
class Locus:
    """One kind of locus; ``count`` unlinked copies of it are simulated per replicate."""

    name: str
    count: int = 1
    segregating_sites: int | None = None     # exactly this many SNPs (ms -s); else mutations at a rate
    sequence_length: Any = 1.0               # bases (a value: number, prior name or expression)
    mutation_rate: Any = None                # per base per generation
    recombination_rate: Any = 0.0            # per base per generation
    theta: Any = None                        # coalescent units: 4 N0 mu L for the whole locus
    rho: Any = None                          # coalescent units: 4 N0 r (L - 1) for the whole locus
    size_scale: float = 1.0                  # effective size relative to the scenario's sizes

    @property
    def fixed_sites(self) -> bool:
        return self.segregating_sites is not None

    def to_dict(self) -> dict:
        return {key: value for key, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class MissingData:
    """How calls go missing: ``kind`` (per_call or per_individual) at ``rates`` (one per sampled population)."""

    kind: str
    rates: tuple

    def to_dict(self, populations: list[str]) -> dict:
        return {self.kind: dict(zip(populations, self.rates))}


@dataclass
class SamplingDesign:
    """Who is sampled and what is simulated for each replicate; see the module docstring."""

    populations: list[str]
    samples: list[int]
    ploidy: int = 2
    loci: list[Locus] = field(default_factory=lambda: [Locus("sequence", sequence_length=1e5, mutation_rate=1.25e-8,
                                                             recombination_rate=1e-8)])
    missing: MissingData | None = None
    contiguous: bool = True  # one sequence cut into windows (a genome) rather than listed loci

    @property
    def haplotypes_per_population(self) -> list[int]:
        return [n * self.ploidy for n in self.samples]

    @property
    def haplotype_populations(self) -> numpy.ndarray:
        """Index of the sampled population of each haplotype, in msprime's sample order."""
        return numpy.repeat(numpy.arange(len(self.populations)), self.haplotypes_per_population)

    @property
    def locus_names(self) -> list[str]:
        """One name per simulated locus copy, in the order they are concatenated ("nuclear", or "rad.17")."""
        return [locus.name if locus.count == 1 else f"{locus.name}.{i + 1}" for locus in self.loci
                for i in range(locus.count)]

    @property
    def segregating_sites(self) -> list[int] | None:
        """S of every locus copy in order, when every locus has a fixed number of SNPs; else None."""
        if not all(locus.fixed_sites for locus in self.loci):
            return None
        return [locus.segregating_sites for locus in self.loci for _ in range(locus.count)]

    @property
    def sequence_length(self) -> Any:
        """The contiguous sequence's length (a value), for designs of one sequence."""
        return self.loci[0].sequence_length

    @property
    def locus_count(self) -> int:
        """Locus copies per replicate (1 for a contiguous sequence)."""
        return sum(locus.count for locus in self.loci)

    def describe_loci(self) -> str:
        """The locus structure in words, for messages: "1000 loci (rad x1000 of 150 bp)"."""
        if self.contiguous:
            length = self.sequence_length
            return f"one sequence of {length:g} bp" if is_number(length) else "one sequence"
        parts = []
        for locus in self.loci:
            what = f"{locus.segregating_sites} SNPs" if locus.fixed_sites else (
                f"{locus.sequence_length:g} bp" if is_number(locus.sequence_length) else "drawn lengths")
            parts.append(f"{locus.name} x{locus.count} of {what}" if locus.count > 1 else f"{locus.name} of {what}")
        shown = ", ".join(parts[:4]) + (f", ... ({len(parts)} kinds)" if len(parts) > 4 else "")
        return f"{self.locus_count} loci ({shown})"

    def to_dict(self) -> dict:
        """The design as a scenario's [design] table (what bundles and manifests store)."""
        spec: dict = {"populations": list(self.populations), "samples": list(self.samples), "ploidy": self.ploidy}
        if self.contiguous:
            locus = self.loci[0]
            spec.update(sequence_length=locus.sequence_length, recombination_rate=locus.recombination_rate,
                        mutation_rate=locus.mutation_rate)
        else:
            spec["loci"] = [locus.to_dict() for locus in self.loci]
        if self.missing is not None:
            spec["missing"] = self.missing.to_dict(self.populations)
        return spec

    @classmethod
    def from_dict(cls, design: dict, where: str = "the stored design") -> "SamplingDesign":
        """A design stored by ``to_dict`` (in a bundle or a manifest)."""
        if isinstance(design, dict) and "haplotypes_per_population" in design and "samples" not in design:
            raise ScenarioError(f"{where} was written by an older genomics (no samples per population): train the "
                                "model again with this version")
        return cls.from_spec(design, where, lambda value, key: None, units=None)

    @classmethod
    def from_spec(cls, design: Any, where: str, check_value: Callable[[Any, str], None],
                  units: str | None = "generations") -> "SamplingDesign":
        """A checked design from a [design] table; ``check_value`` checks a value's prior names."""
        if not isinstance(design, dict) or "populations" not in design or "samples" not in design:
            raise ScenarioError(f"{where}: 'design' needs 'populations' (names) and 'samples' (individuals per "
                                "population)")
        unknown = set(design) - DESIGN_KEYS
        if unknown:
            raise ScenarioError(f"{where}: design has unknown keys {sorted(unknown)}; valid: {sorted(DESIGN_KEYS)}")
        populations, samples = design["populations"], design["samples"]
        if (not isinstance(populations, list) or not isinstance(samples, list) or not populations
                or len(populations) != len(samples)):
            raise ScenarioError(f"{where}: design.populations and design.samples must be non-empty lists of equal "
                                "length")
        if not all(isinstance(name, str) and name for name in populations) or len(set(populations)) != len(populations):
            raise ScenarioError(f"{where}: design.populations must be distinct names, got {populations}")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in samples):
            raise ScenarioError(f"{where}: design.samples must be positive integers, got {samples}")
        ploidy = design.get("ploidy", 2)
        if not isinstance(ploidy, int) or isinstance(ploidy, bool) or not 1 <= ploidy <= 8:
            raise ScenarioError(f"{where}: design.ploidy must be an integer from 1 to 8, got {ploidy!r}")
        if sum(samples) * ploidy < 2:
            raise ScenarioError(f"{where}: the design samples {sum(samples) * ploidy} haplotype; a genealogy needs 2")
        if "loci" in design:
            shared = {"sequence_length", "recombination_rate", "mutation_rate"} & set(design)
            if shared:
                raise ScenarioError(f"{where}: design has both 'loci' and {sorted(shared)}; give these per locus")
            if not isinstance(design["loci"], list) or not design["loci"]:
                raise ScenarioError(f"{where}: design.loci must be a non-empty list of loci tables")
            loci = [_locus(spec, f"{where}: design.loci[{i}]", check_value, units)
                    for i, spec in enumerate(design["loci"])]
            names = [locus.name for locus in loci]
            if len(set(names)) != len(names):
                raise ScenarioError(f"{where}: design.loci names must be distinct, got {names}")
            contiguous = False
        else:
            single = {"name": "sequence", "sequence_length": design.get("sequence_length", 1e5),
                      "recombination_rate": design.get("recombination_rate", 1e-8),
                      "mutation_rate": design.get("mutation_rate", 1.25e-8)}
            loci, contiguous = [_locus(single, f"{where}: design", check_value, "generations")], True
        missing = _missing(design.get("missing"), populations, f"{where}: design.missing")
        return cls(list(populations), list(samples), ploidy, loci, missing, contiguous)


def _locus(spec: Any, where: str, check_value: Callable[[Any, str], None], units: str | None) -> Locus:
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: a locus must be a table, got {spec!r}")
    unknown = set(spec) - LOCUS_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}; valid: {sorted(LOCUS_KEYS)}")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{where}: needs a 'name'")
    count = spec.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ScenarioError(f"{where} ({name}): count must be a positive integer, got {count!r}")
    sites = spec.get("segregating_sites")
    if sites is not None and (not isinstance(sites, int) or isinstance(sites, bool) or sites < 1):
        raise ScenarioError(f"{where} ({name}): segregating_sites must be a positive integer, got {sites!r}")
    if units is None:  # a stored design, already checked when its scenario was read
        units = "coalescent" if "theta" in spec or "rho" in spec else "generations"
    rate_keys = ("theta", "rho") if units == "coalescent" else ("mutation_rate", "recombination_rate")
    other_keys = ("mutation_rate", "recombination_rate") if units == "coalescent" else ("theta", "rho")
    given = [key for key in other_keys if key in spec]
    if given:
        raise ScenarioError(f"{where} ({name}): {given} belong to the other units; in {units} units use "
                            f"{list(rate_keys)}")
    if sites is None and rate_keys[0] not in spec:
        raise ScenarioError(f"{where} ({name}): give segregating_sites (exactly that many SNPs) or "
                            f"{rate_keys[0]} (mutations at a rate)")
    for key in ("sequence_length", *rate_keys):
        if key in spec:
            check_value(spec[key], f"{where}.{key}")
            _check_number_range(spec[key], key, where, name)
    scale = spec.get("size_scale", 1.0)
    if not is_number(scale) or scale <= 0:
        raise ScenarioError(f"{where} ({name}): size_scale must be a positive number, got {scale!r}")
    default_length = 1.0 if sites is not None and rate_keys[1] not in spec else 1e5
    return Locus(name=name, count=count, segregating_sites=sites,
                 sequence_length=spec.get("sequence_length", default_length),
                 mutation_rate=spec.get("mutation_rate"), recombination_rate=spec.get("recombination_rate", 0.0),
                 theta=spec.get("theta"), rho=spec.get("rho"), size_scale=float(scale))


def _check_number_range(value: Any, key: str, where: str, name: str) -> None:
    """Fixed numbers are checked here; expressions once drawn (``check_drawn_locus``)."""
    if not is_number(value):
        return
    if key == "sequence_length" and value <= 0:
        raise ScenarioError(f"{where} ({name}): sequence_length must be positive, got {value!r}")
    if key in ("mutation_rate", "recombination_rate") and not 0 <= value <= MAX_RATE:
        raise ScenarioError(f"{where} ({name}): {key} must be in [0, {MAX_RATE:g}] per base per generation, "
                            f"got {value!r}")
    if key in ("theta", "rho") and value < 0:
        raise ScenarioError(f"{where} ({name}): {key} must be >= 0, got {value!r}")


def _missing(spec: Any, populations: list[str], where: str) -> MissingData | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in MISSING_KINDS:
        raise ScenarioError(f"{where}: must be one of {{ per_call = rate }} or {{ per_individual = rate }}, "
                            f"got {spec!r}")
    (kind, rates), = spec.items()
    if is_number(rates):
        rates = {population: rates for population in populations}
    if not isinstance(rates, dict):
        raise ScenarioError(f"{where}.{kind}: a rate or a table of rates per population, got {rates!r}")
    unknown = set(rates) - set(populations)
    if unknown:
        raise ScenarioError(f"{where}.{kind}: populations {sorted(unknown)} are not sampled ({populations})")
    values = tuple(rates.get(population, 0.0) for population in populations)
    for population, rate in zip(populations, values):
        if not is_number(rate) or not 0 <= rate < 1:
            raise ScenarioError(f"{where}.{kind}: the rate of {population!r} must be in [0, 1), got {rate!r}")
    return MissingData(kind, tuple(float(rate) for rate in values))
