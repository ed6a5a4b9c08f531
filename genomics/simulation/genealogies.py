"""Many unlinked copies of a locus without recombination, from one msprime simulation, as plain arrays.

``msprime.sim_ancestry(..., num_replicates=n)`` (msprime's public API) runs
one simulator ``n`` times and turns each copy's tables into a
``tskit.TreeSequence``: ``TableCollection.fromdict``, ``tree_sequence()``
and their Python wrappers cost about 0.25 ms a copy, a third of msprime's
time for the steppe study's one-SNP loci over 270 haplotypes (issue 35).
A locus of one tree needs none of it: its edges and node times are enough
to place ms ``-s`` sites (``genomics.simulation.loci.sites_on_one_tree``).

``one_tree_genealogies`` yields those arrays, each copy's the same as the
tree sequence's (the same simulator, the same seed, the same order). Where
msprime is one this module was checked against (``READS_SIMULATOR``), it reads them
from the simulator that ``sim_ancestry`` builds: ``msprime.ancestry.
_parse_sim_ancestry`` and its ``run()`` / ``tables.asdict()`` / ``reset()``,
exactly the loop of ``Simulator.run_replicates`` without the tree sequence.
These are msprime's private Python internals, not its documented API; they
are unchanged from msprime 1.0.0 to 1.4.x (``run_replicates`` builds each
replicate as ``TableCollection.fromdict(self.tables.asdict())`` in every
release). Any other msprime version, or a simulator that would have to
delete missing intervals of a rate map, goes through the public
``sim_ancestry`` replicates instead; ``tests/genomics/test_segregating_sites.py``
checks that both give the same arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msprime
import numpy
import tskit

#: msprime releases (major, minor) whose ``Simulator.run_replicates`` this module's loop was read from
READS_SIMULATOR = {(1, 0), (1, 1), (1, 2), (1, 3), (1, 4)}


def reads_simulator() -> bool:
    """Whether the installed msprime is one whose simulator ``one_tree_genealogies`` may read directly."""
    major_minor = tuple(int(part) for part in msprime.__version__.split(".")[:2] if part.isdigit())
    return major_minor in READS_SIMULATOR and hasattr(msprime.ancestry, "_parse_sim_ancestry")


def one_tree_genealogies(count: int, simulator: bool | None = None, **arguments: Any) -> Iterator[tuple]:
    """``count`` copies of ``msprime.sim_ancestry(**arguments, num_replicates=count)``, each as ``(edge parent,
    edge child, edge left, edge right, node times, sample node ids)``: int32, int32, float64, float64, float64,
    int32 arrays. ``arguments`` must give no recombination (one tree per copy), and a ``random_seed``.

    ``simulator``: read the simulator's tables (``True``) or the public tree
    sequences (``False``); by default the first where ``reads_simulator()``.
    """
    if simulator is None:
        simulator = reads_simulator()
    if simulator:
        running = msprime.ancestry._parse_sim_ancestry(**arguments)
        if len(running.missing_intervals) == 0:
            yield from _simulator_tables(running, count)
            return
    for ts in msprime.sim_ancestry(**arguments, num_replicates=count, record_provenance=False):
        yield ts.edges_parent, ts.edges_child, ts.edges_left, ts.edges_right, ts.nodes_time, ts.samples()


def _simulator_tables(running: Any, count: int) -> Iterator[tuple]:
    """``Simulator.run_replicates``'s loop (msprime 1.0-1.4) without building a TableCollection or TreeSequence."""
    for _ in range(count):
        running.run()
        tables = running.tables.asdict()
        edges, nodes = tables["edges"], tables["nodes"]
        samples = numpy.flatnonzero(nodes["flags"] & tskit.NODE_IS_SAMPLE).astype(numpy.int32)
        yield edges["parent"], edges["child"], edges["left"], edges["right"], nodes["time"], samples
        running.reset()
