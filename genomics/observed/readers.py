"""Observed data as the genotypes object simulations produce (``genomics.genotypes.Genotypes``), for the same
encoder and statistics.

Readers here:

- ``read_matrix``: a whitespace-separated text matrix (haplotypes x
  sites, or sites x haplotypes, or detected from the design's haplotype
  count), coded 0/1 with ``N``, ``?``, ``-`` or ``9`` for a missing call, or
  -1/+1/0 as Perez et al.'s empirical files (-1 reference, +1 alternative,
  0 missing; detected from the -1 values, or given); populations given as ``name:count`` blocks in the file's row
  order. A matrix has no positions. Its loci: the sizes the user gives
  (``--locus-sizes``), or a fixed-S design's S, or one locus for a design of
  one sequence; a design of several loci at a rate is refused without sizes.
- ``read_ms``: ms output, one replicate per data set (or per locus).
- ``read_alignments`` (``genomics.observed.alignments``): one FASTA, PHYLIP or NEXUS
  alignment per locus and a population map of sequence names.
- VCFs: ``genomics.observed.vcf`` (windows of a genome) and ``genomics.observed.vcf_loci``
  (one contig or BED region per locus).
"""

from __future__ import annotations

import numpy

from genomics.observed.alignments import alignment_sites, design_from_alignments, read_alignment, read_alignments
from genomics.scenario.design import SamplingDesign
from genomics.errors import SettingError, braces_doubled
from genomics.genotypes import MISSING, Genotypes, GenotypesError, GenotypesSettingError
from genomics.observed.ms_output import read_ms_output
from genomics.textfile import read_text

__all__ = ["Genotypes", "GenotypesError", "MISSING", "read_matrix", "read_ms", "read_alignments", "read_alignment",
           "alignment_sites", "random_subset", "design_from_alignments", "parse_locus_sizes",
           "parse_population_blocks"]

MISSING_CODES = ("N", "?", "-", "9")
ORIENTATIONS = ("haplotypes-by-sites", "sites-by-haplotypes", "auto")
#: How a matrix writes its calls: 0/1 (missing N ? - 9), or Perez et al.'s -1 = reference, +1 = alternative,
#: 0 = missing (the encoder's plus_minus coding); "auto" tells them apart by the values present.
MATRIX_CODINGS = ("auto", "zero-one", "plus-minus")
CODING_VALUES = {"zero-one": {"0": 0, "1": 1, **{code: MISSING for code in MISSING_CODES},
                              **{code.lower(): MISSING for code in MISSING_CODES}},
                 "plus-minus": {"-1": 0, "1": 1, "+1": 1, "0": MISSING}}
CODING_WORDS = {"zero-one": "0/1 (0 reference, 1 alternative, N ? - 9 missing)",
                "plus-minus": "-1/+1/0 (-1 reference, +1 alternative, 0 missing)"}


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


def parse_locus_sizes(text: str, where: str = "--locus-sizes") -> list[int]:
    """Sites per locus from ``"3,1,2"`` or from a file holding such numbers (commas, spaces or lines)."""
    source = text
    if not text.replace(",", "").replace(" ", "").isdigit():
        source = read_text(text, "locus sizes file")
    values = [part for part in source.replace(",", " ").split()]
    if not values or not all(value.isdigit() for value in values):
        raise ValueError(f"{where}: expected the number of sites of each locus, comma-separated (3,1,2) or in a "
                         f"file, got {text[:60]!r}")
    return [int(value) for value in values]


