"""A VCF of many short loci (RADseq: Stacks, ipyrad) as one ``Genotypes`` data set of the design's loci.

Two ways to say where the loci are:

- one contig per locus, as Stacks and ipyrad write them: every CHROM with
  a record is one locus, in the file's order; its length is the
  ``##contig=<ID=...,length=...>`` header's where every contig has one
  (else unknown), and a site's position is its POS;
- a BED file of locus regions (``--loci-bed``; CHROM, 0-based start, end):
  every region is one locus, in the BED's order, as long as the region; a
  site's position is POS - start; records outside every region are dropped
  and counted; regions without records are loci without sites.

Loci without any variable site are absent from such a VCF. Their number is
given (``invariant_loci``, the ``--invariant-loci`` option), or, by
default, taken from the design: its loci minus the VCF's. Either way the
data's loci must number the design's: a VCF of 1,200 contigs for a design
of 1,000 loci is refused with both structures named.

Samples: each population's individuals are the design's number, a seeded
random subset (``seed``) of the population map's where it has more (whole
individuals, so that an individual's missing locus stays one individual's);
the chosen names are in the report. Records are read by ``genomics.observed.vcf``
(biallelic SNPs, phase, missing calls as there); by default every site is
kept whatever its missing calls when the design has missing calls, else
complete sites only.
"""

from __future__ import annotations

import gzip
import re

import numpy

from genomics.observed import vcf, vcf_zarr
from genomics.scenario.design import SamplingDesign
from genomics.errors import braces_doubled
from genomics.genotypes import Genotypes, GenotypesError, GenotypesSettingError
from genomics.textfile import read_text

CONTIG_HEADER = re.compile(r"##contig=<(.*)>")


def choose_samples(population_map: dict[str, str], design: SamplingDesign, seed: int) -> dict[str, str]:
    """sample -> population of the individuals used: per population the design's number, a seeded subset where
    the map has more, in the map's order."""
    generator = numpy.random.default_rng(seed)
    unknown = sorted(set(population_map.values()) - set(design.populations))
    if unknown:
        raise GenotypesError(f"the population map names populations {unknown} that the model was not trained on "
                             f"(trained: {design.populations})")
    chosen: dict[str, str] = {}
    for population, wanted in zip(design.populations, design.samples):
        members = [sample for sample, name in population_map.items() if name == population]
        if len(members) < wanted:
            raise GenotypesError(f"population {population!r} has {len(members)} individuals in the population map "
                                 f"but the model was trained on {wanted}")
        picked = numpy.sort(generator.choice(len(members), size=wanted, replace=False))
        chosen.update({members[i]: population for i in picked})
    return chosen


def contigs_of(path: str) -> tuple[list[str], dict[str, int]]:
    """(the CHROM of the records in first-seen order, the lengths the ##contig header lines give)."""
    opener = gzip.open if path.endswith((".gz", ".bgz")) else open
    names: dict[str, None] = {}
    lengths: dict[str, int] = {}
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("##contig"):
                    match = CONTIG_HEADER.match(line.strip())
                    fields = dict(part.split("=", 1) for part in match.group(1).split(",") if "=" in part) \
                        if match else {}
                    if "ID" in fields and fields.get("length", "").isdigit():
                        lengths[fields["ID"]] = int(fields["length"])
                elif line.strip() and not line.startswith("#"):
                    names.setdefault(line.split("\t", 1)[0], None)
    except (OSError, EOFError) as error:
        raise ValueError(f"cannot read VCF {path!r}: {error}") from None
    return list(names), lengths


