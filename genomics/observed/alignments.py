"""Alignments of loci (FASTA, PHYLIP, NEXUS) as the genotypes object: one file per locus.

Biallelic segregating sites are kept, gaps and ambiguity codes are missing
calls, alleles are coded major 0 / minor 1, a site's position is its column
(1-based) and a locus is as long as its alignment; each locus's S is checked
against the design (``design_from_alignments`` writes a design from the
data instead).
"""

from __future__ import annotations

import numpy

from genomics.errors import SettingError, braces_doubled
from genomics.scenario.design import SamplingDesign
from genomics.genotypes import MISSING, Genotypes
from genomics.textfile import read_text

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


def alignment_sites(path: str, names: list[str]) -> tuple[numpy.ndarray, numpy.ndarray, dict]:
    """Biallelic segregating sites of one alignment, rows in ``names``' order: (haplotypes, sites) int8, their
    1-based columns in the alignment (sites,), and a report.

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
    matrix = numpy.frombuffer("".join(sequences[name] for name in names).encode("ascii", "replace"),
                              dtype=numpy.uint8).reshape(len(names), -1)
    counts = numpy.stack([(matrix == ord(base)).sum(axis=0) for base in BASES])  # (4, columns)
    alleles = (counts > 0).sum(axis=0)
    kept = numpy.flatnonzero(alleles == 2)
    # the major allele: the most frequent, the alphabetically first at a tie (argmax takes the first maximum)
    major = numpy.array([ord(base) for base in BASES], dtype=numpy.uint8)[counts[:, kept].argmax(axis=0)]
    columns = matrix[:, kept]
    called = numpy.isin(columns, numpy.frombuffer(BASES.encode(), dtype=numpy.uint8))
    genotypes = numpy.where(called, (columns != major[None, :]).astype(numpy.int8), MISSING).astype(numpy.int8)
    report = {"file": path, "length": int(matrix.shape[1]), "segregating_sites": int(kept.size),
              "dropped_more_than_two_alleles": int((alleles > 2).sum()),
              "sites_with_missing_calls": int((~called).any(axis=0).sum()),
              "sequences_in_file": len(sequences), "sequences_used": len(names)}
    return genotypes, kept + 1.0, report


def _names_by_population(population_map: dict[str, str], populations: list[str], source: str) -> list[list[str]]:
    unknown = sorted(set(population_map.values()) - set(populations))
    if unknown:
        raise ValueError(f"{source}: populations {unknown} are not in the model's {populations}")
    return [[name for name, population in population_map.items() if population == wanted] for wanted in populations]


def read_alignments(paths: list[str], population_map: dict[str, str], design: SamplingDesign,
                    more_sites_allowed: bool = False) -> Genotypes:
    """One alignment per locus (in the design's locus order) as ``Genotypes``; per-locus S checked against the design.

    Each alignment is one locus, of its length in bases; a site's position
    is its column (1-based). An alignment without a biallelic site is a
    locus without sites (an invariant locus).
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
        raise ValueError(f"{len(paths)} alignment files (one locus each) for the model's {design.describe_loci()}; "
                         "give one file per locus, in the design's order")
    blocks, positions, lengths, reports = [], [], [], []
    for index, path in enumerate(paths):
        genotypes, columns, report = alignment_sites(path, names)
        found = genotypes.shape[1]
        if expected_sites is not None and (found < expected_sites[index] or (
                found > expected_sites[index] and not more_sites_allowed)):
            if more_sites_allowed:
                raise ValueError(f"{path}: locus {loci[index]!r} has {found} biallelic segregating sites but the "
                                 f"design has {expected_sites[index]}")
            raise SettingError(f"{braces_doubled(path)}: locus {braces_doubled(repr(loci[index]))} has {found} "
                               f"biallelic segregating sites but the design has {expected_sites[index]} (with more, "
                               "predict on random subsets: {subsets})")
        blocks.append(genotypes)
        positions.append(columns)
        lengths.append(report["length"])
        reports.append(report)
    haplotypes = numpy.concatenate(blocks, axis=1)
    report = {"format": "alignments", "loci": reports, "sites": int(haplotypes.shape[1]),
              "missing_calls": int((haplotypes == MISSING).sum()),
              "loci_without_sites": sum(block.shape[1] == 0 for block in blocks)}
    return Genotypes(haplotypes, numpy.concatenate(positions), numpy.array([b.shape[1] for b in blocks]),
                     design.haplotype_populations, list(design.populations), ploidy=design.ploidy,
                     locus_lengths=numpy.array(lengths, dtype=float),
                     provenance={"file": f"{len(paths)} alignments ({paths[0]}{', ...' if len(paths) > 1 else ''})"},
                     report=report)


def design_from_alignments(paths: list[str], population_map: dict[str, str]) -> dict:
    """A [design] table (haplotypes as samples, ploidy 1, one fixed-S locus per file) describing these data."""
    populations = list(dict.fromkeys(population_map.values()))
    groups = _names_by_population(population_map, populations, "population map")
    names = [name for group in groups for name in group]
    loci = []
    for path in paths:
        genotypes, _, _ = alignment_sites(path, names)
        if genotypes.shape[1] == 0:
            raise ValueError(f"{path}: no biallelic segregating site; leave this locus out of the design")
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        loci.append({"name": stem, "count": 1, "segregating_sites": int(genotypes.shape[1])})
    return {"populations": populations, "samples": [len(group) for group in groups], "ploidy": 1, "loci": loci}
