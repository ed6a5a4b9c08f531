"""Classical summary statistics per locus, averaged over loci: the ABC side of the comparison.

The recipe of Perez et al. 2022 (ms ``sample_stats`` and msSS.pl, then the
mean over loci in R): every statistic is computed on each locus (its sites
given by the design's site counts) and then averaged over the loci where it
is defined. Values are per locus, not per base pair (fixed-S designs have
no meaningful length), so data and simulations must share the design.

At one site, with c copies of allele 1 among the n called haplotypes of a
group (missing calls, -1, are left out site by site):

- S: segregating sites, sites with 0 < c < n;
- pi (Tajima's theta_pi): sum over sites of 2 c (n - c) / (n (n - 1));
- theta_w (Watterson): sum over segregating sites of 1 / a_n, with
  a_n = sum_{i=1}^{n-1} 1/i (with missing calls, each site its own n);
- tajima_d: (pi - S / a_n) / sqrt(e1 S + e2 S (S - 1)) (Tajima 1989), with
  n the mean number of called haplotypes over the locus's segregating
  sites, rounded;
- theta_h (Fay and Wu 2000): sum over sites of 2 c^2 / (n (n - 1)), and
  fay_wu_h = pi - theta_h. They need c to count derived alleles. Data
  without an ancestral state are coded major/minor, so by default c is the
  minor-allele count for both data and simulations (``folded``): theta_h
  and H are then statistics of the folded spectrum, not Fay and Wu's test,
  but they are computed the same way on both sides, which is what ABC needs;
- dxy between groups x and y: sum over sites of p_x (1 - p_y) + p_y (1 - p_x);
- fst (Hudson 1992, as scikit-allel's ``hudson_fst``): 1 - mean(pi_x, pi_y) /
  dxy, a ratio of sums over the locus's sites.

Groups: all haplotypes together (names without a suffix), each population
(``pi_north``), each pair of populations (``dxy_north_south``). A
statistic that is undefined at a locus (D with no segregating site, F_ST with
dxy = 0, anything with fewer than two called haplotypes) is left out of
that locus's mean (R's ``na.rm = TRUE``); NaN only if undefined everywhere.
A locus without any site (an invariant RAD locus, absent from a VCF and
counted back with ``--invariant-loci``) has S = pi = theta_w = theta_h =
H = d_xy = 0, and no D or F_ST; so the number of such loci matters.

Missing calls are handled site by site: every per-site term above uses
that site's own n (its called haplotypes in the group), nothing is imputed,
and a site with fewer than two calls in a group adds nothing for it.
``statistics(genotypes)`` takes the genotypes object and refuses data
whose locus boundaries are unknown.
"""

from __future__ import annotations

import functools
import itertools

import numpy

from genomics.genotypes import Genotypes

GROUP_STATISTICS = ("S", "pi", "theta_w", "tajima_d", "theta_h", "fay_wu_h")
PAIR_STATISTICS = ("dxy", "fst")


def statistic_names(population_names: list[str]) -> list[str]:
    """Names of ``summary_statistics``' values, in order: all haplotypes, each population, each pair."""
    names = list(GROUP_STATISTICS)
    names += [f"{stat}_{p}" for p in population_names for stat in GROUP_STATISTICS]
    names += [f"{stat}_{a}_{b}" for a, b in itertools.combinations(population_names, 2) for stat in PAIR_STATISTICS]
    return names


@functools.lru_cache(maxsize=None)
def tajima_constants(n: int) -> tuple[float, float, float]:
    """(a1, e1, e2) of Tajima's D for n haplotypes."""
    i = numpy.arange(1, n)
    a1, a2 = float(numpy.sum(1 / i)), float(numpy.sum(1 / i**2))
    b1, b2 = (n + 1) / (3 * (n - 1)), 2 * (n * n + n + 3) / (9 * n * (n - 1))
    c1, c2 = b1 - 1 / a1, b2 - (n + 2) / (a1 * n) + a2 / a1**2
    return a1, c1 / a1, c2 / (a1 * a1 + a2)


def _harmonic(n: numpy.ndarray) -> numpy.ndarray:
    """a_n = sum_{i<n} 1/i for each entry of n (0 where n < 2)."""
    table = numpy.concatenate([[0.0, 0.0], numpy.cumsum(1 / numpy.arange(1, max(int(n.max(initial=1)), 2)))])
    return table[numpy.maximum(n, 0)]


