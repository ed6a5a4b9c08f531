"""One replicate of a scenario: every locus of its design, simulated independently, and its missing calls.

For each kind of locus, ``count`` unlinked copies come from one
``msprime.sim_ancestry(..., num_replicates=count)`` call. Their variable sites
come either from mutations at a rate (``msprime.sim_mutations``, binary
infinite-sites model) or, for ``segregating_sites = S``, exactly as ms ``-s S``
places them: S mutations, each on a branch chosen with probability
proportional to its length times the span of sequence it covers
(``place_segregating_sites``), so every copy has exactly S biallelic sites.
Copies of one tree (no recombination) with S sites skip msprime's tree
sequences: their edges and node times come straight from the simulator
(``genomics.simulation.genealogies``) and their sites from one compiled
call (``sites_on_one_tree``), the same draws and the same bits as through
tskit (issue 35: the steppe study's 1,000 one-SNP loci, 1.6x faster).
The copies are concatenated along the site axis in the design's order; a
replicate is one ``genomics.genotypes.Genotypes``, whose site counts and
locus lengths say where every copy begins (a copy without mutations is a
locus of 0 sites).

Missing calls, where the design has them, are drawn afresh for every
replicate from the replicate's own seed, and written into the genotypes as
``MISSING`` (-1).
"""

from __future__ import annotations

from typing import Any

import msprime
import numba
import numpy
import tskit

from genomics.scenario.design import MissingData, SamplingDesign
from genomics.simulation.genealogies import one_tree_genealogies
from genomics.genotypes import MISSING, Genotypes


def place_segregating_sites(ts: Any, count: int, generator: numpy.random.Generator) -> tuple:
    """Exactly ``count`` infinite-sites mutations on the genealogy ``ts``, as ms ``-s`` does.

    Each mutation falls on an edge (a branch over an interval of the
    sequence) with probability proportional to ``branch length x span``,
    at a uniform position within the edge's interval; the haplotypes below
    the branch carry the derived allele. Returns ``(genotypes (haplotypes,
    count) int8, positions (count,) float64)``, sorted by position.

    A genealogy of one tree (no recombination) is read from its edge and
    node arrays alone (``sites_on_one_tree``); several trees go through
    ``place_on_trees`` (tskit's trees, in C). Both draw the same numbers.
    """
    edges = (ts.edges_parent, ts.edges_child, ts.edges_left, ts.edges_right)
    if ts.num_trees == 1:
        return sites_on_one_tree(*edges, ts.nodes_time, ts.samples(), count, generator)
    chosen, positions = draw_sites(*edges, ts.nodes_time, count, generator)
    return place_on_trees(ts, chosen, positions), positions


def draw_sites(parent: numpy.ndarray, child: numpy.ndarray, left: numpy.ndarray, right: numpy.ndarray,
               times: numpy.ndarray, count: int, generator: numpy.random.Generator) -> tuple:
    """(edges (count,), positions (count,)) of ``count`` sites, sorted by position: edge ``e`` with probability
    ``area_e / sum(area)``, ``area_e = (right_e - left_e) (times[parent_e] - times[child_e])``, then a uniform
    position in ``[left_e, right_e)``.

    The draws are those of ``generator.choice(edges, size=count, p=area /
    area.sum())`` and then ``generator.random(count)``: numpy's ``choice``
    with ``p`` is the inverse CDF, ``cdf = cumsum(p) / cdf[-1]``, ``edge =
    cdf.searchsorted(u, side="right")`` for ``u = generator.random(count)``,
    written out here without its checks of ``p`` (40 us a locus).
    """
    span = right - left
    area = span * (times[parent] - times[child])
    cdf = numpy.cumsum(area / area.sum())
    cdf /= cdf[-1]
    chosen = cdf.searchsorted(generator.random(count), side="right")
    positions = left[chosen] + generator.random(count) * span[chosen]
    order = numpy.argsort(positions, kind="stable")
    return chosen[order], positions[order]


def sites_on_one_tree(parent: numpy.ndarray, child: numpy.ndarray, left: numpy.ndarray, right: numpy.ndarray,
                      times: numpy.ndarray, samples: numpy.ndarray, count: int,
                      generator: numpy.random.Generator) -> tuple:
    """``place_segregating_sites`` on the one tree that the edges make (``samples``: the sample node ids, one
    row each): ``draw_sites``'s draws, compiled after the areas' sum (numpy's own, pairwise)."""
    area = (right - left) * (times[parent] - times[child])
    total = area.sum()
    edge_draws = generator.random(count)
    return placed_on_one_tree(parent, child, left, right, area, total, edge_draws, generator.random(count), samples,
                              times.size)


