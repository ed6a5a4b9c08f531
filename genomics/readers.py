"""Observed data as the genotypes object simulations produce, for the same encoder.

``Genotypes`` holds what every reader returns: ``haplotypes (haplotypes,
sites)`` int8 (1 = derived or minor-coded allele, 0 = the other, -1 =
missing), ``positions`` within each locus, ``site_counts`` (sites of each
locus, in the design's order), the sampled population of each haplotype,
and a ``report`` of what was kept, dropped or reordered.

Readers here:

- ``read_matrix``: a whitespace-separated 0/1 text matrix (haplotypes x
  sites, or sites x haplotypes), with ``N``, ``?``, ``-`` or ``9`` for a
  missing call; populations given as ``name:count`` blocks in the file's row
  order. Locus boundaries come from the design: for a design with a fixed
  number of SNPs per locus, the matrix must have their total.
- ``read_ms``: ms output, one replicate per data set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from genomics.design import SamplingDesign
from genomics.ms import read_ms_output

MISSING = -1
MISSING_CODES = ("N", "?", "-", "9")
ORIENTATIONS = ("haplotypes-by-sites", "sites-by-haplotypes")


@dataclass
class Genotypes:
    """One observed data set, in the design's haplotype order; see the module docstring."""

    haplotypes: numpy.ndarray                 # (haplotypes, sites) int8: 1, 0, MISSING
    positions: numpy.ndarray                  # (sites,) within each locus
    site_counts: numpy.ndarray                # (loci,) sites per locus copy
    haplotype_populations: numpy.ndarray      # (haplotypes,) index into population_names
    population_names: list[str]
    report: dict = field(default_factory=dict)

    @property
    def missing_fraction(self) -> float:
        return float((self.haplotypes == MISSING).mean()) if self.haplotypes.size else 0.0


def parse_population_blocks(text: str, where: str) -> list[tuple[str, int]]:
    """``"north:10,south:12"`` as [("north", 10), ("south", 12)]."""
    blocks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition(":")
        try:
            blocks.append((name.strip(), int(count)))
        except ValueError:
            raise ValueError(f"{where}: expected name:count blocks such as north:10,south:12, got {part!r}") from None
        if not name.strip() or blocks[-1][1] < 1:
            raise ValueError(f"{where}: expected name:count with a positive count, got {part!r}")
    return blocks


def _to_design_order(rows: numpy.ndarray, blocks: list[tuple[str, int]], design: SamplingDesign,
                     source: str) -> tuple[numpy.ndarray, dict]:
    """Rows grouped by population in the file's order, put into the design's population order and checked."""
    if sum(count for _, count in blocks) != rows.shape[0]:
        raise ValueError(f"{source}: the population blocks {blocks} add up to {sum(c for _, c in blocks)} "
                         f"haplotypes but the data have {rows.shape[0]}")
    names = [name for name, _ in blocks]
    unknown = sorted(set(names) - set(design.populations))
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"{source}: populations {unknown or names} do not match the model's {design.populations} "
                         "(each once)")
    starts = numpy.cumsum([0] + [count for _, count in blocks])
    ordered = []
    for population, expected in zip(design.populations, design.haplotypes_per_population):
        if population not in names:
            raise ValueError(f"{source}: no haplotypes of population {population!r}, which the model was trained on")
        k = names.index(population)
        if blocks[k][1] != expected:
            raise ValueError(f"{source}: population {population!r} has {blocks[k][1]} haplotypes but the model was "
                             f"trained on {expected}")
        ordered.append(rows[starts[k] : starts[k + 1]])
    return numpy.concatenate(ordered), {"populations_in_file": names, "reordered": names != design.populations}


