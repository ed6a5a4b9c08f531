"""The same seeds give the same simulations as before the scenario events became classes.

The hashes below were recorded on the code before that change (``main`` at 3d0f5ba) by running this file as a
script there (``python -c "import runpy; runpy.run_path('tests/genomics/test_scenario_reproducibility.py',
run_name='__main__')"`` from that checkout's root). Every scenario file of ``examples/``, every built-in scenario
and hand-written fixtures that use the event types the examples do not (pulse, migration_rate_change, size
change with growth, ms's ``-es`` admixture) are simulated for a few seeds; designs of many locus copies keep at
most three copies of each locus, so that the test takes seconds (the demography, which this test is about, is
unchanged).
"""

import copy
import glob
import hashlib
import json
import os

import numpy as np

from genomics.scenario import catalogue, ms
from genomics.scenario.scenario import Scenario, load_toml
from genomics.simulation.run import simulate_replicate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = (1, 2, 3)
MAX_COPIES = 3

FIXTURES = [
    {"name": "pulse_and_symmetric_change", "priors": {"N": {"log_uniform": [500, 5000]}, "T": {"uniform": [100, 2000]},
                                                      "p": {"uniform": [0.1, 0.5]}, "m": {"log_uniform": [1e-5, 1e-3]}},
     "design": {"populations": ["A", "B"], "samples": [3, 3], "sequence_length": 2e4, "mutation_rate": 1e-7,
                "recombination_rate": 1e-8},
     "demes": [{"name": "A", "initial_size": "N", "growth_rate": 0.001}, {"name": "B", "initial_size": "N * 2"},
               {"name": "ANC", "initial_size": "N"}],
     "events": [{"type": "pulse", "time": "T / 2", "source": "A", "dest": "B", "proportion": "p"},
                {"type": "migration_rate_change", "time": "T / 3", "populations": ["A", "B"], "rate": "m"},
                {"type": "size_change", "time": "T / 4", "population": "A", "size": "N", "growth_rate": 0.0},
                {"type": "growth_change", "time": "T / 5", "population": "B", "growth_rate": -0.001},
                {"type": "split", "time": "T", "derived": ["A", "B"], "ancestral": "ANC"}]},
    {"name": "join_at_zero_and_migration", "units": "coalescent", "reference_size": 5000,
     "priors": {"t": {"uniform": [0.1, 1.0]}, "M": {"uniform": [0.5, 2.0]}},
     "design": {"populations": ["A", "B", "C"], "samples": [2, 2, 2], "ploidy": 1,
                "loci": [{"name": "l", "count": 4, "sequence_length": 500, "theta": 2.0, "rho": 1.0}]},
     "demes": [{"name": "A", "initial_size": 1.0}, {"name": "B", "initial_size": 0.5},
               {"name": "C", "initial_size": 1}],
     "events": [{"type": "migration", "source": "A", "dest": "B", "rate": "M"},
                {"type": "symmetric_migration", "populations": ["B", "C"], "rate": "M / 2"},
                {"type": "join", "time": 0, "source": "C", "dest": "B"},
                {"type": "migration_change", "time": "t / 2", "source": "A", "dest": "B", "rate": 0},
                {"type": "join", "time": "t", "source": "B", "dest": "A"}]},
]
MS_COMMANDS = ["ms 8 2 -t 5 -r 2 1000 -I 2 4 4 1 -es 0.2 1 0.3 -ej 0.5 3 2 -ej 1.0 2 1 -eN 2.0 3"]


def shrunk(spec: dict) -> dict:
    """The spec with at most MAX_COPIES copies of each locus (the demography untouched)."""
    spec = copy.deepcopy(spec)
    for locus in spec["design"].get("loci", []):
        locus["count"] = min(locus.get("count", 1), MAX_COPIES)
    return spec


def scenarios() -> list[Scenario]:
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "*.toml"))):
        if "[stdpopsim]" not in open(path).read():  # catalogue models came later: tests/genomics/test_stdpopsim_*
            found.extend(load_toml(path))
    found.extend(catalogue.get(name) for name in catalogue.SPECS)
    found.extend(Scenario(spec) for spec in FIXTURES)
    found.extend(Scenario(ms.scenario_from_ms(command, {})) for command in MS_COMMANDS)
    return [Scenario(shrunk(scenario.spec)) for scenario in found]


