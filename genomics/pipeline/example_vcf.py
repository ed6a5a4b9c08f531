"""An example VCF made by the training simulator, for the demo and the tests."""

from __future__ import annotations

import os

import numpy

from genomics.observed import vcf
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import replicate_seed, simulate_replicate


def write_example_vcf(out_dir: str, scenario: Scenario, seed: int, windows: int = 3) -> tuple[str, str, dict]:
    """One data set of ``windows`` design-length windows from ``scenario``, as ``example.vcf`` + a population map.

    Made by the same generator as the training simulations
    (``simulate_replicate``): one parameter draw from the scenario's priors
    (seeded by ``seed``), then each window simulated independently with those
    parameters and placed end to end on contig "1" (so the windows are
    unlinked, as the training replicates are). Site positions are rounded
    to 1-based integers, moved up by one base where two would coincide.
    Returns (VCF path, population-map path, the parameters).
    """
    parameters = scenario.draw_parameters(numpy.random.default_rng(seed))
    design = scenario.design
    blocks, positions = [], []
    for window in range(windows):
        replicate = simulate_replicate(scenario, replicate_seed(seed, 0, window), parameters)
        blocks.append(replicate["genotypes"])
        positions.append(numpy.floor(replicate["positions"]) + 1 + window * replicate["sequence_length"])
    positions = numpy.concatenate(positions).astype(numpy.int64)
    steps = numpy.arange(positions.size)  # strictly increasing: q_i = max(p_i, q_(i-1) + 1)
    positions = numpy.maximum.accumulate(positions - steps) + steps
    names = [f"ind{i}" for i in range(sum(design.samples))]
    vcf_path, popmap_path = os.path.join(out_dir, "example.vcf"), os.path.join(out_dir, "example_populations.txt")
    vcf.write_vcf(vcf_path, numpy.concatenate(blocks, axis=1), positions, names, ploidy=design.ploidy)
    with open(popmap_path, "w") as handle:
        populations = numpy.repeat(design.populations, design.samples)
        handle.writelines(f"{name}\t{population}\n" for name, population in zip(names, populations))
    return vcf_path, popmap_path, parameters
