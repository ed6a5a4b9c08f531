"""Observed data, from whichever file the user has, as ``Genotypes`` data sets matched to a design.

One ``ObservedFiles`` (what ``predict``, ``check``, ``abc`` and ``compare``
share as one option group) names exactly one source:

- ``vcf`` (with ``popmap``), a VCF or a VCF Zarr store read as the VCF it
  encodes (``genomics.observed.vcf_zarr``): under a design of loci, one data set whose loci
  are the VCF's contigs or ``loci_bed``'s regions, with ``invariant_loci``
  (or the design's count) of loci without sites (``genomics.observed.vcf_loci``);
  under a design of one sequence, one data set per window of the design's
  length (``genomics.observed.vcf``);
- ``matrix``: a 0/1 or -1/+1/0 matrix (``coding``), its loci from
  ``locus_sizes`` or the design (``genomics.observed.readers.read_matrix``);
- ``ms``: ms output; ``alignments`` (with ``popmap``): one file per locus;
- ``trees``: tskit ``.trees`` files, read as their VCF would be (one
  sequence cut into windows, or one locus per file;
  ``genomics.observed.trees``), populations from the tree sequence or
  ``popmap`` (individuals named ``tsk_0``... as tskit's ``write_vcf`` does).

Every structure that cannot be matched to the design is refused by the
reader, naming both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy

from genomics.observed import readers, trees, vcf, vcf_loci, vcf_zarr
from genomics.scenario.design import SamplingDesign
from genomics.genotypes import Genotypes, GenotypesError, GenotypesSettingError


@dataclass
class ObservedFiles:
    """The files of one observed data set and how to read their loci; see the module docstring."""

    vcf: str | None = None
    popmap: str | None = None
    matrix: str | None = None
    orientation: str = "haplotypes-by-sites"
    populations: str | None = None
    ms: str | None = None
    alignments: list[str] | None = None
    loci_bed: str | None = None
    invariant_loci: int | None = None
    locus_sizes: str | None = None
    seed: int = 0
    max_missing: float | None = None
    trees: list[str] | None = None
    coding: str = "auto"  # of a --matrix: auto, zero-one or plus-minus (readers.MATRIX_CODINGS)

    @property
    def given(self) -> list[str]:
        return [name for name in ("vcf", "matrix", "ms", "alignments", "trees") if getattr(self, name)]

    def check(self) -> None:
        """One sentence for options that do not fit together, before anything is read."""
        if len(self.given) != 1:
            raise GenotypesSettingError("give the data as exactly one of: a VCF (with {popmap}), {matrix} FILE, "
                                        "{ms} FILE, {alignments} FILE... (with {popmap}) or {trees} FILE...; got "
                                        f"{', '.join(self.given) or 'none'}")
        if (self.vcf or self.alignments) and not self.popmap:
            raise GenotypesSettingError(f"{'a VCF' if self.vcf else '{alignments}'} needs {{popmap}} (two columns: "
                                        f"{'sample' if self.vcf else 'sequence'} population)")
        if self.loci_bed and not self.vcf:
            raise GenotypesSettingError("{loci_bed} describes the loci of a VCF; give a VCF")
        if self.invariant_loci is not None and not (self.vcf or self.trees):
            raise GenotypesSettingError("{invariant_loci} describes the loci of a VCF or of .trees files; give one")
        if self.locus_sizes and not self.matrix:
            raise GenotypesSettingError("{locus_sizes} gives the loci of a {matrix} (a VCF has contigs, alignments "
                                        "one file per locus)")
        if self.invariant_loci is not None and self.invariant_loci < 0:
            raise GenotypesSettingError(f"{{invariant_loci}} must be a number of loci >= 0, got {self.invariant_loci}")


def read_observed(files: ObservedFiles, design: SamplingDesign,
                  more_sites_allowed: bool = False) -> tuple[list[Genotypes], list[str]]:
    """(data sets, their labels) of ``files``, read under ``design``."""
    files.check()
    if files.matrix:
        sizes = readers.parse_locus_sizes(files.locus_sizes) if files.locus_sizes else None
        return [readers.read_matrix(files.matrix, design, files.orientation, files.populations,
                                    more_sites_allowed=more_sites_allowed, locus_sizes=sizes,
                                    coding=files.coding)], \
            [os.path.basename(files.matrix)]
    if files.alignments:
        return [readers.read_alignments(files.alignments, vcf.read_population_map(files.popmap), design,
                                        more_sites_allowed=more_sites_allowed)], \
            [f"{len(files.alignments)} alignments"]
    if files.ms:
        data_sets = readers.read_ms(files.ms, design, files.populations)
        return data_sets, [f"replicate {i + 1}" for i in range(len(data_sets))]
    if files.trees:
        population_map = vcf.read_population_map(files.popmap) if files.popmap else None
        data = trees.read_trees(files.trees, design, population_map, files.seed, files.max_missing,
                                files.invariant_loci)
        if not design.contiguous:
            return [data], [f"{len(files.trees)} .trees files" if len(files.trees) > 1 else
                            os.path.basename(files.trees[0])]
        return cut_into_windows(data, design, files.trees[0])
    population_map = vcf.read_population_map(files.popmap)
    if not design.contiguous:
        return [vcf_loci.read_vcf_loci(files.vcf, population_map, design, files.seed, files.loci_bed,
                                       files.invariant_loci, files.max_missing)], [os.path.basename(files.vcf)]
    return vcf_windows(files, population_map, design)


def vcf_windows(files: ObservedFiles, population_map: dict[str, str],
                design: SamplingDesign) -> tuple[list[Genotypes], list[str]]:
    """Each window of the design's sequence length with at least one SNP, as a data set of one locus."""
    if not isinstance(design.sequence_length, (int, float)):
        raise GenotypesError("the design's sequence length is drawn from a prior: a VCF cannot be cut into windows "
                             "of it")
    max_missing = files.max_missing if files.max_missing is not None else float(design.missing is not None)
    reader = vcf_zarr.read_vcf_zarr if vcf_zarr.is_vcf_zarr(files.vcf) else vcf.read_vcf
    data = reader(files.vcf, population_map, design, seed=files.seed, max_missing=max_missing)
    return cut_into_windows(data, design, files.vcf)