def _locus_layout(sites: int, design: SamplingDesign, source: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(site_counts, positions) for ``sites`` columns under the design's loci."""
    expected = design.segregating_sites
    if expected is not None:
        if sites != sum(expected):
            raise ValueError(f"{source}: {sites} sites, but the model's design has {sum(expected)} segregating sites "
                             f"in {len(expected)} loci ({', '.join(map(str, expected))})")
        counts = numpy.array(expected)
    else:
        counts = numpy.array([sites])
    positions = numpy.concatenate([(numpy.arange(c) + 0.5) / c for c in counts]) if sites else numpy.zeros(0)
    return counts, positions


def read_matrix(path: str, design: SamplingDesign, orientation: str = "haplotypes-by-sites",
                populations: str | None = None) -> Genotypes:
    """A 0/1 text matrix as ``Genotypes`` in the design's order; every problem names the file and line."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    rows, width = [], None
    try:
        with open(path) as handle:
            for number, line in enumerate(handle, start=1):
                fields = line.split()
                if not fields:
                    continue
                if width is None:
                    width = len(fields)
                elif len(fields) != width:
                    raise ValueError(f"{path}, line {number}: {len(fields)} values, but the first row has {width}")
                row = numpy.empty(len(fields), dtype=numpy.int8)
                for column, value in enumerate(fields):
                    if value in ("0", "1"):
                        row[column] = int(value)
                    elif value.upper() in MISSING_CODES:
                        row[column] = MISSING
                    else:
                        raise ValueError(f"{path}, line {number}, column {column + 1}: {value!r} is not 0, 1 or a "
                                         f"missing code ({', '.join(MISSING_CODES)})")
                rows.append(row)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    if not rows:
        raise ValueError(f"{path}: the matrix is empty")
    matrix = numpy.array(rows)
    if orientation == "sites-by-haplotypes":
        matrix = matrix.T
    blocks = parse_population_blocks(populations, f"{path} --populations") if populations else \
        list(zip(design.populations, design.haplotypes_per_population))
    haplotypes, order_report = _to_design_order(matrix, blocks, design, path)
    counts, positions = _locus_layout(haplotypes.shape[1], design, path)
    report = {"source": path, "format": "0/1 matrix", "orientation": orientation, "sites": int(haplotypes.shape[1]),
              "haplotypes": int(haplotypes.shape[0]), "missing_calls": int((haplotypes == MISSING).sum()),
              **order_report}
    return Genotypes(haplotypes, positions, counts, design.haplotype_populations, list(design.populations), report)


def read_ms(path: str, design: SamplingDesign, populations: str | None = None) -> list[Genotypes]:
    """Every data set of an ms output file as ``Genotypes`` (positions as ms writes them, in [0, 1)).

    For a design of several loci with fixed SNP counts, ms run once per locus
    (as such studies do) writes one replicate per locus: consecutive
    replicates whose site counts follow the design's loci are one data set.
    Otherwise each replicate is one data set.
    """
    blocks = parse_population_blocks(populations, f"{path} --populations") if populations else \
        list(zip(design.populations, design.haplotypes_per_population))
    replicates = read_ms_output(path, haplotypes=sum(count for _, count in blocks))
    expected = design.segregating_sites
    per_locus = expected is not None and len(expected) > 1 and len(replicates) % len(expected) == 0 and all(
        g.shape[1] == expected[i % len(expected)] for i, (g, _) in enumerate(replicates))
    if per_locus:
        groups = [replicates[i : i + len(expected)] for i in range(0, len(replicates), len(expected))]
    else:
        groups = [[replicate] for replicate in replicates]
    data = []
    for group in groups:
        genotypes = numpy.concatenate([g for g, _ in group], axis=1)
        haplotypes, order_report = _to_design_order(genotypes, blocks, design, path)
        counts, _ = _locus_layout(haplotypes.shape[1], design, path)
        report = {"source": path, "format": "ms", "sites": int(haplotypes.shape[1]),
                  "ms_replicates_per_data_set": len(group), **order_report}
        data.append(Genotypes(haplotypes, numpy.concatenate([p for _, p in group]), counts,
                              design.haplotype_populations, list(design.populations), report))
    return data