def _locus_layout(sites: int, design: SamplingDesign, source: str, more_allowed: bool = False,
                  locus_sizes: list[int] | None = None) -> numpy.ndarray | None:
    """The site counts of ``sites`` columns under the design's loci, or None where nothing says where loci begin.

    ``locus_sizes`` (the user's) must add up to ``sites`` and hold one entry
    per locus of the design (fixed-S designs: each at least S, exactly S
    unless ``more_allowed``). Without them: a fixed-S design's loci (their
    total, or one block of more sites when ``more_allowed``), one locus for
    a design of one sequence, and otherwise None (the caller refuses).
    """
    expected = design.segregating_sites
    if locus_sizes is not None:
        counts = numpy.array(locus_sizes, dtype=numpy.int64)
        if counts.sum() != sites:
            raise ValueError(f"{source}: the locus sizes add up to {counts.sum()} sites but the data have {sites}")
        if design.locus_count != counts.size:
            raise SettingError(f"{braces_doubled(source)}: the data have {counts.size} loci ({{locus_sizes}}) but the "
                               f"model's design has {braces_doubled(design.describe_loci())}")
        if expected is not None:
            wrong = [i for i, (c, s) in enumerate(zip(counts, expected)) if c < s or (c > s and not more_allowed)]
            if wrong:
                i = wrong[0]
                raise ValueError(f"{source}: locus {design.locus_names[i]!r} has {counts[i]} sites but the design "
                                 f"has {expected[i]} ({len(wrong)} loci differ)")
        return counts
    if more_allowed and expected is not None and sites >= sum(expected):
        return numpy.array([sites])
    if expected is not None:
        if sites != sum(expected):
            raise ValueError(f"{source}: {sites} sites, but the model's design has {sum(expected)} segregating sites "
                             f"in {len(expected)} loci ({', '.join(map(str, expected[:12]))}"
                             f"{', ...' if len(expected) > 12 else ''})")
        return numpy.array(expected)
    if design.locus_count == 1:
        return numpy.array([sites])
    return None


