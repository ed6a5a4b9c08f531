"""The expected site frequency spectrum of one population whose size is piecewise constant in time.

A sample of ``n`` haplotypes from one panmictic population of diploid size
N(t) (t in generations before the present; N constant within each epoch).
Going back in time, the number of ancestral lineages K(t) is a pure-death
Markov chain: k -> k - 1 at rate C(k, 2) / (2 N(t)) (every pair coalesces at
rate 1 / (2 N)), from K(0) = n until K = 1.

Transient states k = n, n - 1, ..., 2 (index j = n - k). Within an epoch of
constant size N the generator on them is

    Q[j, j] = -C(k, 2) / (2 N),    Q[j, j + 1] = C(k, 2) / (2 N)    (k >= 3; from k = 2 the chain leaves)

and a row vector p of state probabilities at the epoch's start gives, after
a duration d, ``p exp(Q d)``, and the expected time spent in each state
during the epoch, ``p int_0^d exp(Q s) ds``. Both come from one matrix
exponential of the augmented matrix (Van Loan 1978), shape (n, n)::

    exp([[Q^T, p^T], [0, 0]] d) = [[exp(Q^T d), int_0^d exp(Q^T s) ds p^T], [0, 1]]

The last epoch lasts for ever: ``int_0^inf exp(Q s) ds = -Q^-1``, one
linear solve. Summed over the epochs, E[T_k] is the expected time during
which there are k lineages, shape (n - 1,) for k = n .. 2.

A branch present while there are k lineages subtends i of the n haplotypes
with probability C(n - i - 1, k - 2) / C(n - 1, k - 1) (Griffiths and
Tavare 1998; Polanski and Kimmel 2003), so the expected total length of
branches subtending i haplotypes is

    B_i = sum_{k=2}^{n-i+1} k E[T_k] C(n - i - 1, k - 2) / C(n - 1, k - 1),    i = 1 .. n - 1

and under infinite sites with mutation rate mu per bp per generation over L bp
the expected unfolded spectrum is E[xi_i] = mu L B_i. For a constant size N:
E[T_k] = 4 N / (k (k - 1)), B_i = 4 N / i.
"""

from __future__ import annotations

from math import comb

import numpy
import scipy.linalg


class ExpectedSpectrumError(ValueError):
    """A sample size or size history the expected spectrum cannot be computed for, in one sentence."""


def check_epochs(epochs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``epochs`` as a list of (start time, diploid size) floats, after checking them.

    The first epoch starts at 0, start times increase strictly and are finite, sizes are finite and > 0;
    the last epoch lasts for ever.
    """
    checked = [(float(start), float(size)) for start, size in epochs]
    if not checked:
        raise ExpectedSpectrumError("epochs is empty: give at least one (start time, diploid size), the first at 0")
    if checked[0][0] != 0.0:
        raise ExpectedSpectrumError(f"the first epoch starts at {checked[0][0]!r} generations; it must start at 0")
    for index, (start, size) in enumerate(checked):
        if not (numpy.isfinite(size) and size > 0):
            raise ExpectedSpectrumError(f"epoch {index} has the diploid size {size!r}; sizes must be finite and > 0")
        if not numpy.isfinite(start) or (index and start <= checked[index - 1][0]):
            raise ExpectedSpectrumError(f"epoch {index} starts at {start!r} generations; start times must be finite "
                                        f"and increase strictly (the previous starts at {checked[index - 1][0]!r})")
    return checked


def expected_lineage_times(n: int, epochs: list[tuple[float, float]]) -> numpy.ndarray:
    """E[T_k] for k = n, n - 1, ..., 2: expected generations with k lineages. Shape (n - 1,)."""
    if int(n) != n or n < 2:
        raise ExpectedSpectrumError(f"the sample has {n!r} haplotypes; a spectrum needs a whole number >= 2")
    epochs = check_epochs(epochs)
    lineages = numpy.arange(n, 1, -1, dtype=float)                 # k = n .. 2
    pair_counts = lineages * (lineages - 1) / 2
    states = n - 1
    probabilities = numpy.zeros(states)
    probabilities[0] = 1.0                                         # n lineages at time 0
    occupation = numpy.zeros(states)
    for index, (start, size) in enumerate(epochs):
        rates = pair_counts / (2 * size)
        generator = numpy.diag(-rates) + numpy.diag(rates[:-1], 1)
        if index == len(epochs) - 1:
            # int_0^inf p exp(Q s) ds = p (-Q)^-1: solve x (-Q) = p, i.e. (-Q)^T x^T = p^T
            occupation += scipy.linalg.solve_triangular(-generator.T, probabilities, lower=True)
            break
        duration = epochs[index + 1][0] - start
        augmented = numpy.zeros((states + 1, states + 1))
        augmented[:states, :states] = generator.T * duration
        augmented[:states, states] = probabilities * duration
        exponential = scipy.linalg.expm(augmented)
        occupation += exponential[:states, states]
        probabilities = numpy.clip(exponential[:states, :states] @ probabilities, 0.0, None)
    return occupation


def subtending_probabilities(n: int) -> numpy.ndarray:
    """P[i - 1, j]: probability that a branch present while there are k = n - j lineages subtends i of the n
    haplotypes, C(n - i - 1, k - 2) / C(n - 1, k - 1). Shape (n - 1, n - 1) (i = 1 .. n - 1, k = n .. 2)."""
    table = numpy.zeros((n - 1, n - 1))
    for i in range(1, n):
        for j, k in enumerate(range(n, 1, -1)):
            if k - 2 <= n - i - 1:
                table[i - 1, j] = comb(n - i - 1, k - 2) / comb(n - 1, k - 1)
    return table


def expected_branch_lengths(n: int, epochs: list[tuple[float, float]]) -> numpy.ndarray:
    """B_i for i = 1 .. n - 1: expected total length (generations) of branches subtending i haplotypes.
    Shape (n - 1,)."""
    times = expected_lineage_times(n, epochs)
    return subtending_probabilities(n) @ (numpy.arange(n, 1, -1) * times)


def expected_spectrum(n: int, epochs: list[tuple[float, float]], mutation_rate: float,
                      sequence_length: float) -> numpy.ndarray:
    """E[xi_i] = mu L B_i, i = 1 .. n - 1: the expected unfolded spectrum (derived-allele counts). Shape (n - 1,)."""
    for name, value in (("mutation_rate", mutation_rate), ("sequence_length", sequence_length)):
        if not (numpy.isfinite(value) and value > 0):
            raise ExpectedSpectrumError(f"{name} is {value!r}; it must be finite and > 0")
    return mutation_rate * sequence_length * expected_branch_lengths(n, epochs)


def fold(spectrum: numpy.ndarray) -> numpy.ndarray:
    """The folded (minor-allele) spectrum of an unfolded one, along the last axis.

    ``spectrum[..., i - 1]`` counts sites with i of n derived copies (i = 1 .. n - 1); the result's entry
    ``j - 1`` counts sites whose minor allele has j copies, j = 1 .. floor(n / 2): xi_j + xi_{n-j}, and xi_{n/2}
    alone when n is even. Shape (..., n - 1) -> (..., floor(n / 2)).
    """
    spectrum = numpy.asarray(spectrum, dtype=float)
    n = spectrum.shape[-1] + 1
    folded = spectrum[..., : n // 2] + spectrum[..., ::-1][..., : n // 2]
    if n % 2 == 0:
        folded[..., -1] = spectrum[..., n // 2 - 1]
    return folded
