"""From a genotype matrix to a fixed-size, channels-last image, the same way for simulations and real data.

Input: a ``genomics.genotypes.Genotypes`` (``encode_genotypes``), or its
calls, positions and populations (``encode``). Output: ``image (haplotypes,
n_snps, channels)`` and the number of real SNP columns. The steps:

1. drop sites that are not polymorphic among the called genotypes (except
   with ``all``: designs with a fixed number of SNPs per locus keep every
   site, so that each locus keeps its columns);
2. keep ``n_snps`` of them: the ``first``, the ``central`` ones, ``even``ly
   spaced ones across the region, or ``all``; pad with zero columns where
   there are fewer;
3. polarise: ``ancestral`` keeps 1 = derived; ``major_minor`` flips each
   column so that 1 = the minor allele (for data without an ancestral state);
4. sort rows within each population's block, so that the image does not
   depend on the order of the samples: ``frequency`` (most frequent
   haplotype first, ImaGene's rule), ``similarity`` (a nearest-neighbour
   chain from the most central haplotype) or ``none``;
5. code alleles as ``plus_minus`` (-1 / +1, padding 0, so padding is never
   mistaken for an allele) or ``zero_one`` (0 / 1, padding 0);
6. with ``distance_channel``, add a channel holding each SNP's distance to
   the previous kept SNP, in units of the mean spacing of ``n_snps`` SNPs
   over the sequence (padding 0);
7. missing calls (-1) never look like an allele: 0 under ``plus_minus``
   (like padding), and with ``missing_channel`` a last channel is 1 where a
   call is missing (the default for designs with missing calls).
   Polarisation and polymorphism count the called genotypes only;
8. with ``layout = population_frequencies`` the image has one row per
   population instead: its allele-1 frequency at each kept SNP, a channel
   marking real SNP columns, the distance channel and (with
   ``missing_channel``) its fraction of missing calls (steps 4 and 5 do not apply);
9. ``layout = joint_sfs`` / ``pairwise_sfs``: the joint spectrum of all
   populations or those of each pair (``genomics.encoding.sfs``) over every
   polymorphic site, folded under ``major_minor``, each population projected
   to ``sfs_haplotypes`` (for missing calls), as counts or proportions.

Rows stay grouped by population in the design's order. ``encoding_for_design``
chooses the default for each class of design and says why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy

from genomics.progress import counted
from genomics.encoding import sfs
from genomics.errors import braces_doubled
from genomics.genotypes import Genotypes, GenotypesSettingError

SELECTIONS = ("first", "central", "even", "all")
MISSING = -1
POLARISATIONS = ("ancestral", "major_minor")
ROW_SORTS = ("frequency", "similarity", "none")
CODINGS = ("plus_minus", "zero_one")
LAYOUTS = ("haplotypes", "population_frequencies", "joint_sfs", "pairwise_sfs")
SPECTRA = ("joint_sfs", "pairwise_sfs")
SFS_SCALES = ("counts", "proportions")


@dataclass(frozen=True)
class Encoder:
    """The encoding settings; their defaults (and help texts) are the command line's."""

    n_snps: int = field(default=128, metadata={"help": "SNP columns per image"})
    selection: str = field(default="central", metadata={"help": "which SNPs to keep", "choices": SELECTIONS})
    polarisation: str = field(default="major_minor", metadata={
        "help": "1 = minor allele (major_minor, for data without ancestral states) or derived allele",
        "choices": POLARISATIONS})
    row_sort: str = field(default="frequency", metadata={"help": "row order within each population",
                                                         "choices": ROW_SORTS})
    coding: str = field(default="plus_minus", metadata={"help": "-1/+1 (padding 0) or 0/1", "choices": CODINGS})
    distance_channel: bool = field(default=True, metadata={"help": "the inter-SNP distance channel"})
    missing_channel: bool = field(default=False, metadata={"help": "a channel marking missing calls"})
    layout: str = field(default="haplotypes", metadata={
        "help": "rows of the image: one per haplotype, or one per population holding its allele-1 frequency at "
                "each SNP (with a channel marking real SNP columns); or joint_sfs: the image is the joint site "
                "frequency spectrum of all populations over every polymorphic site (population 1's count in "
                "rows, population 2's in columns, the others' in channels), pairwise_sfs: that of each pair of "
                "populations, one per channel (for the spectra, SNP columns, selection, row sort, coding and the "
                "extra channels do not apply)", "choices": LAYOUTS})
    sfs_haplotypes: int = field(default=0, metadata={
        "help": "with a spectrum layout: haplotypes per population each site is projected down to "
                "(hypergeometric, for missing calls; sites with fewer calls are left out); 0: each population's "
                "whole sample, leaving out the sites with a missing call"})
    sfs_scale: str = field(default="counts", metadata={
        "help": "with a spectrum layout: counts of sites (their number tells the scale of diversity), or "
                "proportions of the sites used (for data whose sequence length or mutation rate is not the "
                "simulations')", "choices": SFS_SCALES})

    def __post_init__(self) -> None:
        for name, value, valid in (("selection", self.selection, SELECTIONS),
                                   ("polarisation", self.polarisation, POLARISATIONS),
                                   ("row_sort", self.row_sort, ROW_SORTS), ("coding", self.coding, CODINGS),
                                   ("layout", self.layout, LAYOUTS), ("sfs_scale", self.sfs_scale, SFS_SCALES)):
            if value not in valid:
                raise ValueError(f"encoder {name} must be one of {valid}, got {value!r}")
        if not isinstance(self.n_snps, int) or self.n_snps < 1:
            raise ValueError(f"encoder n_snps must be a positive int, got {self.n_snps!r}")
        if not isinstance(self.sfs_haplotypes, int) or isinstance(self.sfs_haplotypes, bool) or self.sfs_haplotypes < 0:
            raise ValueError(f"encoder sfs_haplotypes must be an int >= 0, got {self.sfs_haplotypes!r}")
        if self.sfs_haplotypes and self.layout not in SPECTRA:
            raise ValueError(f"encoder sfs_haplotypes applies to the layouts {' and '.join(SPECTRA)} only, not "
                             f"{self.layout}")

    @property
    def channels(self) -> int:
        """Channels of a haplotypes or population_frequencies image (a spectrum's: ``genomics.encoding.sfs``)."""
        return 1 + int(self.distance_channel) + int(self.missing_channel) + int(self.layout != "haplotypes")

    def padded_fraction(self, real: int) -> float:
        """The share of the image's SNP columns that are padding (none for a spectrum)."""
        return 0.0 if self.layout in SPECTRA else 1 - real / self.n_snps

    @classmethod
    def for_design(cls, design: Any, **settings: Any) -> "Encoder":
        """The default encoding for a sampling design, with ``settings`` (not None) overriding it
        (``encoding_for_design`` says which and why)."""
        return encoding_for_design(design, **settings)[0]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, settings: dict) -> "Encoder":
        return cls(**settings)

    # ------------------------------------------------------------------ the steps
    def select_columns(self, positions: numpy.ndarray, sequence_length: float) -> numpy.ndarray:
        """Indices of the kept sites among ``positions`` (sorted, polymorphic sites)."""
        count = positions.size
        if self.selection == "all":
            self._check_all_fit(count)
        if count <= self.n_snps:
            return numpy.arange(count)
        if self.selection == "first":
            return numpy.arange(self.n_snps)
        if self.selection == "even":
            return numpy.unique(numpy.linspace(0, count - 1, self.n_snps).round().astype(int))
        middle = int(numpy.searchsorted(positions, sequence_length / 2))
        start = min(max(middle - self.n_snps // 2, 0), count - self.n_snps)
        return numpy.arange(start, start + self.n_snps)

    def _check_all_fit(self, count: int) -> None:
        """``selection="all"``: one sentence when the data have more sites than the image has columns."""
        if count > self.n_snps:
            raise ValueError(f"the data have {count} sites but the encoder keeps all of at most n_snps = {self.n_snps}")

    @staticmethod
    def _checked(genotypes: numpy.ndarray, positions: numpy.ndarray, haplotypes: int) -> numpy.ndarray:
        """One replicate's genotypes as an array, after checking them against its positions and the design."""
        genotypes = numpy.asarray(genotypes)
        if genotypes.ndim != 2 or genotypes.shape[1] != len(positions):
            raise ValueError(f"genotypes of shape {genotypes.shape} do not match {len(positions)} positions")
        if genotypes.shape[0] != haplotypes:
            raise ValueError(f"genotypes have {genotypes.shape[0]} haplotypes but the design has {haplotypes}")
        return genotypes

    def encode(self, genotypes: numpy.ndarray, positions: numpy.ndarray, sequence_length: float,
               haplotype_populations: numpy.ndarray) -> tuple[numpy.ndarray, int]:
        """One replicate's image (haplotypes, n_snps, channels) float32 and its number of real SNPs."""
        genotypes = self._checked(genotypes, positions, len(haplotype_populations))
        if self.layout in SPECTRA:
            return self._spectra(genotypes, haplotype_populations)
        positions = numpy.asarray(positions)
        derived = (genotypes == 1).sum(axis=0)
        called = (genotypes != MISSING).sum(axis=0)
        if self.selection != "all":  # drop sites that do not vary among the called genotypes
            polymorphic = (derived > 0) & (derived < called)
            genotypes, positions = genotypes[:, polymorphic], positions[polymorphic]
            derived, called = derived[polymorphic], called[polymorphic]
        kept = self.select_columns(positions, sequence_length)
        genotypes, positions = genotypes[:, kept].astype(numpy.int8), positions[kept]
        derived, called = derived[kept], called[kept]
        if self.polarisation == "major_minor":
            flip = derived > called / 2
            flipped = genotypes[:, flip]
            genotypes[:, flip] = numpy.where(flipped == MISSING, MISSING, 1 - flipped)
        order = numpy.concatenate([
            numpy.flatnonzero(haplotype_populations == p)[self._row_order(genotypes[haplotype_populations == p])]
            for p in numpy.unique(haplotype_populations)
        ])
        genotypes = genotypes[order]
        if self.layout == "population_frequencies":
            return self._population_frequencies(genotypes, positions, sequence_length,
                                                haplotype_populations[order]), genotypes.shape[1]
        real = genotypes.shape[1]
        missing = genotypes == MISSING
        if missing.any() and not self.missing_channel and self.coding == "zero_one":
            raise ValueError("the data have missing calls, which zero_one coding cannot tell from allele 0 without "
                             "a missing channel (encode with missing_channel=True, or use plus_minus coding)")
        image = numpy.zeros((genotypes.shape[0], self.n_snps, self.channels), dtype=numpy.float32)
        alleles = numpy.where(missing, 0, 2.0 * genotypes - 1.0) if self.coding == "plus_minus" else \
            numpy.where(missing, 0, genotypes)
        image[:, :real, 0] = alleles
        if self.distance_channel and real:
            image[:, :real, 1] = self._distances(positions, sequence_length)
        if self.missing_channel:
            image[:, :real, -1] = missing
        return image, real

    def needs(self) -> list[str]:
        """What of a data set this encoding reads beyond its calls: "positions" and "locus lengths" (for the
        distance channel and the central selection, which measure along the sequence)."""
        if self.layout in SPECTRA or not (self.distance_channel or self.selection == "central"):
            return []
        return ["positions", "locus lengths"]

    def encode_genotypes(self, data: Genotypes) -> tuple[numpy.ndarray, int]:
        """One data set (``genomics.genotypes.Genotypes``) as ``encode`` encodes it; refused in one sentence when
        the encoding needs positions or locus lengths that the data do not have (nothing is made up)."""
        step = "the distance channel" if self.distance_channel else "the central selection of SNPs"
        if "positions" in self.needs():
            positions = data.require_positions(f"this model's encoding ({step})")
            length = data.sequence_length
            if length is None:
                raise GenotypesSettingError(f"{braces_doubled(data.source)} does not give its loci's lengths, but "
                                            f"this model's encoding ({step}) measures along the sequence: give the "
                                            "data as a VCF whose ##contig lines have lengths, with {loci_bed}, or as "
                                            "alignments")
        else:  # not read: the selection keeps sites by their order, and no channel holds distances
            positions = numpy.zeros(data.sites) if data.positions is None else data.positions
            length = data.sequence_length or 1.0
        return self.encode(data.calls, positions, length, data.haplotype_populations)

    def _distances(self, positions: numpy.ndarray, sequence_length: float) -> numpy.ndarray:
        """Step 6's channel: each kept SNP's distance to the previous one, in units of the mean spacing of
        ``n_snps`` SNPs over the sequence (the first SNP: 0)."""
        gaps = numpy.diff(positions, prepend=positions[0])
        return numpy.maximum(gaps, 0) / (sequence_length / self.n_snps)

    def _population_frequencies(self, genotypes: numpy.ndarray, positions: numpy.ndarray, sequence_length: float,
                                haplotype_populations: numpy.ndarray) -> numpy.ndarray:
        """Step 8 for ``layout = population_frequencies``: an image (populations, n_snps, channels).

        Channel 0: the frequency of allele 1 among each population's called
        haplotypes at each kept SNP (after polarisation); then 1 on real SNP
        columns (padding 0, so a frequency of 0 is never mistaken for
        padding); then the distance channel; then, with ``missing_channel``,
        each population's fraction of missing calls. Row order and coding do
        not apply: a population's frequency does not depend on the order of
        its samples.
        """
        populations = numpy.unique(haplotype_populations)
        real = genotypes.shape[1]
        image = numpy.zeros((len(populations), self.n_snps, self.channels), dtype=numpy.float32)
        for row, population in enumerate(populations):
            calls = genotypes[haplotype_populations == population]
            called = (calls != MISSING).sum(axis=0)
            ones = (calls == 1).sum(axis=0)
            image[row, :real, 0] = numpy.divide(ones, called, out=numpy.zeros(real), where=called > 0)
            if self.missing_channel:
                image[row, :real, -1] = 1 - called / len(calls)
        image[:, :real, 1] = 1.0
        if self.distance_channel and real:
            image[:, :real, 2] = self._distances(positions, sequence_length)
        return image

    def _spectra(self, genotypes: numpy.ndarray, haplotype_populations: numpy.ndarray) -> tuple:
        return sfs.spectrum_image(genotypes, haplotype_populations, self.layout == "joint_sfs",
                                  self.polarisation == "major_minor", self.sfs_haplotypes,
                                  self.sfs_scale == "proportions")

    def _row_order(self, rows: numpy.ndarray) -> numpy.ndarray:
        """The order of one population's haplotypes under ``row_sort``."""
        if self.row_sort == "none" or len(rows) < 2:
            return numpy.arange(len(rows))
        if self.row_sort == "frequency":
            _, inverse, counts = numpy.unique(rows, axis=0, return_inverse=True, return_counts=True)
            inverse = inverse.ravel()
            # most frequent haplotype first; equal haplotypes together; ties broken by the haplotype itself
            keys = [tuple(row) for row in rows]
            return numpy.array(sorted(range(len(rows)), key=lambda i: (-counts[inverse[i]], keys[i])))
        distances = (rows[:, None, :] != rows[None, :, :]).sum(axis=2)
        totals = distances.sum(axis=1)
        order = [min(range(len(rows)), key=lambda i: (totals[i], tuple(rows[i])))]
        remaining = set(range(len(rows))) - set(order)
        while remaining:
            last = order[-1]
            order.append(min(remaining, key=lambda i: (distances[last, i], tuple(rows[i]))))
            remaining.remove(order[-1])
        return numpy.array(order)

    def encode_many(self, genotypes: list, positions: list, sequence_lengths: numpy.ndarray,
                    haplotype_populations: numpy.ndarray, progress: Any = None) -> tuple[numpy.ndarray, numpy.ndarray]:
        """Images (replicates, haplotypes, n_snps, channels) and real-SNP counts of many replicates.

        Designs that keep every site in file order (``selection="all"``, ``row_sort="none"``, one row per haplotype:
        Perez et al.'s encoding of fixed-S loci) are encoded as one array operation over the replicates
        (``_encode_all_sites``), giving exactly ``encode``'s images; others call ``progress(done, total)`` as they go.
        """
        if self.selection == "all" and self.row_sort == "none" and self.layout == "haplotypes" and len(genotypes):
            return self._encode_all_sites(genotypes, positions, sequence_lengths, haplotype_populations)
        encoded = [self.encode(g, p, float(length), haplotype_populations)
                   for g, p, length in counted(zip(genotypes, positions, sequence_lengths), len(genotypes), progress)]
        return numpy.stack([image for image, _ in encoded]), numpy.array([real for _, real in encoded])

    def _encode_all_sites(self, genotypes: list, positions: list, sequence_lengths: numpy.ndarray,
                          haplotype_populations: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
        """``encode``'s steps on a batch: the calls padded to (replicates, haplotypes, n_snps), then polarised,
        coded and given their channels at once."""
        haplotypes = len(haplotype_populations)
        calls = numpy.zeros((len(genotypes), haplotypes, self.n_snps), dtype=numpy.int8)
        counts = numpy.zeros(len(genotypes), dtype=int)
        for b, (g, p) in enumerate(zip(genotypes, positions)):
            g = self._checked(g, p, haplotypes)
            self._check_all_fit(g.shape[1])
            calls[b, :, : g.shape[1]] = g
            counts[b] = g.shape[1]
        missing = calls == MISSING  # padding is 0, never missing
        any_missing = bool(missing.any())
        if any_missing and not self.missing_channel and self.coding == "zero_one":
            raise ValueError("the data have missing calls, which zero_one coding cannot tell from allele 0 without "
                             "a missing channel (encode with missing_channel=True, or use plus_minus coding)")
        if self.polarisation == "major_minor":  # 1 - c is c XOR 1 for a call c in {0, 1}; missing calls stay
            if any_missing:
                derived = (calls == 1).sum(axis=1)
                called = haplotypes - missing.sum(axis=1)
            else:
                derived, called = calls.sum(axis=1, dtype=numpy.int32), haplotypes
            flip = (derived > called / 2).astype(numpy.int8)[:, None, :]
            numpy.bitwise_xor(calls, flip, out=calls, where=~missing if any_missing else True)
        order = numpy.argsort(haplotype_populations, kind="stable")  # populations in turn, each in file order
        if numpy.any(order != numpy.arange(haplotypes)):
            calls, missing = calls[:, order], missing[:, order]
        image = numpy.zeros(calls.shape + (self.channels,), dtype=numpy.float32)
        alleles = image[..., 0]
        if self.coding == "plus_minus":
            real = (numpy.arange(self.n_snps) < counts[:, None])[:, None, :]  # (replicates, 1, n_snps)
            numpy.multiply(calls, 2, out=alleles, casting="unsafe")
            numpy.subtract(alleles, 1, out=alleles, where=real & ~missing if any_missing else real)
        else:
            alleles[...] = calls
        if any_missing:
            alleles[missing] = 0
        if self.distance_channel:
            for b, (p, length) in enumerate(zip(positions, sequence_lengths)):
                if counts[b]:
                    image[b, :, : counts[b], 1] = self._distances(numpy.asarray(p), float(length))
        if self.missing_channel:
            image[..., -1] = missing
        return image, counts


# ---------------------------------------------------------------------------- the default for each class of design
#: the most cells of a joint spectrum chosen by default (beyond: the pairwise spectra)
DEFAULT_JOINT_CELLS = 4096


def encoding_for_design(design: Any, **settings: Any) -> tuple["Encoder", str]:
    """(the default encoding of a design, with ``settings`` (not None) overriding it; why, in one line).

    One sequence: the central SNPs with distances. Loci of fixed SNP counts:
    all SNPs in order, no distances. Unlinked loci at a rate in two or more
    populations (RAD-like): the joint spectrum of every SNP (pairwise above
    ``DEFAULT_JOINT_CELLS`` cells), folded, projected under missing calls to
    ``sfs.called_haplotypes``. Other loci at a rate: evenly spaced SNPs. An
    image of haplotypes under missing calls gets a channel marking them, so
    that a missing call never looks like padding (0 under ``plus_minus``).
    """
    chosen = {key: value for key, value in settings.items() if value is not None}
    defaults: dict = {}
    if design.segregating_sites is not None:
        defaults = {"n_snps": sum(design.segregating_sites), "selection": "all", "distance_channel": False}
        why = f"loci of fixed SNP counts ({sum(design.segregating_sites)} SNPs): every SNP in order, no distances"
    elif not design.contiguous and len(design.populations) > 1:
        missing = design.missing
        m = sfs.called_haplotypes(design.samples, missing.rates, design.ploidy) if missing is not None else 0
        sizes = [min(m, n) if m else n for n in design.haplotypes_per_population]
        joint = int(numpy.prod([size + 1 for size in sizes])) <= DEFAULT_JOINT_CELLS
        defaults = {"layout": "joint_sfs" if joint else "pairwise_sfs", "sfs_haplotypes": m}
        why = (f"{design.locus_count} unlinked loci at a mutation rate: the {'joint' if joint else 'pairwise'} site "
               "frequency spectrum of every SNP (no linkage to read between loci; an image of haplotypes would be "
               "mostly padding)")
        if m:
            why += (f", each population projected to {m} haplotypes (its median number of called haplotypes under "
                    "the design's missing calls; sites with fewer are left out, so missing calls never look like "
                    "padding)")
    elif not design.contiguous:
        defaults = {"selection": "even", "distance_channel": False}
        why = "loci at a mutation rate: evenly spaced SNPs across the loci, no distances (positions restart per locus)"
    else:
        why = "one sequence: the central SNPs of each haplotype with their distances"
    layout = chosen.get("layout", defaults.get("layout", Encoder.layout))
    if design.missing is not None and layout not in SPECTRA and "missing_channel" not in chosen:
        defaults["missing_channel"] = True
        why += "; a channel marks the missing calls (apart from padding)"
    if design.missing is not None and layout in SPECTRA and not chosen.get("sfs_haplotypes", defaults.get(
            "sfs_haplotypes")):
        raise ValueError(f"the design has missing calls: layout {layout} needs sfs_haplotypes, the "
                         "haplotypes per population each site is projected down to (without it every site "
                         "with a missing call would be left out)")
    if "layout" in chosen and chosen["layout"] not in SPECTRA:
        defaults.pop("sfs_haplotypes", None)
    if chosen:
        why += " (given: " + ", ".join(f"{key}={value}" for key, value in chosen.items()) + ")"
    return Encoder(**{**defaults, **chosen}), why

