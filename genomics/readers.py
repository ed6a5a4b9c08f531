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
- ``read_alignments``: one FASTA, PHYLIP or NEXUS alignment per locus and a
  population map of sequence names; biallelic segregating sites are kept,
  gaps and ambiguity codes are missing calls, alleles are coded major 0 /
  minor 1, and each locus's S is checked against the design
  (``design_from_alignments`` writes a design from the data instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from genomics.design import SamplingDesign
from genomics.ms import read_ms_output
from genomics.textfile import read_text

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


def _locus_layout(sites: int, design: SamplingDesign, source: str,
                  more_allowed: bool = False) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(site_counts, positions) for ``sites`` columns under the design's loci (one block when ``more_allowed``)."""
    expected = design.segregating_sites
    if more_allowed and expected is not None and sites >= sum(expected):
        expected = None
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
                populations: str | None = None, more_sites_allowed: bool = False) -> Genotypes:
    """A 0/1 text matrix as ``Genotypes`` in the design's order; every problem names the file and line.

    ``more_sites_allowed``: a matrix with more sites than the design's loci
    hold is kept whole (one block), for predictions on random SNP subsets.
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    rows, width = [], None
    for number, line in enumerate(read_text(path, "matrix file").splitlines(), start=1):
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
    if not rows:
        raise ValueError(f"{path}: the matrix is empty")
    matrix = numpy.array(rows)
    if orientation == "sites-by-haplotypes":
        matrix = matrix.T
    blocks = parse_population_blocks(populations, f"{path} --populations") if populations else \
        list(zip(design.populations, design.haplotypes_per_population))
    haplotypes, order_report = _to_design_order(matrix, blocks, design, path)
    counts, positions = _locus_layout(haplotypes.shape[1], design, path, more_sites_allowed)
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


# ---------------------------------------------------------------------------- alignments
BASES = "ACGT"
ALIGNMENT_FORMATS = ("fasta", "phylip", "nexus")


def _alignment_format(path: str, text: str) -> str:
    head = text.lstrip()[:200].lower()
    if head.startswith(">"):
        return "fasta"
    if head.startswith("#nexus"):
        return "nexus"
    first = head.splitlines()[0].split() if head else []
    if len(first) == 2 and all(part.isdigit() for part in first):
        return "phylip"
    raise ValueError(f"{path}: not a FASTA ('>name'), PHYLIP ('ntax nchar') or NEXUS ('#NEXUS') alignment")


def read_alignment(path: str) -> dict[str, str]:
    """Sequence name -> aligned sequence (upper case) of a FASTA, PHYLIP (sequential or interleaved) or NEXUS file."""
    text = read_text(path, "alignment")
    kind = _alignment_format(path, text)
    sequences: dict[str, list[str]] = {}
    lines = text.splitlines()
    if kind == "fasta":
        name = None
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if line.startswith(">"):
                name = line[1:].split()[0] if line[1:].split() else ""
                if not name or name in sequences:
                    raise ValueError(f"{path}, line {number}: a sequence needs a unique name, got {line!r}")
                sequences[name] = []
            elif line:
                if name is None:
                    raise ValueError(f"{path}, line {number}: sequence data before the first '>name' line")
                sequences[name].append(line)
    elif kind == "phylip":
        header, *body = [line for line in lines if line.strip()]
        count, length = (int(v) for v in header.split()[:2])
        if count < 1 or length < 1:
            raise ValueError(f"{path}: the PHYLIP header {header.strip()!r} must announce at least one sequence "
                             "and one character")
        order: list[str] = []
        for index, line in enumerate(body):
            if index < count:
                parts = line.split()
                if len(parts) < 2:
                    raise ValueError(f"{path}: the line for sequence {index + 1} needs 'name sequence', got {line!r}")
                order.append(parts[0])
                sequences[parts[0]] = ["".join(parts[1:])]
            else:  # interleaved blocks continue the sequences in the same order
                sequences[order[index % count]].append("".join(line.split()))
        if len(sequences) != count:
            raise ValueError(f"{path}: the header announces {count} sequences, the file has {len(sequences)}")
        expected_length = length
    else:
        inside = False
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not inside:
                inside = stripped.lower().startswith("matrix")
                continue
            if stripped.startswith(";") or stripped.lower() == "end;":
                break
            if stripped and not stripped.startswith("["):
                parts = stripped.rstrip(";").split()
                if len(parts) < 2:
                    raise ValueError(f"{path}, line {number}: expected 'name sequence' in the matrix, got {line!r}")
                sequences.setdefault(parts[0].strip("'"), []).append("".join(parts[1:]))
            if stripped.endswith(";"):
                break
        if not sequences:
            raise ValueError(f"{path}: no MATRIX block with sequences")
    joined = {name: "".join(parts).upper() for name, parts in sequences.items()}
    lengths = {len(sequence) for sequence in joined.values()}
    if len(lengths) != 1:
        raise ValueError(f"{path}: sequences of unequal lengths {sorted(lengths)}: not an alignment")
    if kind == "phylip" and lengths != {expected_length}:
        raise ValueError(f"{path}: the header announces {expected_length} characters, the sequences have "
                         f"{lengths.pop()}")
    return joined


def alignment_sites(path: str, names: list[str]) -> tuple[numpy.ndarray, dict]:
    """Biallelic segregating sites of one alignment, rows in ``names``' order: (haplotypes, sites) int8 and a report.

    A, C, G, T are bases; anything else (gaps ``-``, ``N``, ``?``, IUPAC
    ambiguity codes) is a missing call. A column is kept when its called
    bases show exactly two alleles; the more frequent one is coded 0 and the
    other 1 (major/minor; at a tie the alphabetically first is 0). Columns
    with three or four alleles are dropped and counted.
    """
    sequences = read_alignment(path)
    absent = [name for name in names if name not in sequences]
    if absent:
        raise ValueError(f"{path}: sequences {absent[:5]} of the population map are not in the alignment")
    matrix = numpy.array([list(sequences[name]) for name in names])
    columns, dropped_multiallelic, with_missing = [], 0, 0
    for column in matrix.T:
        called = column[numpy.isin(column, list(BASES))]
        alleles, counts = numpy.unique(called, return_counts=True)
        if len(alleles) > 2:
            dropped_multiallelic += 1
        if len(alleles) != 2:
            continue
        major = alleles[numpy.argmax(counts)]  # numpy.unique sorts: argmax takes the first of tied counts
        coded = numpy.where(column == major, 0, 1).astype(numpy.int8)
        coded[~numpy.isin(column, list(BASES))] = MISSING
        with_missing += int((coded == MISSING).any())
        columns.append(coded)
    genotypes = numpy.array(columns, dtype=numpy.int8).T if columns else numpy.zeros((len(names), 0), numpy.int8)
    report = {"file": path, "length": int(matrix.shape[1]), "segregating_sites": len(columns),
              "dropped_more_than_two_alleles": dropped_multiallelic, "sites_with_missing_calls": with_missing,
              "sequences_in_file": len(sequences), "sequences_used": len(names)}
    return genotypes, report


def _names_by_population(population_map: dict[str, str], populations: list[str], source: str) -> list[list[str]]:
    unknown = sorted(set(population_map.values()) - set(populations))
    if unknown:
        raise ValueError(f"{source}: populations {unknown} are not in the model's {populations}")
    return [[name for name, population in population_map.items() if population == wanted] for wanted in populations]


def read_alignments(paths: list[str], population_map: dict[str, str], design: SamplingDesign,
                    more_sites_allowed: bool = False) -> Genotypes:
    """One alignment per locus (in the design's locus order) as ``Genotypes``; per-locus S checked against the design.

    ``more_sites_allowed``: a locus may hold more segregating sites than the
    design's S (never fewer), for predictions on random SNP subsets.

    The population map names sequences (haplotypes); each population's
    sequences must number exactly the design's haplotypes for it.
    """
    groups = _names_by_population(population_map, design.populations, "population map")
    for population, names, expected in zip(design.populations, groups, design.haplotypes_per_population):
        if len(names) != expected:
            raise ValueError(f"population map: population {population!r} has {len(names)} sequences but the model "
                             f"was trained on {expected} haplotypes")
    names = [name for group in groups for name in group]
    expected_sites = design.segregating_sites
    loci = design.locus_names
    if len(paths) != len(loci):
        raise ValueError(f"{len(paths)} alignment files for the design's {len(loci)} loci ({', '.join(loci[:6])}"
                         f"{'...' if len(loci) > 6 else ''}); give one file per locus, in that order")
    blocks, positions, reports = [], [], []
    for index, path in enumerate(paths):
        genotypes, report = alignment_sites(path, names)
        found = genotypes.shape[1]
        if expected_sites is not None and (found < expected_sites[index] or (
                found > expected_sites[index] and not more_sites_allowed)):
            raise ValueError(f"{path}: locus {loci[index]!r} has {found} biallelic segregating sites but the design "
                             f"has {expected_sites[index]}" + ("" if more_sites_allowed else
                                                               " (with more, predict on random subsets: --subsets)"))
        blocks.append(genotypes)
        positions.append((numpy.arange(genotypes.shape[1]) + 0.5) / max(genotypes.shape[1], 1))
        reports.append(report)
    haplotypes = numpy.concatenate(blocks, axis=1)
    report = {"format": "alignments", "loci": reports, "sites": int(haplotypes.shape[1]),
              "missing_calls": int((haplotypes == MISSING).sum())}
    return Genotypes(haplotypes, numpy.concatenate(positions), numpy.array([b.shape[1] for b in blocks]),
                     design.haplotype_populations, list(design.populations), report)


def random_subset(data: Genotypes, design: SamplingDesign, size: int, generator: numpy.random.Generator) -> Genotypes:
    """A random subset of the data's sites that the model takes: per locus when the data's loci match the design's
    (S of each locus), else ``size`` sites drawn over all sites; kept in their original order."""
    expected = design.segregating_sites
    starts = numpy.concatenate([[0], numpy.cumsum(data.site_counts)])
    if expected is not None and len(expected) == len(data.site_counts):
        chosen = [start + numpy.sort(generator.choice(count, size=want, replace=False))
                  for start, count, want in zip(starts[:-1], data.site_counts, expected)]
        columns, counts = numpy.concatenate(chosen), numpy.array(expected)
    else:
        if data.haplotypes.shape[1] < size:
            raise ValueError(f"the data have {data.haplotypes.shape[1]} sites, fewer than the {size} of a subset")
        columns = numpy.sort(generator.choice(data.haplotypes.shape[1], size=size, replace=False))
        counts = numpy.array(expected) if expected is not None else numpy.array([size])
    positions = numpy.concatenate([(numpy.arange(c) + 0.5) / c for c in counts]) if expected is not None \
        else data.positions[columns]
    return Genotypes(data.haplotypes[:, columns], positions, counts, data.haplotype_populations,
                     data.population_names, {**data.report, "subset_of_sites": int(columns.size)})


def design_from_alignments(paths: list[str], population_map: dict[str, str]) -> dict:
    """A [design] table (haplotypes as samples, ploidy 1, one fixed-S locus per file) describing these data."""
    populations = list(dict.fromkeys(population_map.values()))
    groups = _names_by_population(population_map, populations, "population map")
    names = [name for group in groups for name in group]
    loci = []
    for path in paths:
        genotypes, _ = alignment_sites(path, names)
        if genotypes.shape[1] == 0:
            raise ValueError(f"{path}: no biallelic segregating site; leave this locus out of the design")
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        loci.append({"name": stem, "count": 1, "segregating_sites": int(genotypes.shape[1])})
    return {"populations": populations, "samples": [len(group) for group in groups], "ploidy": 1, "loci": loci}