@numba.njit(cache=True)
def placed_on_one_tree(parent: numpy.ndarray, child: numpy.ndarray, left: numpy.ndarray, right: numpy.ndarray,
                       area: numpy.ndarray, total: float, edge_draws: numpy.ndarray, position_draws: numpy.ndarray,
                       samples: numpy.ndarray, num_nodes: int) -> tuple:
    """(genotypes (samples, sites) int8, positions (sites,)) of ``draw_sites`` from its uniform draws, on one tree:
    ``cdf = cumsum(area / total) / cdf[-1]``, edge ``searchsorted(cdf, u, "right")``, position ``left + u' span``,
    sorted stably by position, then ``haplotypes_below``. The same operations in the same order as numpy's."""
    cdf = numpy.empty(area.size)
    running = 0.0
    for e in range(area.size):
        running += area[e] / total
        cdf[e] = running
    cdf /= running
    chosen = numpy.searchsorted(cdf, edge_draws, side="right")
    positions = left[chosen] + position_draws * (right[chosen] - left[chosen])
    order = numpy.argsort(positions, kind="mergesort")
    return haplotypes_below(parent, child, num_nodes, child[chosen[order]], samples), positions[order]


def place_on_trees(ts: Any, chosen: numpy.ndarray, positions: numpy.ndarray) -> numpy.ndarray:
    """(haplotypes, sites) int8: 1 for the haplotypes below edge ``chosen[j]`` in the tree at ``positions[j]``
    (sample node ids 0 to haplotypes - 1, as msprime numbers them)."""
    child = ts.edges_child
    genotypes = numpy.zeros((ts.num_samples, chosen.size), dtype=numpy.int8)
    sample = (ts.nodes_flags & tskit.NODE_IS_SAMPLE).astype(bool)
    tree = ts.first()
    for column, (edge, position) in enumerate(zip(chosen, positions)):
        tree.seek(position)
        below = tree.preorder(child[edge])  # the subtree's nodes, listed in C (tskit), samples among them
        genotypes[below[sample[below]], column] = 1
    return genotypes


@numba.njit(cache=True)
def haplotypes_below(edge_parent: numpy.ndarray, edge_child: numpy.ndarray, num_nodes: int, nodes: numpy.ndarray,
                     samples: numpy.ndarray) -> numpy.ndarray:
    """(samples, nodes) int8: row ``i`` is 1 where sample node ``samples[i]`` lies below ``nodes[j]`` (or is
    it) in the one tree the edges make, of ``num_nodes`` nodes.

    Every sample walks up its parents (``parent[edge_child] = edge_parent``)
    until it meets the node or passes the root: about ``2 ln n`` steps for a
    coalescent tree of ``n`` samples.
    """
    parent = numpy.full(num_nodes, -1, numpy.int64)
    for e in range(edge_child.size):
        parent[edge_child[e]] = edge_parent[e]
    genotypes = numpy.zeros((samples.size, nodes.size), dtype=numpy.int8)
    for j in range(nodes.size):
        for i in range(samples.size):
            v = samples[i]
            while v != -1 and v != nodes[j]:
                v = parent[v]
            if v != -1:
                genotypes[i, j] = 1
    return genotypes


def missing_mask(design: SamplingDesign, site_counts: list[int], generator: numpy.random.Generator) -> numpy.ndarray:
    """(haplotypes, sites) bool: which calls are missing, drawn per call or per individual and locus."""
    missing: MissingData = design.missing
    individuals = sum(design.samples)
    rates = numpy.repeat(missing.rates, design.samples)  # (individuals,)
    sites = int(sum(site_counts))
    if missing.kind == "per_call":
        by_individual = generator.random((individuals, sites)) < rates[:, None]
    else:  # per_individual: an individual misses a whole locus copy
        by_locus = generator.random((individuals, len(site_counts))) < rates[:, None]
        by_individual = numpy.repeat(by_locus, site_counts, axis=1)
    return numpy.repeat(by_individual, design.ploidy, axis=0)