def cut_into_windows(data: Genotypes, design: SamplingDesign, path: str) -> tuple[list[Genotypes], list[str]]:
    """Each window of the design's sequence length with at least one site of ``data``, as a data set of one
    locus (positions from the window's start)."""
    length = design.sequence_length
    if not isinstance(length, (int, float)):
        raise GenotypesError(f"the design's sequence length is drawn from a prior: {path} cannot be cut into "
                             "windows of it")
    if data.sites == 0:
        raise GenotypesError(f"{path}: no window of {float(length):g} bp holds a usable SNP (no site was kept)")
    data_sets, labels = [], []
    for chromosome, start, end, sites in vcf.windows(data, float(length), min_snps=1):
        label = f"{chromosome}:{start}-{end}"
        data_sets.append(Genotypes(data.haplotypes[:, sites], data.positions[sites] - start,
                                   numpy.array([sites.size]), data.haplotype_populations, list(design.populations),
                                   ploidy=design.ploidy, locus_lengths=numpy.array([float(length)]),
                                   provenance=data.provenance, report={**data.report, "window": label}))
        labels.append(label)
    if not data_sets:
        raise GenotypesError(f"{path}: no window of {float(length):g} bp holds a usable SNP")
    return data_sets, labels


def describe(data: Genotypes) -> str:
    """One line on what a data set holds and what reading it dropped, subsampled or assumed."""
    report = data.report
    parts = [f"{report.get('format', 'data')}: {data.sites} sites"]
    if data.loci is not None:
        parts.append(f"{data.loci} loci ({data.loci_without_sites} without sites)")
    if "invariant_loci_from" in report:
        parts.append(f"{report['loci_without_sites_added']} loci absent from the file counted back as invariant "
                     f"(from {report['invariant_loci_from']})")
    if "dropped_outside_regions" in report:
        parts.append(f"{report['dropped_outside_regions']} records outside the BED regions dropped")
    if "samples_chosen" in report:
        used = {population: len(names) for population, names in report["samples_chosen"].items()}
        parts.append(f"individuals used {used} of {report['samples_in_population_map']} (seed {report['sample_seed']})")
    if report.get("dropped_not_biallelic_snp"):
        parts.append(f"{report['dropped_not_biallelic_snp']} records not biallelic SNPs dropped")
    if "loci_from" in report:
        parts.append(f"loci from {report['loci_from']}")
    parts.append("no positions" if data.positions is None else "positions")
    parts.append(f"{data.missing_fraction:.1%} of calls missing")
    return "; ".join(parts)
