"""Joint site frequency spectra of pairs of populations, as the image of a replicate.

The site frequency spectrum of a population counts its sites by the number
of derived alleles they carry among its ``n`` sampled haplotypes; the joint
spectrum of populations a and b counts them by the pair of numbers,

    Phi_ab[i, j] = #{sites s : d_a(s) = i and d_b(s) = j},   0 <= i <= n_a, 0 <= j <= n_b,

where d_p(s) is the number of derived alleles at site s among population
p's haplotypes. It is the data summary of dadi, moments and fastsimcoal2,
and every statistic of ``genomics.sumstats`` that looks at sites one at a
time (S, pi, Watterson's theta, Tajima's D, theta_H within a population;
d_xy and F_ST between two) is a function of the populations' spectra, so a
network that reads them sees at least what those statistics see (linkage
between sites is lost).

Missing calls. A site where population p has only c_p < n_p called
haplotypes cannot go into the n_p-haplotype spectrum as it is. Projection
(Marth et al. 2004; Gutenkunst et al. 2009's dadi) spreads it over the
spectrum of m_p <= c_p haplotypes by the probability that m_p haplotypes
drawn at random without replacement from the c_p called ones carry j
derived alleles, a hypergeometric probability:

    H_p[s, j] = C(d_p, j) C(c_p - d_p, m_p - j) / C(c_p, m_p),   j = 0 .. m_p,

and then

    Phi_ab = H_a^T H_b        (m_a + 1, m_b + 1).

With no missing call and m_p = n_p, H_p[s] is 1 at d_p(s) and 0 elsewhere,
and the product is the count above. Sites where some population has fewer
than m_p called haplotypes are left out (their number is reported).

Folding. Without ancestral states (``folded=True``), the allele counted at
a site is the one in the minority among all called haplotypes (d is
replaced by c - d in every population when the derived count exceeds half
the called haplotypes), giving the folded joint spectrum.

The image of a replicate stacks the K (K - 1) / 2 pairs of K populations as
channels, each spectrum divided by the number of sites used (so that every
channel sums to 1 and the image does not depend on the number of sites);
with populations of different sizes every spectrum starts at the top-left
corner of an (M + 1) x (M + 1) image, M the largest m_p, and the rest is 0.
"""

from __future__ import annotations

import itertools

import numpy

MISSING = -1


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


def pairwise_spectra(derived: numpy.ndarray, called: numpy.ndarray, sizes: list[int]) -> tuple[numpy.ndarray, int]:
    """The image (M + 1, M + 1, pairs) float32 of the normalised joint spectra of every pair of populations,
    projected to ``sizes`` haplotypes, and the number of sites used.

    ``derived``, ``called``: (populations, sites), after folding if wanted.
    """
    if len(sizes) < 2:
        raise ValueError(f"a joint frequency spectrum needs two or more populations, got {len(sizes)}")
    usable = numpy.all(called >= numpy.asarray(sizes)[:, None], axis=0)
    h = [projection(derived[p, usable], called[p, usable], size) for p, size in enumerate(sizes)]
    used = int(usable.sum())
    side = max(sizes) + 1
    pairs = list(itertools.combinations(range(len(sizes)), 2))
    image = numpy.zeros((side, side, len(pairs)), dtype=numpy.float32)
    for channel, (a, b) in enumerate(pairs):
        image[: sizes[a] + 1, : sizes[b] + 1, channel] = h[a].T @ h[b] / max(used, 1)
    return image, used
