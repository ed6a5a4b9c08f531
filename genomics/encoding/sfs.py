"""Joint site frequency spectra, as the image of a replicate.

The site frequency spectrum of a population counts its sites by the number
of derived alleles they carry among its ``n`` sampled haplotypes; the joint
spectrum of K populations counts them by the K numbers at once,

    Phi[i_1, ..., i_K] = #{sites s : d_1(s) = i_1, ..., d_K(s) = i_K},   0 <= i_p <= n_p,

where d_p(s) is the number of derived alleles at site s among population
p's haplotypes. It is the data summary of dadi, moments and fastsimcoal2.
Every statistic of ``genomics.encoding.sumstats`` that looks at sites one at a time
(S, pi, Watterson's theta, Tajima's D, theta_H within a population; d_xy
and F_ST between two) is a function of it, so a network that reads it sees
at least what those statistics see (linkage between sites is lost). The
joint spectrum of a pair (a, b) is its sum over the other populations'
counts; the pairwise spectra are what remains of the joint one when it has
too many cells, (n + 1)^K.

Missing calls. A site where population p has only c_p < n_p called
haplotypes cannot go into the n_p-haplotype spectrum as it is. Projection
(Marth et al. 2004; Gutenkunst et al. 2009's dadi) spreads it over the
spectrum of m_p <= c_p haplotypes by the probability that m_p haplotypes
drawn at random without replacement from the c_p called ones carry j
derived alleles, a hypergeometric probability:

    H_p[s, j] = C(d_p, j) C(c_p - d_p, m_p - j) / C(c_p, m_p),   j = 0 .. m_p,

and then, the populations' draws being independent,

    Phi[i_1, ..., i_K] = sum_s H_1[s, i_1] ... H_K[s, i_K],      Phi_ab = H_a^T H_b.

With no missing call and m_p = n_p, H_p[s] is 1 at d_p(s) and 0 elsewhere,
and the sums are the counts above. Sites where some population has fewer
than m_p called haplotypes are left out (their number is reported).

Folding. Without ancestral states (``fold``; the encoder's ``major_minor``
polarisation), the allele counted at a site is the one in the minority
among all called haplotypes (d is
replaced by c - d in every population when the derived count exceeds half
the called haplotypes), giving the folded spectrum.

Images. A spectrum holds counts of sites (``proportions=False``): their
number tells the scale of diversity, theta = 4 N mu L, which tells
scenarios with other population sizes apart as S and pi do for ABC. With
``proportions=True`` it is divided by the number of sites used, so that it
sums to 1 and does not depend on the number of sites (for data whose
sequence length or mutation rate is not the simulations'). The joint spectrum
of K >= 2 populations is an image (m_1 + 1, m_2 + 1, channels): rows are
population 1's count, columns population 2's, and channel
c = i_3 (m_4 + 1) ... (m_K + 1) + ... + i_K holds the counts of the others
(one channel for two populations). The pairwise spectra are an image
(M + 1, M + 1, K (K - 1) / 2), M the largest m_p, one channel per pair in
the order (1, 2), (1, 3), ..., each spectrum in the top-left corner and 0
elsewhere.
"""

from __future__ import annotations

import itertools
import math

import numpy

MISSING = -1
#: the most cells a joint spectrum image may have (a 4-population design of 20 haplotypes each has 194,481)
MAX_CELLS = 2**20


def derived_and_called(genotypes: numpy.ndarray, haplotype_populations: numpy.ndarray) -> tuple:
    """(derived, called), each (populations, sites): allele-1 calls and calls that are not missing, per
    population (in the order of ``numpy.unique(haplotype_populations)``)."""
    populations = numpy.unique(haplotype_populations)
    derived = numpy.stack([(genotypes[haplotype_populations == p] == 1).sum(axis=0) for p in populations])
    called = numpy.stack([(genotypes[haplotype_populations == p] != MISSING).sum(axis=0) for p in populations])
    return derived, called


def fold(derived: numpy.ndarray, called: numpy.ndarray) -> numpy.ndarray:
    """The minor allele's counts: at each site where the derived allele is above half of all called
    haplotypes, c - d in every population (a tie keeps d)."""
    flip = derived.sum(axis=0) > called.sum(axis=0) / 2
    return numpy.where(flip[None, :], called - derived, derived)


