"""``python -m benchmarks.simulation_throughput [--scenario FILE] [--replicates 3] [--rounds 2] [--quick]``

Replicates per second of ``genomics``' simulator against a plain msprime
loop written the obvious way, on a design of many short loci (by default
the Kirschner et al. steppe study's model 1: 1,000 unlinked loci of one
segregating site over 160 + 110 haplotypes, ``ms 270 1000 -s 1``).

Both sides draw the same parameters from the scenario's priors and build
the same msprime demography; they differ in what happens per locus:

- ``genomics``: ``genomics.simulation.run.simulate_replicate`` (one
  msprime simulator run 1,000 times, as ``sim_ancestry(num_replicates=
  1000)`` runs it, each copy's edges and node times read without a tree
  sequence (``genomics.simulation.genealogies``); each copy's site placed
  as ms ``-s`` places it, in one compiled call).
- ``msprime loop``: the loci from ``msprime.sim_ancestry(num_replicates=
  1000)`` (msprime's documented way to simulate independent loci), each
  given mutations by ``msprime.sim_mutations`` at the rate that makes
  the expected number of sites the design's S (ms ``-s`` has no msprime
  counterpart), then ``ts.genotype_matrix()``: what a user writes
  without ``genomics``. Its number of sites per locus varies (Poisson
  around S); its work per locus is about that of placing S sites.
- ``genealogies``: the same ``sim_ancestry(num_replicates=1000)`` tree
  sequences, iterated and nothing else: what msprime's public API costs
  before any site is placed.

Every measurement runs in its own process, after one untimed replicate;
the sides are interleaved round after round; the figure is the best round
of each, and the ratios of genomics' time per replicate to the others'.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

DEFAULT = "examples/kirschner_steppe/model1_split_migration.toml"


def one_side(side: str, scenario_file: str, replicates: int) -> float:
    """Seconds per replicate of ``side`` (run in this process)."""
    import msprime
    import numpy

    from genomics.scenario.catalogue import resolve
    from genomics.simulation.run import simulate_replicate

    scenario = resolve([scenario_file])[0]
    start = time.perf_counter()
    for seed in range(replicates + 1):
        if seed == 1:  # seed 0 untimed: a process's first replicate loads numba's cached code (~0.7 s) once
            start = time.perf_counter()
        if side == "genomics":
            simulate_replicate(scenario, seed)
            continue
        generator = numpy.random.default_rng(seed)
        parameters = scenario.draw_parameters(generator)
        for locus in scenario.design.loci:
            length, recombination, mutation = scenario.locus_genome(locus, parameters)
            for ts in msprime.sim_ancestry(samples=scenario.sample_sets(),
                                           demography=scenario.demography(parameters, locus.size_scale),
                                           sequence_length=length, recombination_rate=recombination,
                                           random_seed=int(generator.integers(1, 2**31 - 1)),
                                           num_replicates=locus.count):
                if side == "genealogies":
                    continue
                if locus.fixed_sites:  # no rate in the design: one expected site per copy, as ms -t would give
                    mutation = locus.segregating_sites / (ts.first().total_branch_length * length)
                ts = msprime.sim_mutations(ts, rate=mutation, random_seed=int(generator.integers(1, 2**31 - 1)))
                ts.genotype_matrix()
    return (time.perf_counter() - start) / replicates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--scenario", default=DEFAULT, help="a scenario file of many short loci")
    parser.add_argument("--replicates", type=int, default=3, help="replicates per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (best one kept)")
    parser.add_argument("--quick", action="store_true", help="one replicate, one round (a smoke test)")
    parser.add_argument("--side", choices=("genomics", "msprime", "genealogies"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.side:
        print(json.dumps(one_side(arguments.side, arguments.scenario, arguments.replicates)))
        return
    if arguments.quick:
        arguments.replicates, arguments.rounds = 1, 1
    best = {"genomics": float("inf"), "msprime": float("inf"), "genealogies": float("inf")}
    for _ in range(arguments.rounds):
        for side in best:
            output = subprocess.run([sys.executable, "-m", "benchmarks.simulation_throughput", "--side", side,
                                     "--scenario", arguments.scenario, "--replicates", str(arguments.replicates)],
                                    check=True, capture_output=True, text=True).stdout
            best[side] = min(best[side], json.loads(output.strip().splitlines()[-1]))
    for side, seconds in best.items():
        print(f"{side:11s} {seconds:7.3f} s per replicate  ({1 / seconds:6.2f} replicates/s)")
    print(f"genomics / msprime loop: {best['genomics'] / best['msprime']:.2f}")
    print(f"genomics / msprime's genealogies alone: {best['genomics'] / best['genealogies']:.2f}")


if __name__ == "__main__":
    main()
