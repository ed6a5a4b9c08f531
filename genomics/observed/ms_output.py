"""Hudson's ms output as genotype matrices: ``//`` blocks with ``segsites:``, ``positions:`` and one 0/1 line per
haplotype (``read_ms_output``).
"""

from __future__ import annotations

import numpy

from genomics.textfile import read_text


def _check_positions(positions: numpy.ndarray, path: str, line: int, replicate: int) -> None:
    """ms writes positions in [0, 1), in increasing order (printed to 4 decimals, so 1.0000 and ties occur); any
    other value would place sites where the encoder reads distances, so it is refused naming the replicate."""
    outside = numpy.flatnonzero((positions < 0) | (positions > 1))
    if outside.size:
        raise ValueError(f"{path}, line {line}: replicate {replicate} has the position {positions[outside[0]]:g}, "
                         "outside [0, 1] where ms writes positions")
    decreasing = numpy.flatnonzero(numpy.diff(positions) < 0)
    if decreasing.size:
        k = decreasing[0]
        raise ValueError(f"{path}, line {line}: replicate {replicate} has the position {positions[k + 1]:g} after "
                         f"{positions[k]:g}; ms writes positions in increasing order")


def read_ms_output(path: str, haplotypes: int | None = None) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """(genotypes (haplotypes, sites) int8, positions (sites,) in [0, 1)) of each replicate in an ms output file."""
    lines = read_text(path, "ms output file").splitlines()
    replicates, number = [], 0
    while number < len(lines):
        if not lines[number].startswith("//"):
            number += 1
            continue
        start = number + 1
        if start >= len(lines) or not lines[start].startswith("segsites:"):
            raise ValueError(f"{path}, line {start + 1}: expected 'segsites: S' after '//'")
        try:
            sites = int(lines[start].split(":", 1)[1])
        except ValueError:
            sites = -1
        if sites < 0:
            raise ValueError(f"{path}, line {start + 1}: expected 'segsites: S' with S a whole number >= 0, "
                             f"got {lines[start]!r}")
        if sites == 0:
            n = haplotypes or 0
            replicates.append((numpy.zeros((n, 0), numpy.int8), numpy.zeros(0)))
            number = start + 1
            continue
        if start + 1 >= len(lines) or not lines[start + 1].startswith("positions:"):
            raise ValueError(f"{path}, line {start + 2}: expected 'positions:'")
        try:
            positions = numpy.array([float(x) for x in lines[start + 1].split(":", 1)[1].split()])
        except ValueError:
            positions = numpy.array([numpy.nan])
        if not numpy.isfinite(positions).all():
            raise ValueError(f"{path}, line {start + 2}: positions must be numbers, got {lines[start + 1][:60]!r}")
        if positions.size != sites:
            raise ValueError(f"{path}, line {start + 2}: {positions.size} positions for {sites} segregating sites")
        _check_positions(positions, path, start + 2, len(replicates) + 1)
        rows, number = [], start + 2
        while number < len(lines) and lines[number].strip() and not lines[number].startswith("//"):
            row = lines[number].strip()
            if len(row) != sites or set(row) - {"0", "1"}:
                raise ValueError(f"{path}, line {number + 1}: expected {sites} characters 0 or 1, got {row[:40]!r}")
            rows.append(numpy.frombuffer(row.encode(), dtype=numpy.uint8) - ord("0"))
            number += 1
        if haplotypes is not None and len(rows) != haplotypes:
            raise ValueError(f"{path}: a replicate has {len(rows)} haplotypes, the design {haplotypes}")
        replicates.append((numpy.array(rows, dtype=numpy.int8), positions))
    if not replicates:
        raise ValueError(f"{path}: no ms replicate (no line starting with '//')")
    return replicates