def _log_choose(n: numpy.ndarray, k: numpy.ndarray, log_factorials: numpy.ndarray) -> numpy.ndarray:
    """log C(n, k), and -inf where k < 0 or k > n."""
    valid = (k >= 0) & (k <= n)
    n_safe, k_safe = numpy.where(valid, n, 0), numpy.where(valid, k, 0)
    value = log_factorials[n_safe] - log_factorials[k_safe] - log_factorials[n_safe - k_safe]
    return numpy.where(valid, value, -numpy.inf)


def projection(derived: numpy.ndarray, called: numpy.ndarray, size: int) -> numpy.ndarray:
    """H (sites, size + 1): the probability of j derived alleles among ``size`` haplotypes drawn without
    replacement from each site's called ones; rows of sites with fewer than ``size`` calls are 0."""
    derived, called = numpy.asarray(derived, dtype=numpy.int64), numpy.asarray(called, dtype=numpy.int64)
    if derived.size == 0:
        return numpy.zeros((0, size + 1))
    if numpy.all(called == size):  # nothing to project: H is one-hot at d
        h = numpy.zeros((derived.size, size + 1))
        h[numpy.arange(derived.size), derived] = 1.0
        return h
    # H depends on (d, c) only: compute each distinct pair once
    pairs, inverse = numpy.unique(numpy.stack([derived, called]), axis=1, return_inverse=True)
    return _hypergeometric(pairs[0], pairs[1], size)[inverse.ravel()]


def _hypergeometric(derived: numpy.ndarray, called: numpy.ndarray, size: int) -> numpy.ndarray:
    """``projection``'s formula, one row per (derived, called) pair."""
    top = int(max(called.max(initial=0), size))
    log_factorials = numpy.concatenate([[0.0], numpy.cumsum(numpy.log(numpy.arange(1, top + 1)))])
    j = numpy.arange(size + 1)[None, :]
    d, c = derived[:, None], called[:, None]
    enough = c >= size  # below: no subsample of that size exists, the row stays 0
    log_h = (_log_choose(d, j, log_factorials) + _log_choose(c - d, size - j, log_factorials)
             - _log_choose(numpy.maximum(c, size), numpy.full_like(c, size), log_factorials))
    return numpy.where(enough, numpy.exp(log_h), 0.0)


def _projected(derived: numpy.ndarray, called: numpy.ndarray, sizes: list[int]) -> tuple[list, int, bool]:
    """(each population's (derived, called) counts at the usable sites, the number of usable sites, whether
    every H_p is one-hot there: no call missing and nothing to project)."""
    if len(sizes) < 2:
        raise ValueError(f"a joint frequency spectrum needs two or more populations, got {len(sizes)}")
    usable = numpy.all(called >= numpy.asarray(sizes)[:, None], axis=0)
    exact = bool(numpy.all(called[:, usable] == numpy.asarray(sizes)[:, None]))
    return [(derived[p, usable], called[p, usable]) for p in range(len(sizes))], int(usable.sum()), exact


