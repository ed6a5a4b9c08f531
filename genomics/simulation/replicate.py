"""One replicate, and one shard of replicates, simulated from a scenario and a seed.

Every replicate's seed is derived from one master seed, its scenario's index
and its own index (numpy's SeedSequence, ``replicate_seed``), so the same
command writes the same bytes, whatever the number of workers or the size of
its shards. ``simulate_shard`` runs in a worker: it gets the Scenario built
and checked where the scenarios were read (pickled), never its spec to build
again. A shard's arrays are described in ``genomics.simulation.folder``.
"""

from __future__ import annotations

from typing import Any

import numpy

from genomics.scenario.design import SamplingDesign
from genomics.scenario.scenario import Scenario
from genomics.simulation.loci import simulate_loci, with_design_mask, with_missing_calls


def replicate_seed(master_seed: int, scenario_index: int, replicate_index: int) -> int:
    """A seed in [1, 2^32) for one replicate, independent of how the work is split."""
    state = numpy.random.SeedSequence([master_seed, scenario_index, replicate_index]).generate_state(1)[0]
    return int(state) or 1


def simulate_replicate(scenario: Scenario, seed: int, parameters: dict | None = None,
                       mask: bool = True) -> dict[str, Any]:
    """Draw parameters and simulate every locus of the design (``genomics.simulation.loci``); genotypes and positions, and the
    whole replicate as ``genomics.genotypes.Genotypes`` (``"replicate"``).

    ``mask=False``: also the genotypes before the missing calls (``complete_genotypes``), see ``simulate_loci``.

    ``parameters`` given: use them instead of a draw from the priors (the
    simulation seeds still come from ``seed``), e.g. for several windows of
    one data set.
    """
    generator = numpy.random.default_rng(seed)
    drawn = scenario.draw_parameters(generator)
    parameters = drawn if parameters is None else parameters
    complete = simulate_loci(scenario, parameters, generator, mask=False)
    complete.provenance["seed"] = seed
    replicate = with_design_mask(complete, scenario.design)
    result = {"genotypes": replicate.calls, "positions": replicate.positions, "site_counts": replicate.site_counts,
              "sequence_lengths": replicate.locus_lengths, "mask_seed": replicate.provenance["mask_seed"],
              "replicate": replicate, "parameters": parameters, "sequence_length": replicate.sequence_length}
    if not mask and scenario.design.missing is not None:
        result["complete_genotypes"] = complete.calls
    return result


def simulate_shard(scenario: Scenario, seeds: list[int]) -> dict[str, numpy.ndarray]:
    """Simulate one shard's replicates (runs in a worker process); returns the shard's arrays.

    The scenario comes built and checked (pickled to the worker): its smoke simulation ran once, where it was read.
    """
    replicates = [simulate_replicate(scenario, seed, mask=False) for seed in seeds]
    offsets = numpy.cumsum([0] + [r["positions"].size for r in replicates]).astype(numpy.int64)
    haplotypes = sum(scenario.design.haplotypes_per_population)
    complete = [r.get("complete_genotypes", r["genotypes"]) for r in replicates]
    return {
        "genotypes": numpy.concatenate(complete, axis=1) if offsets[-1] else numpy.zeros((haplotypes, 0), numpy.int8),
        "mask_seeds": numpy.array([r["mask_seed"] for r in replicates], dtype=numpy.uint64),
        "positions": numpy.concatenate([r["positions"] for r in replicates]),
        "site_offsets": offsets,
        "locus_site_counts": numpy.stack([r["site_counts"] for r in replicates]),
        "locus_lengths": numpy.stack([r["sequence_lengths"] for r in replicates]),
        "parameters": numpy.array([[r["parameters"][name] for name in scenario.priors] for r in replicates],
                                  dtype=numpy.float64).reshape(len(seeds), len(scenario.priors)),
        "sequence_length": numpy.array([r["sequence_length"] for r in replicates], dtype=numpy.float64),
        "seeds": numpy.array(seeds, dtype=numpy.uint64),
    }


def shard_replicate(arrays: dict, design: SamplingDesign, r: int,
                    mask_seed: int | None = None) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(genotypes (haplotypes, sites), positions (sites,)) of replicate ``r`` of a shard's arrays, with the
    simulated missing calls applied where the shard keeps complete calls and mask seeds; ``mask_seed``: a
    fresh mask of the design drawn from it instead of the simulated one."""
    start, end = arrays["site_offsets"][r], arrays["site_offsets"][r + 1]
    genotypes, seeds = arrays["genotypes"][:, start:end], arrays.get("mask_seeds")
    if design.missing is not None and seeds is not None:
        seed = int(seeds[r]) if mask_seed is None else mask_seed
        genotypes = with_missing_calls(genotypes, design, arrays["locus_site_counts"][r], seed)
    return genotypes, arrays["positions"][start:end]


def shard_replicates(arrays: dict, design: SamplingDesign) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """``shard_replicate`` of every replicate of a shard's arrays, in order."""
    return [shard_replicate(arrays, design, r) for r in range(len(arrays["site_offsets"]) - 1)]