def replicate_hash(scenario: Scenario, seed: int) -> str:
    replicate = simulate_replicate(scenario, seed)
    digest = hashlib.sha256()
    for array in (replicate["genotypes"], replicate["positions"], replicate["site_counts"],
                  np.array(sorted(replicate["parameters"].items()), dtype=object).astype(str)):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def all_hashes() -> dict[str, list[str]]:
    found = scenarios()
    assert len({scenario.name for scenario in found}) == len(found), "scenario names must be distinct"
    return {scenario.name: [replicate_hash(scenario, seed) for seed in SEEDS] for scenario in found}


RECORDED: dict[str, list[str]] = {
    "bottleneck": ["7a89bca8253d8b12", "1b90f7e4c04f993c", "8f36c17bdbff97e4"],
    "constant": ["e71c9eb5c64b773e", "e0568f814fb48497", "4b33d1ba56e69163"],
    "divergence": ["a87f233790fc7a9b", "8df898ff6f2a8426", "fad84f852ff4f905"],
    "divergence_with_migration": ["4f6a1b9c445e617d", "61cf1e96a2596ad6", "79e1177364af8189"],
    "expansion": ["58c8798a17a15c24", "79131ba80bc3e9fa", "6d362d1411b76b79"],
    "ghist2025_bottleneck": ["9d457b4c6ce8f09c", "2d1e153dbb1bb3d1", "7a52c7c889b3dc7c"],  # recorded 2026-12-07, when the file came
    "isolation": ["ac9cf2c2245670cd", "3b2130d4e968d6d9", "a242c6537b5d7d52"],
    "isolation_with_migration": ["e51cc31a5fa9beb0", "97baf571dfe05556", "7dcf5b4fa79a5748"],
    "join_at_zero_and_migration": ["6a9f1e3ced2c25f1", "3d46058e60451801", "64ec4cae7ceb8f9a"],
    "model1_split_migration": ["e9c10340a2637cd7", "0822f19c26a558f0", "ef3f9ab02e4bed98"],
    "model1_splitter": ["a2943210a238fda4", "08567880876f782a", "a5dde73a33ad7b49"],
    "model2_expansion_both": ["fed75a7119439781", "503c924b08297206", "c2a6357faec125ec"],
    "model2_splitter_migration": ["9b5d795d71acb260", "a4c0bc870126310c", "9b5a7bb5b5db7b38"],
    "model3_expansion_zonal": ["3b414d79f5eebfd2", "d6752c59ee1f96c3", "1e6b094ac0c8e678"],
    "model3_lumper": ["259c335747030cff", "636f993a81b6238e", "739930f2de07432e"],
    "model4_lumper_migration": ["85f149881bc051ac", "d7c0b864bfc7a1ca", "a759cf465b2ec345"],
    "model5_geneland": ["1b6df63222bc8e90", "b7dbe1863689df77", "da0b1bbb70e271e5"],
    "model6_bpp": ["7d76eaad946349b4", "ca55c76f65d5a586", "853e190af7d316e8"],
    "model7_bpp_migration": ["6a3782c0afdc6b1e", "b0fe64bb947f6430", "2caba8c33959f61c"],
    "ms_model": ["b57136ea82a97fcb", "c6272ee1deadd577", "8d881be13465e8af"],
    "panmixia": ["a8c6f53cb7577eb1", "f4599129a34cb5b9", "639bd6058b1212cf"],
    "pulse_and_symmetric_change": ["c59b2a122605c00d", "f88adda035b703b7", "689f364c939184ed"],
}


def test_every_example_and_fixture_scenario_simulates_as_before_for_the_same_seeds():
    assert RECORDED, "no recorded hashes"
    assert all_hashes() == RECORDED


if __name__ == "__main__":
    print(json.dumps(all_hashes(), indent=1, sort_keys=True))