def simulate_loci(scenario: Any, parameters: dict, generator: numpy.random.Generator, mask: bool = True) -> Genotypes:
    """Every locus copy of ``scenario``'s design for one draw of ``parameters`` as ``Genotypes``; seeds come from
    ``generator``.

    Consecutive loci with the same length, recombination rate and size
    scale share one ``sim_ancestry`` call (``num_replicates`` = their copies:
    starting a simulation costs about ten times more than one short locus);
    a group of ``segregating_sites`` loci without recombination reads its
    copies' genealogies as arrays (``one_tree_genealogies``), the others as
    tree sequences. The genotypes hold the calls (1 derived, 0 ancestral,
    ``MISSING``), positions within each copy, the site count and length of
    every copy (a copy without any mutation is a locus of 0 sites) and, in
    ``provenance``, the scenario and the seed of the missing calls' mask
    (``mask_seed``, 0 without missing data). ``mask=False``: the calls
    before the mask (``with_design_mask`` applies it).
    """
    design = scenario.design
    genomes = [scenario.locus_genome(locus, parameters) for locus in design.loci]
    groups: list[list[int]] = []
    for index, locus in enumerate(design.loci):
        key = (genomes[index][0], genomes[index][1], locus.size_scale)
        if groups and (genomes[groups[-1][0]][0], genomes[groups[-1][0]][1],
                       design.loci[groups[-1][0]].size_scale) == key:
            groups[-1].append(index)
        else:
            groups.append([index])
    blocks, positions, site_counts, lengths = [], [], [], []
    for group in groups:
        copies = [(design.loci[i], genomes[i][2]) for i in group for _ in range(design.loci[i].count)]
        seeds = [int(s) for s in generator.integers(1, 2**31 - 1, size=1 + len(copies))]
        length, recombination, _ = genomes[group[0]]
        ancestry = {"samples": scenario.sample_sets(), "sequence_length": length,
                    "demography": scenario.demography(parameters, design.loci[group[0]].size_scale),
                    "recombination_rate": recombination, "random_seed": seeds[0]}
        one_tree = isinstance(recombination, (int, float)) and recombination == 0  # not a RateMap
        if one_tree and all(kind.fixed_sites for kind, _ in copies):
            for arrays, (locus, _), seed in zip(one_tree_genealogies(len(copies), **ancestry), copies, seeds[1:]):
                g, p = sites_on_one_tree(*arrays, locus.segregating_sites, numpy.random.default_rng(seed))
                blocks.append(g)
                positions.append(p)
            site_counts += [kind.segregating_sites for kind, _ in copies]
            lengths += [length] * len(copies)
            continue
        replicates = msprime.sim_ancestry(**ancestry, num_replicates=len(copies),
                                          record_provenance=False)  # the manifest records how shards were made
        for ts, (locus, mutation), seed in zip(replicates, copies, seeds[1:]):
            if locus.fixed_sites:
                g, p = place_segregating_sites(ts, locus.segregating_sites, numpy.random.default_rng(seed))
            else:
                ts = msprime.sim_mutations(ts, rate=mutation, random_seed=seed, model=msprime.BinaryMutationModel(),
                                           discrete_genome=False, record_provenance=False)
                g, p = ts.genotype_matrix().T.astype(numpy.int8), ts.sites_position.copy()
            blocks.append(g)
            positions.append(p)
            site_counts.append(p.size)
            lengths.append(length)
    haplotypes = sum(design.haplotypes_per_population)
    genotypes = numpy.concatenate(blocks, axis=1) if sum(site_counts) else numpy.zeros((haplotypes, 0), numpy.int8)
    mask_seed = int(generator.integers(1, 2**63 - 1)) if design.missing is not None else 0
    replicate = Genotypes(genotypes, numpy.concatenate(positions), numpy.array(site_counts, dtype=numpy.int64),
                          design.haplotype_populations, list(design.populations), ploidy=design.ploidy,
                          locus_lengths=numpy.array(lengths, dtype=numpy.float64),
                          provenance={"scenario": getattr(scenario, "name", None), "mask_seed": mask_seed})
    return with_design_mask(replicate, design) if mask else replicate


def with_design_mask(replicate: Genotypes, design: SamplingDesign) -> Genotypes:
    """A simulated replicate with its design's missing calls, drawn from its ``provenance["mask_seed"]``
    (unchanged without missing data)."""
    if design.missing is None:
        return replicate
    return replicate.with_calls(with_missing_calls(replicate.calls, design, replicate.site_counts,
                                                   replicate.provenance["mask_seed"]))


def with_missing_calls(genotypes: numpy.ndarray, design: SamplingDesign, site_counts: Any,
                       mask_seed: int) -> numpy.ndarray:
    """A copy of complete ``genotypes`` with the design's missing calls (``MISSING``), drawn from ``mask_seed``.

    The same seed gives the same calls: a replicate's simulated mask is
    ``with_missing_calls(complete, design, counts, its mask_seed)``, and a
    fresh seed gives a fresh mask of the same design (training augmentation).
    """
    masked = genotypes.copy()
    masked[missing_mask(design, list(site_counts), numpy.random.default_rng(mask_seed))] = MISSING
    return masked