def _site_counts(genotypes: numpy.ndarray, members: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(copies of allele 1, called haplotypes), each (groups, sites); ``members`` (groups, haplotypes) 0/1.

    Missing calls (-1) are not counted.
    """
    ones = (genotypes == 1).astype(float)
    called = (genotypes >= 0).astype(float)
    return members @ ones, members @ called


def group_statistics(c: numpy.ndarray, n: numpy.ndarray, locus_matrix: numpy.ndarray,
                     folded: bool = True) -> numpy.ndarray:
    """(groups, loci, 6) values of GROUP_STATISTICS from per-site counts c and n (groups, sites); NaN where
    undefined. ``locus_matrix`` (sites, loci) is 1 where a site belongs to a locus."""
    c = numpy.minimum(c, n - c) if folded else c
    pairs = n * (n - 1.0)
    safe = numpy.where(pairs > 0, pairs, 1.0)
    pi_site = numpy.where(pairs > 0, 2 * c * (n - c) / safe, 0.0)
    theta_h_site = numpy.where(pairs > 0, 2 * c * c / safe, 0.0)
    segregating = ((c > 0) & (c < n)).astype(float)
    a_n = _harmonic(n.astype(int))
    theta_w_site = numpy.divide(segregating, a_n, out=numpy.zeros_like(segregating), where=a_n > 0)
    S, pi, theta_w, theta_h = (values @ locus_matrix for values in (segregating, pi_site, theta_w_site, theta_h_site))
    # Tajima's n: the mean number of called haplotypes over the locus's segregating sites (sites that do not
    # segregate add nothing to any statistic, so a file that keeps monomorphic sites gives the same values)
    size = numpy.rint(numpy.divide((n * segregating) @ locus_matrix, S, out=numpy.zeros_like(S),
                                   where=S > 0)).astype(int)
    constants = numpy.array([tajima_constants(int(m)) if m >= 2 else (numpy.nan,) * 3 for m in size.ravel()])
    a1, e1, e2 = constants.reshape(*size.shape, 3).transpose(2, 0, 1) if size.size else (size,) * 3
    with numpy.errstate(invalid="ignore", divide="ignore"):
        tajima_d = numpy.where(S > 0, (pi - S / a1) / numpy.sqrt(e1 * S + e2 * S * (S - 1)), numpy.nan)
    table = numpy.stack([S, pi, theta_w, tajima_d, theta_h, pi - theta_h], axis=-1)
    # undefined: a locus whose sites all have fewer than two called haplotypes (a locus without any site, an
    # invariant locus, has S = pi = theta = 0)
    sites, enough = locus_matrix.sum(axis=0), (n >= 2).astype(float) @ locus_matrix
    table[(enough == 0) & (sites[None, :] > 0)] = numpy.nan
    return table


def pair_statistics(cx: numpy.ndarray, nx: numpy.ndarray, cy: numpy.ndarray, ny: numpy.ndarray,
                    locus_matrix: numpy.ndarray) -> numpy.ndarray:
    """(pairs, loci, 2) dxy and Hudson's F_ST from per-site counts of the two groups of each pair (pairs, sites).

    Sites where either group has fewer than two called haplotypes are left out.
    """
    usable = (nx > 1) & (ny > 1)
    nx_safe, ny_safe = numpy.where(usable, nx, 2.0), numpy.where(usable, ny, 2.0)
    px, py = cx / nx_safe, cy / ny_safe
    dxy_site = numpy.where(usable, px * (1 - py) + py * (1 - px), 0.0)
    within_site = numpy.where(usable, cx * (nx - cx) / (nx_safe * (nx_safe - 1)) + cy * (ny - cy) /
                              (ny_safe * (ny_safe - 1)), 0.0)  # (pi_x + pi_y) / 2 at the site
    dxy, within = dxy_site @ locus_matrix, within_site @ locus_matrix
    fst = numpy.divide(dxy - within, dxy, out=numpy.full(dxy.shape, numpy.nan), where=dxy > 0)
    return numpy.stack([dxy, fst], axis=-1)


def locus_statistics(genotypes: numpy.ndarray, site_counts: numpy.ndarray, haplotype_populations: numpy.ndarray,
                     folded: bool = True) -> numpy.ndarray:
    """(loci, statistics) per-locus values in ``statistic_names`` order; genotypes (haplotypes, sites)."""
    site_counts = numpy.asarray(site_counts, dtype=int)
    if site_counts.sum() != genotypes.shape[1]:
        raise ValueError(f"locus_statistics: the loci's site counts add up to {site_counts.sum()}, but the "
                         f"genotypes have {genotypes.shape[1]} sites")
    loci = len(site_counts)
    locus_matrix = numpy.zeros((genotypes.shape[1], loci))
    locus_matrix[numpy.arange(genotypes.shape[1]), numpy.repeat(numpy.arange(loci), site_counts)] = 1.0
    populations = numpy.unique(haplotype_populations)
    members = numpy.vstack([numpy.ones(len(haplotype_populations))] +
                           [(haplotype_populations == p).astype(float) for p in populations])
    c, n = _site_counts(genotypes, members)
    groups = group_statistics(c, n, locus_matrix, folded)                   # (1 + populations, loci, 6)
    first, second = (numpy.array(side, dtype=int) + 1 for side in
                     zip(*itertools.combinations(range(len(populations)), 2))) if len(populations) > 1 else \
        (numpy.zeros(0, int), numpy.zeros(0, int))
    pairs = pair_statistics(c[first], n[first], c[second], n[second], locus_matrix)  # (pairs, loci, 2)
    return numpy.concatenate([groups.transpose(1, 0, 2).reshape(loci, -1),
                              pairs.transpose(1, 0, 2).reshape(loci, -1)], axis=1)


def summary_statistics(genotypes: numpy.ndarray, site_counts: numpy.ndarray, haplotype_populations: numpy.ndarray,
                       folded: bool = True) -> numpy.ndarray:
    """Every statistic of ``statistic_names``, the mean over loci of ``locus_statistics`` (NaNs left out)."""
    per_locus = locus_statistics(genotypes, site_counts, haplotype_populations, folded)
    defined = ~numpy.isnan(per_locus)
    totals = numpy.where(defined, per_locus, 0.0).sum(axis=0)
    counts = defined.sum(axis=0)
    return numpy.divide(totals, counts, out=numpy.full(per_locus.shape[1], numpy.nan), where=counts > 0)


def statistics(data: Genotypes, folded: bool = True) -> numpy.ndarray:
    """``summary_statistics`` of a genotypes object; refused (one sentence) when its loci are unknown."""
    counts = data.require_loci("summary statistics per locus")
    return summary_statistics(data.calls, counts, data.haplotype_populations, folded)
