"""The folded site frequency spectrum of each window (locus), in a few bins: features for a posterior.

The per-window statistics of ``genomics.encoding.sumstats`` (S, pi, theta_w,
D, theta_H, H) are three weighted sums of the spectrum and two ratios; a
change of population size leaves its mark on the spectrum's shape beyond
them (a decline some 0.1 2N generations ago removes rare variants and adds
intermediate ones), so a posterior over a bottleneck needs the spectrum
itself. For a window with sites s, over all n haplotypes of the sample,

    xi_i = #{sites s : min(c_s, n - c_s) = i},      i = 1 .. floor(n / 2),

the folded spectrum (c_s: copies of allele 1 at site s; the minor count, so
no ancestral state is needed). Under the standard neutral model with
constant size, E[xi_i] = theta (1 / i + 1 / (n - i)) / (1 + [i = n - i])
(Fu 1995). The classes are summed in ``bins`` consecutive groups whose
widths grow roughly geometrically (rare classes, where most information
lies, stay apart; ``bins >= floor(n / 2)`` keeps every class), so the number
of features does not grow with the sample. A bin's name gives its classes:
``sfs_1``, ``sfs_5-6``.

Missing calls: a site with only m < n called haplotypes counts in the
class round(i_m n / m) of its minor count i_m among the called ones (the
nearest class of the full sample; sites with fewer than two calls are left
out). This is an approximation; a design without missing data is exact.

Shapes: genotypes (haplotypes, sites) with 1, 0 and -1 (missing); site
counts (loci,); the result (loci, bins) of site counts as floats.
"""

from __future__ import annotations

import numpy


class SpectrumBinsError(ValueError):
    """A spectrum request that cannot be met (too few haplotypes, bins < 1); one sentence."""


def bin_edges(haplotypes: int, bins: int) -> numpy.ndarray:
    """(B + 1,) first class of each bin and one past the last, B = min(bins, floor(n / 2)) bins exactly.

    Edges follow geomspace(1, floor(n / 2) + 1, B + 1), each bin at least one class wide.
    """
    half = haplotypes // 2
    if half < 1:
        raise SpectrumBinsError(f"a folded spectrum needs at least 2 haplotypes, got {haplotypes}")
    if not isinstance(bins, (int, numpy.integer)) or isinstance(bins, bool) or bins < 1:
        raise SpectrumBinsError(f"the number of spectrum bins must be a whole number >= 1, got {bins!r}")
    count = min(int(bins), half)
    targets = numpy.geomspace(1, half + 1, count + 1)
    edges = [1]
    for k in range(1, count):
        # at least one class per bin, and room left for the bins still to come
        edges.append(int(min(max(edges[-1] + 1, round(targets[k])), half + 1 - (count - k))))
    edges.append(half + 1)
    return numpy.array(edges, dtype=int)


def spectrum_names(haplotypes: int, bins: int) -> list[str]:
    """The bins' names, ``sfs_i`` or ``sfs_i-j`` (minor-allele counts i to j of the full sample)."""
    edges = bin_edges(haplotypes, bins)
    return [f"sfs_{a}" if b - a == 1 else f"sfs_{a}-{b - 1}" for a, b in zip(edges[:-1], edges[1:])]


def folded_window_spectrum(genotypes: numpy.ndarray, site_counts: numpy.ndarray, bins: int) -> numpy.ndarray:
    """(loci, B) binned folded spectrum of each locus over all haplotypes; see the module docstring."""
    genotypes = numpy.asarray(genotypes)
    site_counts = numpy.asarray(site_counts, dtype=int)
    if genotypes.ndim != 2 or site_counts.sum() != genotypes.shape[1]:
        raise SpectrumBinsError(f"the loci's site counts add up to {site_counts.sum()}, but the genotypes have "
                                f"{genotypes.shape[1] if genotypes.ndim == 2 else 'no'} sites")
    haplotypes = genotypes.shape[0]
    edges = bin_edges(haplotypes, bins)
    ones = (genotypes == 1).sum(axis=0)
    called = (genotypes >= 0).sum(axis=0)
    minor = numpy.minimum(ones, called - ones)
    scaled = numpy.rint(minor * haplotypes / numpy.maximum(called, 1)).astype(int)
    scaled = numpy.minimum(scaled, haplotypes // 2)
    usable = (called >= 2) & (minor > 0)
    # a rare variant among few calls may round to class 0: it still segregates, so it is a singleton
    scaled = numpy.maximum(scaled, 1)
    locus = numpy.repeat(numpy.arange(len(site_counts)), site_counts)
    bin_of_site = numpy.searchsorted(edges, scaled, side="right") - 1
    flat = locus[usable] * (len(edges) - 1) + bin_of_site[usable]
    table = numpy.bincount(flat, minlength=len(site_counts) * (len(edges) - 1))
    return table.reshape(len(site_counts), len(edges) - 1).astype(float)