def _matrix_tokens(path: str) -> tuple[numpy.ndarray, list[int]]:
    """(the values of a whitespace-separated matrix as strings (rows, columns), each row's line number)."""
    rows, numbers = [], []
    for number, line in enumerate(read_text(path, "matrix file").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if rows and len(fields) != len(rows[0]):
            raise ValueError(f"{path}, line {number}: {len(fields)} values, but the first row has {len(rows[0])}")
        rows.append(fields)
        numbers.append(number)
    if not rows:
        raise ValueError(f"{path}: the matrix is empty")
    return numpy.array(rows, dtype=str), numbers


def matrix_coding(tokens: numpy.ndarray, path: str, coding: str = "auto") -> str:
    """The coding of a matrix's values: ``coding`` where given, else "plus-minus" where a -1 (or +1) appears and
    "zero-one" where only 0/1 and missing codes do; a matrix of 0s and missing codes only is refused (all
    reference in one coding, all missing in the other)."""
    if coding not in MATRIX_CODINGS:
        raise ValueError(f"coding must be one of {MATRIX_CODINGS}, got {coding!r}")
    if coding != "auto":
        return coding
    values = set(numpy.unique(tokens).tolist())
    if values & {"-1", "+1"}:
        return "plus-minus"
    if "1" not in values and "0" in values:
        raise SettingError(f"{braces_doubled(path)}: every value is 0 or a missing code, which is all reference calls "
                           "in the 0/1 coding but all missing calls in the -1/+1/0 coding; give the coding ({coding} "
                           "zero-one or {coding} plus-minus)")
    return "zero-one"


def matrix_orientation(shape: tuple[int, int], haplotypes: int, path: str, orientation: str) -> str:
    """``orientation`` where given; for "auto", the side of the matrix that has the design's number of haplotypes
    (refused where both or neither do)."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    if orientation != "auto":
        return orientation
    rows, columns = shape
    if rows == haplotypes and columns == haplotypes:
        raise SettingError(f"{braces_doubled(path)}: {rows} rows and {columns} columns, and the model takes "
                           f"{haplotypes} haplotypes: either side could be the haplotypes; give {{orientation}} "
                           "haplotypes-by-sites or sites-by-haplotypes")
    if haplotypes not in (rows, columns):
        raise ValueError(f"{path}: {rows} rows and {columns} columns, but the model takes {haplotypes} haplotypes "
                         "(neither side matches)")
    return "haplotypes-by-sites" if rows == haplotypes else "sites-by-haplotypes"


def decode_matrix(tokens: numpy.ndarray, line_numbers: list[int], coding: str, path: str,
                  detected: bool) -> numpy.ndarray:
    """(rows, columns) int8 calls (1 alternative, 0 reference, ``MISSING``) of the values in ``coding``; the first
    value outside it is named with its line and column."""
    table = CODING_VALUES[coding]
    calls = numpy.full(tokens.shape, MISSING, dtype=numpy.int8)
    known = numpy.zeros(tokens.shape, dtype=bool)
    for value, call in table.items():
        where = tokens == value
        calls[where], known[where] = call, True
    if not known.all():
        row, column = numpy.argwhere(~known)[0]
        expected = "0, 1 or a missing code (" + ", ".join(MISSING_CODES) + ")" if coding == "zero-one" else \
            "-1, +1 (or 1) or 0 (missing)" + (", the -1/+1/0 coding detected from its -1 values" if detected else "")
        raise ValueError(f"{path}, line {line_numbers[row]}, column {column + 1}: {str(tokens[row, column])!r} is not "
                         f"{expected}")
    return calls


def read_matrix(path: str, design: SamplingDesign, orientation: str = "haplotypes-by-sites",
                populations: str | None = None, more_sites_allowed: bool = False,
                locus_sizes: list[int] | None = None, coding: str = "auto") -> Genotypes:
    """A text matrix of calls as ``Genotypes`` in the design's order; every problem names the file and line.

    ``coding``: "zero-one" (0/1, missing N ? - 9), "plus-minus" (Perez et
    al.'s empirical files: -1 reference, +1 alternative, 0 missing) or
    "auto" (plus-minus where a -1 appears; see ``matrix_coding``).
    ``orientation``: haplotypes x sites, sites x haplotypes, or "auto" (the
    side with the design's haplotype count, or the ``populations`` blocks'
    total). The report says which coding and orientation were used and
    whether each was given or detected.

    A matrix has no positions (``positions`` is None). Its loci: the
    ``locus_sizes`` given (sites of each locus, in the design's order), or a
    fixed-S design's S, or one locus for a design of one sequence; a design
    of several loci with mutations at a rate is refused without sizes (its
    loci hold different numbers of SNPs, which the matrix does not say).
    ``more_sites_allowed``: a matrix with more sites than the design's loci
    hold is kept whole (one block), for predictions on random SNP subsets.
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    if coding not in MATRIX_CODINGS:
        raise ValueError(f"coding must be one of {MATRIX_CODINGS}, got {coding!r}")
    tokens, line_numbers = _matrix_tokens(path)
    used_coding = matrix_coding(tokens, path, coding)
    matrix = decode_matrix(tokens, line_numbers, used_coding, path, detected=coding == "auto")
    blocks = parse_population_blocks(populations, f"{path} --populations") if populations else \
        list(zip(design.populations, design.haplotypes_per_population))
    used_orientation = matrix_orientation(matrix.shape, sum(count for _, count in blocks), path, orientation)
    if used_orientation == "sites-by-haplotypes":
        matrix = matrix.T
    haplotypes, order_report = _to_design_order(matrix, blocks, design, path)
    counts = _locus_layout(haplotypes.shape[1], design, path, more_sites_allowed, locus_sizes)
    if counts is None:
        raise GenotypesSettingError(f"{braces_doubled(path)}: a 0/1 matrix does not say where its loci begin, and the "
                                    f"model's design has {braces_doubled(design.describe_loci())} holding different "
                                    "numbers of SNPs: give each locus's number of SNPs with {locus_sizes} "
                                    "(comma-separated, or a file)")
    report = {"source": path, "format": f"{'0/1' if used_coding == 'zero-one' else '-1/+1/0'} matrix",
              "coding": CODING_WORDS[used_coding], "coding_from": "detected" if coding == "auto" else "given",
              "orientation": used_orientation, "orientation_from": "detected" if orientation == "auto" else "given",
              "sites": int(haplotypes.shape[1]),
              "haplotypes": int(haplotypes.shape[0]), "missing_calls": int((haplotypes == MISSING).sum()),
              "loci_from": "--locus-sizes" if locus_sizes is not None else (
                  "the design's segregating sites" if design.segregating_sites is not None else "one locus"),
              "positions": "none (a matrix has none)", **order_report}
    return Genotypes(haplotypes, None, counts, design.haplotype_populations, list(design.populations),
                     ploidy=design.ploidy, provenance={"file": path, "coding": report["coding"],
                                                       "orientation": used_orientation}, report=report)


def read_ms(path: str, design: SamplingDesign, populations: str | None = None) -> list[Genotypes]:
    """Every data set of an ms output file as ``Genotypes`` (positions as ms writes them, fractions of each locus
    in [0, 1), so each locus is 1 long in those units).

    For a design of several loci, ms run once per locus (as such studies
    do) writes one replicate per locus: consecutive replicates, as many as
    the design's loci (with the design's S where it fixes them), are one
    data set. Otherwise each replicate is one data set of one locus.
    """
    blocks = parse_population_blocks(populations, f"{path} --populations") if populations else \
        list(zip(design.populations, design.haplotypes_per_population))
    replicates = read_ms_output(path, haplotypes=sum(count for _, count in blocks))
    expected, loci = design.segregating_sites, design.locus_count
    per_locus = loci > 1 and len(replicates) % loci == 0 and (expected is None or all(
        g.shape[1] == expected[i % loci] for i, (g, _) in enumerate(replicates)))
    if loci > 1 and not per_locus and expected is None:
        raise ValueError(f"{path}: {len(replicates)} ms replicates cannot be grouped into data sets of the model's "
                         f"{design.describe_loci()} (one replicate per locus)")
    groups = [replicates[i : i + loci] for i in range(0, len(replicates), loci)] if per_locus else \
        [[replicate] for replicate in replicates]
    data = []
    for group in groups:
        genotypes = numpy.concatenate([g for g, _ in group], axis=1)
        haplotypes, order_report = _to_design_order(genotypes, blocks, design, path)
        counts = numpy.array([g.shape[1] for g, _ in group]) if per_locus else \
            _locus_layout(haplotypes.shape[1], design, path)
        report = {"source": path, "format": "ms", "sites": int(haplotypes.shape[1]),
                  "ms_replicates_per_data_set": len(group), **order_report}
        data.append(Genotypes(haplotypes, numpy.concatenate([p for _, p in group]), counts,
                              design.haplotype_populations, list(design.populations), ploidy=design.ploidy,
                              locus_lengths=numpy.ones(len(counts)), provenance={"file": path}, report=report))
    return data


def random_subset(data: Genotypes, design: SamplingDesign, size: int, generator: numpy.random.Generator) -> Genotypes:
    """A random subset of the data's sites that the model takes: per locus when the data's loci match the design's
    (S of each locus), else ``size`` sites drawn over all sites; kept in their original order."""
    expected = design.segregating_sites
    if expected is not None and data.site_counts is not None and len(expected) == len(data.site_counts):
        starts = numpy.concatenate([[0], numpy.cumsum(data.site_counts)])
        chosen = [start + numpy.sort(generator.choice(count, size=want, replace=False))
                  for start, count, want in zip(starts[:-1], data.site_counts, expected)]
        columns, counts = numpy.concatenate(chosen), numpy.array(expected)
    else:
        if data.sites < size:
            raise ValueError(f"the data have {data.sites} sites, fewer than the {size} of a subset")
        columns = numpy.sort(generator.choice(data.sites, size=size, replace=False))
        counts = numpy.array(expected) if expected is not None else numpy.array([size])
    return data.site_subset(columns, counts, subset_of_sites=int(columns.size))