def joint_spectrum(derived: numpy.ndarray, called: numpy.ndarray, sizes: list[int], proportions: bool = False,
                   chunk: int = 4096) -> tuple[numpy.ndarray, int]:
    """The image (m_1 + 1, m_2 + 1, (m_3 + 1) ... (m_K + 1)) float32 of the joint spectrum of all
    populations, projected to ``sizes`` haplotypes (as proportions of the sites used with ``proportions``),
    and the number of sites used.

    ``derived``, ``called``: (populations, sites), after folding if wanted.
    Sites are summed ``chunk`` at a time (the per-site products of all but
    the last population's H take sites x cells / (m_K + 1) numbers).
    """
    shape = [size + 1 for size in sizes]
    cells = int(numpy.prod(shape, dtype=numpy.int64))
    if cells > MAX_CELLS:
        raise ValueError(f"the joint spectrum of {len(sizes)} populations of {sizes} haplotypes has {cells:,} cells "
                         f"(more than {MAX_CELLS:,}): project to fewer haplotypes (sfs_haplotypes) or use the "
                         "pairwise spectra (layout pairwise_sfs)")
    columns, used, exact = _projected(derived, called, sizes)
    if exact:  # each site adds 1 to the cell of its counts
        flat = numpy.ravel_multi_index(tuple(d for d, _ in columns), shape) if used else numpy.zeros(0, int)
        total = numpy.bincount(flat, minlength=cells).astype(numpy.float64)
    else:
        h = [projection(d, c, size) for (d, c), size in zip(columns, sizes)]
        total = numpy.zeros((cells // shape[-1], shape[-1]))
        for start in range(0, used, chunk):
            outer = h[0][start : start + chunk]
            for factor in h[1:-1]:  # the per-site Kronecker product H_1[s] x ... x H_{K-1}[s]
                outer = (outer[:, :, None] * factor[start : start + chunk, None, :]).reshape(len(outer), -1)
            total += outer.T @ h[-1][start : start + chunk]
        total = total.ravel()
    image = (total / max(used, 1) if proportions else total).reshape(shape[0], shape[1], -1).astype(numpy.float32)
    return image, used


def pairwise_spectra(derived: numpy.ndarray, called: numpy.ndarray, sizes: list[int],
                     proportions: bool = False) -> tuple[numpy.ndarray, int]:
    """The image (M + 1, M + 1, pairs) float32 of the joint spectra of every pair of populations, projected to
    ``sizes`` haplotypes (as proportions of the sites used with ``proportions``), and the number of sites used.

    ``derived``, ``called``: (populations, sites), after folding if wanted.
    """
    columns, used, _ = _projected(derived, called, sizes)
    h = [projection(d, c, size) for (d, c), size in zip(columns, sizes)]
    side = max(sizes) + 1
    pairs = list(itertools.combinations(range(len(sizes)), 2))
    image = numpy.zeros((side, side, len(pairs)), dtype=numpy.float32)
    for channel, (a, b) in enumerate(pairs):
        image[: sizes[a] + 1, : sizes[b] + 1, channel] = h[a].T @ h[b] / (max(used, 1) if proportions else 1)
    return image, used


def called_haplotypes(individuals: list[int], missing_rates: list[float], ploidy: int) -> int:
    """A projection size for a design whose individuals each miss a call (or a locus) with probability r:
    ``ploidy`` x the median number of called individuals of its smallest population (the largest k with
    P(called >= k) >= 1/2, called ~ Binomial(individuals, 1 - r)), so that about half of each population's
    sites have that many calls or more; at least 2."""
    sizes = []
    for count, rate in zip(individuals, missing_rates):
        k = numpy.arange(count + 1)
        log_choose = numpy.array([math.lgamma(count + 1) - math.lgamma(j + 1) - math.lgamma(count - j + 1) for j in k])
        if rate > 0:
            probability = numpy.exp(log_choose + k * numpy.log(1 - rate) + (count - k) * numpy.log(rate))
        else:
            probability = (k == count).astype(float)
        at_least = numpy.cumsum(probability[::-1])[::-1]  # P(called >= k)
        sizes.append(int(k[at_least >= 0.5].max()) * ploidy)
    return max(min(sizes), 2)


def spectrum_image(genotypes: numpy.ndarray, haplotype_populations: numpy.ndarray, joint: bool, folded: bool,
                   size: int, proportions: bool) -> tuple[numpy.ndarray, int]:
    """The encoder's spectrum image of one replicate: the ``joint`` spectrum (else the pairwise ones) of the sites
    polymorphic among the called genotypes, ``folded`` or not, each population projected to ``size`` haplotypes
    (0: its whole sample), and the number of sites used."""
    derived, called = derived_and_called(genotypes, haplotype_populations)
    total_derived, total_called = derived.sum(axis=0), called.sum(axis=0)
    polymorphic = (total_derived > 0) & (total_derived < total_called)
    derived, called = derived[:, polymorphic], called[:, polymorphic]
    if folded:
        derived = fold(derived, called)
    sizes = numpy.unique(haplotype_populations, return_counts=True)[1]  # the spectra refuse fewer than two
    projected = [min(size, int(n)) if size else int(n) for n in sizes]
    return (joint_spectrum if joint else pairwise_spectra)(derived, called, projected, proportions=proportions)
