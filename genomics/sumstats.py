"""Classical summary statistics of a genotype matrix, per population and per pair of populations.

With derived-allele count c of n haplotypes at each site and L the sequence length:

- ``pi``: nucleotide diversity, sum over sites of 2 c (n - c) / (n (n - 1)), divided by L;
- ``theta_w``: Watterson's estimator, S / (a_n L), with S the segregating sites in the
  population and a_n = sum_{i=1}^{n-1} 1 / i;
- ``tajima_d``: Tajima's D, (pi L - S / a_n) / sqrt(e1 S + e2 S (S - 1)) (Tajima 1989);
- ``dxy``: mean divergence between two populations, sum of p_x (1 - p_y) + p_y (1 - p_x), divided by L;
- ``fst``: Hudson's F_ST, 1 - (mean within-population pi) / dxy, a ratio of averages over sites.

These feed the rejection-ABC baseline (``genomics.abc``) and serve as diagnostics.
"""

from __future__ import annotations

import itertools

import numpy


def _tajima_constants(n: int) -> tuple[float, float, float]:
    i = numpy.arange(1, n)
    a1, a2 = numpy.sum(1 / i), numpy.sum(1 / i**2)
    b1, b2 = (n + 1) / (3 * (n - 1)), 2 * (n * n + n + 3) / (9 * n * (n - 1))
    c1, c2 = b1 - 1 / a1, b2 - (n + 2) / (a1 * n) + a2 / a1**2
    return a1, c1 / a1, c2 / (a1 * a1 + a2)


def population_statistics(genotypes: numpy.ndarray, sequence_length: float) -> dict[str, float]:
    """pi, theta_w and tajima_d of one population's haplotypes (rows) over all sites (columns)."""
    n = genotypes.shape[0]
    counts = genotypes.sum(axis=0).astype(float)
    pairwise = float(numpy.sum(2 * counts * (n - counts) / (n * (n - 1)))) if n > 1 else 0.0
    segregating = int(numpy.sum((counts > 0) & (counts < n)))
    a1, e1, e2 = _tajima_constants(n) if n > 1 else (1.0, 0.0, 0.0)
    variance = e1 * segregating + e2 * segregating * (segregating - 1)
    tajima_d = (pairwise - segregating / a1) / numpy.sqrt(variance) if variance > 0 else 0.0
    return {"pi": pairwise / sequence_length, "theta_w": segregating / a1 / sequence_length,
            "tajima_d": float(tajima_d)}


def pair_statistics(x: numpy.ndarray, y: numpy.ndarray, sequence_length: float) -> dict[str, float]:
    """dxy and Hudson's fst between two populations' haplotypes."""
    px, py = x.mean(axis=0), y.mean(axis=0)
    dxy = float(numpy.sum(px * (1 - py) + py * (1 - px)))
    within = (population_statistics(x, 1.0)["pi"] + population_statistics(y, 1.0)["pi"]) / 2
    return {"dxy": dxy / sequence_length, "fst": 1 - within / dxy if dxy > 0 else 0.0}


def statistic_names(population_names: list[str]) -> list[str]:
    names = [f"{stat}_{p}" for p in population_names for stat in ("pi", "theta_w", "tajima_d")]
    names += [f"{stat}_{a}_{b}" for a, b in itertools.combinations(population_names, 2) for stat in ("dxy", "fst")]
    return names


def summary_statistics(genotypes: numpy.ndarray, haplotype_populations: numpy.ndarray,
                       sequence_length: float) -> numpy.ndarray:
    """Every statistic of ``statistic_names`` for one replicate, in that order."""
    populations = numpy.unique(haplotype_populations)
    values = []
    for p in populations:
        values.extend(population_statistics(genotypes[haplotype_populations == p], sequence_length).values())
    for a, b in itertools.combinations(populations, 2):
        values.extend(pair_statistics(genotypes[haplotype_populations == a], genotypes[haplotype_populations == b],
                                      sequence_length).values())
    return numpy.array(values, dtype=float)
