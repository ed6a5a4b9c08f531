"""The one genotypes object of simulated and observed data: what the encoders and the statistics read.

A ``Genotypes`` holds one data set (one simulated replicate, one file, one
window of a VCF):

- ``calls`` (haplotypes, sites) int8: 1 = derived (or ALT, or minor) allele,
  0 = the other, ``MISSING`` (-1) = no call;
- ``positions`` (sites,) within each locus (bp from the locus's start, or
  ms's fractions), or ``None`` where the input has none (a 0/1 matrix);
- ``site_counts`` (loci,): the sites of each locus in order, a 0 for a
  locus without any site (an invariant RAD locus, absent from a VCF, is
  counted in); ``None`` where the input does not say where loci begin;
- ``locus_lengths`` (loci,) in bp, or ``None`` where unknown, and
  ``locus_names`` (a VCF's chromosomes), or ``None``;
- ``haplotype_populations`` (haplotypes,): the index of each haplotype's
  population in ``population_names`` (the design's order), and ``ploidy``;
- ``provenance``: ``{"file": path}`` for observed data, ``{"scenario": name,
  "seed": seed}`` for a simulated replicate;
- ``report``: what a reader kept, dropped, reordered or assumed.

What an input lacks is never invented: a step that needs it calls
``require_positions`` or ``require_loci``, which refuse in one sentence
naming the missing piece and the option that supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy

from genomics.errors import SettingError

MISSING = -1

#: How the pieces an input may lack are supplied, for the refusals.
POSITIONS_HINT = ("give the data as a VCF or as alignments (which have positions), or use a model trained without "
                  "them (--no-distance-channel, --selection even or all)")
LOCI_HINT = ("give each locus's number of sites with --locus-sizes (comma-separated, or a file), or the data as a VCF "
             "with one contig per locus (or --loci-bed) or as one alignment per locus")


class GenotypesError(ValueError):
    """A data set lacks what a step needs, or its parts do not fit together."""


class GenotypesSettingError(SettingError, GenotypesError):
    """A ``GenotypesError`` whose sentence names the settings involved as ``{name}`` (``genomics.errors``)."""


@dataclass
class Genotypes:
    """One data set of simulated or observed genotype calls; see the module docstring."""

    calls: numpy.ndarray                         # (haplotypes, sites) int8: 1, 0, MISSING
    positions: numpy.ndarray | None              # (sites,) within each locus; None: the input has none
    site_counts: numpy.ndarray | None            # (loci,) sites of each locus; None: boundaries unknown
    haplotype_populations: numpy.ndarray         # (haplotypes,) index into population_names
    population_names: list[str]
    ploidy: int = 1
    locus_lengths: numpy.ndarray | None = None   # (loci,) bp; None: unknown
    locus_names: list[str] | None = None          # (loci,) e.g. a VCF's chromosomes; None: unnamed
    provenance: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.calls = numpy.asarray(self.calls, dtype=numpy.int8)
        self.haplotype_populations = numpy.asarray(self.haplotype_populations)
        if self.calls.ndim != 2 or self.calls.shape[0] != len(self.haplotype_populations):
            raise GenotypesError(f"{self.source}: calls of shape {self.calls.shape} do not match "
                                 f"{len(self.haplotype_populations)} haplotypes")
        if self.positions is not None:
            self.positions = numpy.asarray(self.positions, dtype=numpy.float64)
            if self.positions.shape != (self.sites,):
                raise GenotypesError(f"{self.source}: {self.positions.size} positions for {self.sites} sites")
        if self.site_counts is not None:
            self.site_counts = numpy.asarray(self.site_counts, dtype=numpy.int64)
            if self.site_counts.ndim != 1 or int(self.site_counts.sum()) != self.sites or (self.site_counts < 0).any():
                raise GenotypesError(f"{self.source}: the loci's site counts add up to {int(self.site_counts.sum())} "
                                     f"but the data have {self.sites} sites")
        if self.locus_names is not None and (self.site_counts is None or len(self.locus_names) != self.loci):
            raise GenotypesError(f"{self.source}: {len(self.locus_names)} locus names for {self.loci} loci")
        if self.locus_lengths is not None:
            self.locus_lengths = numpy.asarray(self.locus_lengths, dtype=numpy.float64)
            if self.site_counts is None or self.locus_lengths.shape != self.site_counts.shape:
                raise GenotypesError(f"{self.source}: {self.locus_lengths.size} locus lengths for "
                                     f"{'unknown' if self.site_counts is None else self.site_counts.size} loci")

    # ------------------------------------------------------------------ what the data hold
    @property
    def haplotypes(self) -> numpy.ndarray:
        """The calls (the name older callers use)."""
        return self.calls

    @property
    def sites(self) -> int:
        return int(self.calls.shape[1])

    @property
    def source(self) -> str:
        """Where the data come from, for messages: the file, or the scenario and seed."""
        if "file" in self.provenance:
            return str(self.provenance["file"])
        if "scenario" in self.provenance:
            return f"replicate of {self.provenance['scenario']} (seed {self.provenance.get('seed')})"
        return "the data"

    @property
    def loci(self) -> int | None:
        """The number of loci (those without sites included), or None where boundaries are unknown."""
        return None if self.site_counts is None else int(self.site_counts.size)

    @property
    def loci_without_sites(self) -> int | None:
        """Loci that hold no site at all (invariant loci), or None where boundaries are unknown."""
        return None if self.site_counts is None else int((self.site_counts == 0).sum())

    @property
    def site_loci(self) -> numpy.ndarray:
        """(sites,) the locus of each site; refused where boundaries are unknown."""
        counts = self.require_loci("the locus of each site")
        return numpy.repeat(numpy.arange(counts.size), counts)

    @property
    def chromosomes(self) -> numpy.ndarray:
        """(sites,) the name of each site's locus (a VCF's CHROM); refused where loci are unnamed."""
        if self.locus_names is None:
            raise GenotypesError(f"{self.source}: its loci have no names")
        return numpy.repeat(numpy.array(self.locus_names, dtype=str), self.require_loci("locus names"))

    @property
    def sequence_length(self) -> float | None:
        """All loci together, in bp (None where the loci's lengths are unknown)."""
        return None if self.locus_lengths is None else float(self.locus_lengths.sum())

    @property
    def missing_fraction(self) -> float:
        return float((self.calls == MISSING).mean()) if self.calls.size else 0.0

    @property
    def haplotypes_per_population(self) -> list[int]:
        return numpy.bincount(self.haplotype_populations, minlength=len(self.population_names)).tolist()

    # ------------------------------------------------------------------ refusals
    def require_positions(self, step: str) -> numpy.ndarray:
        """The positions, or one sentence saying that ``step`` needs them and how to give them."""
        if self.positions is None:
            raise GenotypesError(f"{self.source} has no site positions ({self.report.get('format', 'this input')} "
                                 f"carries none), but {step} needs them: {POSITIONS_HINT}")
        return self.positions

    def require_loci(self, step: str) -> numpy.ndarray:
        """The site counts of the loci, or one sentence saying that ``step`` needs them and how to give them."""
        if self.site_counts is None:
            raise GenotypesError(f"{self.source} does not say where its loci begin and end "
                                 f"({self.report.get('format', 'this input')}), but {step} needs them: {LOCI_HINT}")
        return self.site_counts

    # ------------------------------------------------------------------ new data sets from this one
    def with_loci_without_sites(self, count: int) -> "Genotypes":
        """These data with ``count`` more loci that hold no site (invariant loci absent from a file), at the end.

        Their length is the other loci's where those all share one (RAD loci
        of one read length; the report says it was assumed), else the loci's
        lengths become unknown."""
        if count < 0:
            raise GenotypesError(f"{self.source}: the number of invariant loci must be >= 0, got {count}")
        counts = self.require_loci("adding invariant loci")
        lengths = None
        if self.locus_lengths is not None:
            known = self.locus_lengths[counts > 0] if (counts > 0).any() else self.locus_lengths
            if count and known.size and numpy.all(known == known[0]):
                lengths = numpy.concatenate([self.locus_lengths, numpy.full(count, known[0])])
            elif not count:
                lengths = self.locus_lengths
        names = None if self.locus_names is None else self.locus_names + [f"invariant.{i + 1}" for i in range(count)]
        assumed = {"length_of_added_loci_assumed": float(lengths[-1])} if count and lengths is not None else {}
        return replace(self, site_counts=numpy.concatenate([counts, numpy.zeros(count, dtype=numpy.int64)]),
                       locus_lengths=lengths, locus_names=names,
                       report={**self.report, "loci_without_sites_added": int(count), **assumed})

    def with_calls(self, calls: numpy.ndarray, **report: object) -> "Genotypes":
        """The same loci and positions with other calls of the same shape (another mask of missing calls)."""
        if calls.shape != self.calls.shape:
            raise GenotypesError(f"{self.source}: calls of shape {calls.shape} for data of shape {self.calls.shape}")
        return replace(self, calls=calls, report={**self.report, **report})

    def site_subset(self, columns: numpy.ndarray, site_counts: numpy.ndarray | None, **report: object) -> "Genotypes":
        """The sites ``columns`` (in order), grouped into loci of ``site_counts`` (None: boundaries unknown)."""
        columns = numpy.asarray(columns, dtype=numpy.int64)
        same_loci = site_counts is not None and self.site_counts is not None and \
            numpy.array_equal(site_counts, self.site_counts)
        return replace(self, calls=self.calls[:, columns],
                       positions=None if self.positions is None else self.positions[columns],
                       site_counts=site_counts, locus_lengths=self.locus_lengths if same_loci else None,
                       locus_names=self.locus_names if same_loci else None,
                       report={**self.report, **report})
