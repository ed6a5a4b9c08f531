"""ms ``-s`` sites placed fast (issue 35) are the sites placed before: the same draws, the same haplotypes, the
same shards to the bit, so that simulation folders made before the change can be extended after it."""

import hashlib

import msprime
import numpy as np
import tskit
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.scenario.scenario import Scenario, load_toml
from genomics.simulation import genealogies
from genomics.simulation.genealogies import one_tree_genealogies, reads_simulator
from genomics.simulation.loci import place_segregating_sites
from genomics.simulation.replicate import replicate_seed, simulate_shard


def main_place_segregating_sites(ts, count, generator):
    """The function as it was on main (da7b7db) before issue 35: numpy's ``choice`` with ``p`` and tskit's trees
    for every genealogy. The reference for the draws."""
    parent, child = ts.edges_parent, ts.edges_child
    left, right = ts.edges_left, ts.edges_right
    times = ts.nodes_time
    area = (right - left) * (times[parent] - times[child])
    chosen = generator.choice(area.size, size=count, p=area / area.sum())
    positions = left[chosen] + generator.random(count) * (right - left)[chosen]
    order = np.argsort(positions, kind="stable")
    chosen, positions = chosen[order], positions[order]
    genotypes = np.zeros((ts.num_samples, count), dtype=np.int8)
    sample = (ts.nodes_flags & tskit.NODE_IS_SAMPLE).astype(bool)
    tree = ts.first() if ts.num_trees == 1 else None
    for column, (edge, position) in enumerate(zip(chosen, positions)):
        if ts.num_trees > 1:
            tree = ts.at(position)
        below = tree.preorder(child[edge])
        genotypes[below[sample[below]], column] = 1
    return genotypes, positions


genealogy_cases = st.tuples(st.integers(1, 2**31 - 2), st.integers(2, 40), st.sampled_from([1, 2]),
                        st.sampled_from([0.0, 0.0, 1e-5, 3e-4]))


def genealogy(seed, individuals, ploidy, recombination_rate):
    return msprime.sim_ancestry(individuals, ploidy=ploidy, population_size=1000, sequence_length=1000,
                                recombination_rate=recombination_rate, random_seed=seed)


@settings(max_examples=60, deadline=None)
@given(genealogy_cases, st.integers(1, 20), st.integers(1, 2**63 - 1))
def test_sites_are_drawn_and_placed_as_main_placed_them(case, count, seed):
    ts = genealogy(*case)
    genotypes, positions = place_segregating_sites(ts, count, np.random.default_rng(seed))
    expected_genotypes, expected_positions = main_place_segregating_sites(ts, count, np.random.default_rng(seed))
    assert genotypes.dtype == np.int8 and np.array_equal(genotypes, expected_genotypes)
    assert positions.dtype == np.float64 and positions.tobytes() == expected_positions.tobytes()


@settings(max_examples=40, deadline=None)
@given(genealogy_cases, st.integers(1, 8), st.integers(1, 2**63 - 1))
def test_each_site_s_carriers_are_the_samples_below_one_branch_of_its_tree(case, count, seed):
    """Independent of the draws: tskit's ``Tree.samples(u)`` for a non-root node ``u`` of the tree at the site."""
    ts = genealogy(*case)
    genotypes, positions = place_segregating_sites(ts, count, np.random.default_rng(seed))
    assert genotypes.shape == (ts.num_samples, count) and np.all(np.diff(positions) >= 0)
    for column, position in enumerate(positions):
        assert 0 <= position < ts.sequence_length
        tree = ts.at(position)
        carriers = set(np.flatnonzero(genotypes[:, column]).tolist())
        branches = [set(tree.samples(u)) for u in tree.nodes() if tree.parent(u) != tskit.NULL]
        assert carriers in branches, (column, carriers)


def shard_digest(arrays):
    digest = hashlib.sha256()
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def steppe_model1_with_20_loci_and_missing_calls():
    spec = dict(load_toml("examples/kirschner_steppe/model1_split_migration.toml")[0].spec)
    spec["design"] = dict(spec["design"], loci=[dict(spec["design"]["loci"][0], count=20)],
                          missing={"per_call": 0.15})
    return Scenario(spec)


def mixed_design():
    """One-tree and many-tree ``-s`` loci, a locus of a mutation rate, diploids, locus dropout."""
    return Scenario({
        "name": "mixed", "priors": {"N": {"uniform": [500.0, 2000.0]}},
        "design": {"populations": ["A", "B"], "samples": [4, 3], "ploidy": 2,
                   "loci": [{"name": "snp", "count": 20, "segregating_sites": 1},
                            {"name": "linked", "count": 3, "segregating_sites": 3, "sequence_length": 1000,
                             "recombination_rate": 1e-4},
                            {"name": "short", "count": 2, "segregating_sites": 2},
                            {"name": "rated", "count": 2, "sequence_length": 1000, "mutation_rate": 1e-6}],
                   "missing": {"per_individual": 0.2}},
        "demes": [{"name": "A", "initial_size": "N"}, {"name": "B", "initial_size": "N"},
                  {"name": "ANC", "initial_size": "N"}],
        "events": [{"type": "split", "time": 500.0, "derived": ["A", "B"], "ancestral": "ANC"}]})


#: sha256 of every array of a shard of replicates 0-2 (master seed 7), computed with main at da7b7db
MAIN_SHARDS = {
    "steppe": (steppe_model1_with_20_loci_and_missing_calls,
               "393151d47386e549638ff680cba48cfe69a211fb028655a5acf4d34e42566f1f"),
    "mixed": (mixed_design, "d63eacd2969bae42d13b5145ea68cfd5069266e02adf17dd43958b23cee0b24e"),
}


def test_a_shard_is_bit_identical_to_one_simulated_by_main_before_the_speed_up():
    for name, (build, expected) in MAIN_SHARDS.items():
        arrays = simulate_shard(build(), [replicate_seed(7, 0, r) for r in range(3)])
        assert shard_digest(arrays) == expected, name


def test_genealogies_read_from_msprime_s_simulator_are_its_public_tree_sequences():
    """The private read (msprime 1.0-1.4) against ``sim_ancestry(num_replicates=...)``'s tree sequences."""
    assert reads_simulator()  # the installed msprime is one this was checked on; otherwise nothing below is new
    demography = msprime.Demography.island_model([500, 2000], migration_rate=1e-3)
    for seed in (1, 2, 3):
        arguments = {"samples": {"pop_0": 7, "pop_1": 5}, "demography": demography, "sequence_length": 1.0,
                     "recombination_rate": 0.0, "random_seed": seed}
        read = list(one_tree_genealogies(12, simulator=True, **arguments))
        public = list(msprime.sim_ancestry(**arguments, num_replicates=12))
        assert len(read) == len(public) == 12
        for arrays, ts in zip(read, public):
            expected = (ts.edges_parent, ts.edges_child, ts.edges_left, ts.edges_right, ts.nodes_time, ts.samples())
            for array, reference in zip(arrays, expected):
                assert array.dtype == reference.dtype and array.tobytes() == reference.tobytes()


def test_an_msprime_not_checked_here_goes_through_the_public_tree_sequences(monkeypatch):
    monkeypatch.setattr(msprime, "__version__", "2.0.0")
    assert not reads_simulator()
    monkeypatch.setattr(genealogies, "_simulator_tables", None)  # would fail if called
    build, expected = MAIN_SHARDS["steppe"]
    assert shard_digest(simulate_shard(build(), [replicate_seed(7, 0, r) for r in range(3)])) == expected