def read_bed(path: str) -> list[tuple[str, int, int]]:
    """(chromosome, 0-based start, end) of every region of a BED file, in its order."""
    regions = []
    for number, line in enumerate(read_text(path, "BED file").splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split()
        if len(fields) < 3 or not fields[1].isdigit() or not fields[2].isdigit() or int(fields[2]) <= int(fields[1]):
            raise GenotypesError(f"{path}, line {number}: expected 'chromosome start end' with 0 <= start < end, "
                                 f"got {line.strip()[:60]!r}")
        regions.append((fields[0], int(fields[1]), int(fields[2])))
    if not regions:
        raise GenotypesError(f"{path}: the BED file lists no region")
    return regions


def read_vcf_loci(path: str, population_map: dict[str, str], design: SamplingDesign, seed: int = 0,
                  bed: str | None = None, invariant_loci: int | None = None,
                  max_missing: float | None = None) -> Genotypes:
    """The VCF's loci (contigs, or ``bed``'s regions) as one ``Genotypes``; see the module docstring."""
    if design.contiguous:
        raise GenotypesSettingError(f"the model's design is {braces_doubled(design.describe_loci())}, not loci: read "
                                    "the VCF in windows (predict's {window}), not as one locus per contig")
    if bed is not None and invariant_loci is not None:
        raise GenotypesSettingError("{invariant_loci} applies to a VCF of one contig per locus; with {loci_bed} the "
                                    "BED's regions without records are the invariant loci")
    if max_missing is None:
        max_missing = 1.0 if design.missing is not None else 0.0
    chosen = choose_samples(population_map, design, seed)
    store = vcf_zarr.is_vcf_zarr(path)  # a VCF Zarr store is read as the VCF it encodes
    data = (vcf_zarr.read_vcf_zarr if store else vcf.read_vcf)(path, chosen, design, seed=seed,
                                                                max_missing=max_missing)
    one_locus_per = "BED region" if bed else "contig"
    report = {**data.report, "format": f"{data.report['format']}, one locus per {one_locus_per}",
              "samples_chosen": {population: [s for s, p in chosen.items() if p == population]
                                 for population in design.populations}, "sample_seed": seed,
              "samples_in_population_map": {population: list(population_map.values()).count(population)
                                            for population in design.populations}}
    calls = data.calls
    if bed is None:
        contigs, header_lengths = (vcf_zarr.contigs_of if store else contigs_of)(path)
        site_loci = numpy.array([contigs.index(name) for name in data.chromosomes.tolist()], dtype=numpy.int64)
        positions = data.positions.astype(float)
        lengths = [header_lengths.get(name) for name in contigs]
        lengths = None if None in lengths else numpy.array(lengths, dtype=float)
        added, source = (invariant_loci, "--invariant-loci") if invariant_loci is not None else \
            (design.locus_count - len(contigs), "the design")
        if added < 0:
            raise GenotypesError(f"{path} has {len(contigs)} loci (one per contig) but the model's design has "
                                 f"{design.describe_loci()}")
        report.update(contigs=len(contigs), loci_without_sites_added=int(added), invariant_loci_from=source)
        loci, names = len(contigs), contigs
    else:
        regions, chromosomes = read_bed(bed), data.chromosomes
        site_loci = numpy.full(data.positions.size, -1, dtype=numpy.int64)
        offsets = numpy.zeros(data.positions.size)
        for index, (chromosome, start, end) in enumerate(regions):
            inside = (chromosomes == chromosome) & (data.positions > start) & (data.positions <= end) & \
                (site_loci < 0)
            site_loci[inside], offsets[inside] = index, start
        report.update(bed=bed, regions=len(regions), dropped_outside_regions=int((site_loci < 0).sum()))
        kept = site_loci >= 0
        calls, site_loci = calls[:, kept], site_loci[kept]
        positions = data.positions[kept] - offsets[kept]
        lengths = numpy.array([end - start for _, start, end in regions], dtype=float)
        loci, added = len(regions), 0
        names = [f"{chromosome}:{start}-{end}" for chromosome, start, end in regions]
    order = numpy.argsort(site_loci, kind="stable")  # loci in order; sites within a locus keep theirs
    counts = numpy.bincount(site_loci, minlength=loci)
    genotypes = Genotypes(calls[:, order], positions[order], counts, data.haplotype_populations,
                          list(design.populations), ploidy=design.ploidy, locus_lengths=lengths, locus_names=names,
                          provenance={"file": path}, report=report)
    if added:
        genotypes = genotypes.with_loci_without_sites(added)
    if genotypes.loci != design.locus_count:
        raise GenotypesError(f"{path} has {genotypes.loci} loci ({loci} {'BED regions' if bed else 'contigs'}"
                             f"{f' and {added} invariant' if added else ''}) but the model's design has "
                             f"{design.describe_loci()}")
    return genotypes
