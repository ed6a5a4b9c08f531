"""Seeded, resumable, parallel simulation into shards."""

import concurrent.futures
import os

import numpy as np
import pytest

from genomics.scenario import catalogue
from genomics.simulation.run import load_simulations, replicate_seed, simulate, simulate_replicate

SMALL = {"name": "small", "priors": {"N": {"log_uniform": [500, 2000]}},
         "design": {"populations": ["P"], "samples": [4], "sequence_length": 2e4},
         "demes": [{"name": "P", "initial_size": "N"}]}


def scenarios():
    from genomics.scenario.scenario import Scenario

    other = dict(SMALL, name="smaller", priors={"N": {"log_uniform": [100, 500]}})
    return [Scenario(SMALL), Scenario(other)]


def folder_bytes(path):
    return {name: open(os.path.join(path, name), "rb").read() for name in sorted(os.listdir(path))}


def test_the_same_command_writes_byte_identical_data_whatever_the_workers(tmp_path):
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as executor:
        simulate(scenarios(), 5, str(tmp_path / "a"), master_seed=3, shard_size=2, executor=executor, progress=False)
    simulate(scenarios(), 5, str(tmp_path / "b"), master_seed=3, shard_size=2, workers=1, progress=False)
    first, second = folder_bytes(tmp_path / "a"), folder_bytes(tmp_path / "b")
    assert sorted(first) == ["manifest.json"] + [f"{s}-{k:05d}.npz" for s in ("small", "smaller") for k in range(3)]
    assert first == second
    simulate(scenarios(), 5, str(tmp_path / "c"), master_seed=4, shard_size=2, workers=1, progress=False)
    assert folder_bytes(tmp_path / "c")["small-00000.npz"] != first["small-00000.npz"]


def test_a_rerun_skips_finished_shards_and_redoes_only_missing_ones(tmp_path, capsys):
    out = str(tmp_path / "sims")
    simulate(scenarios(), 4, out, master_seed=1, shard_size=2, workers=1, progress=False)
    before = folder_bytes(out)
    kept = os.path.join(out, "small-00000.npz")
    kept_mtime = os.stat(kept).st_mtime_ns
    os.remove(os.path.join(out, "smaller-00001.npz"))
    simulate(scenarios(), 4, out, master_seed=1, shard_size=2, workers=1, progress=False)
    assert folder_bytes(out) == before
    assert os.stat(kept).st_mtime_ns == kept_mtime
    simulate(scenarios(), 4, out, master_seed=1, shard_size=2, workers=1)
    assert "already" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"was simulated with the master seed 1, not 2: give the same master seed"):
        simulate(scenarios(), 4, out, master_seed=2, shard_size=2, workers=1, progress=False)


class RecordingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that records the seeds of every shard it is given."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.seeds = []

    def submit(self, function, *arguments, **keywords):
        self.seeds.extend(arguments[1])
        return super().submit(function, *arguments, **keywords)


@pytest.mark.parametrize("before, after", [(4, 6), (3, 6)])
def test_asking_for_more_replicates_tops_up_to_what_a_fresh_run_of_that_many_writes(tmp_path, before, after):
    out = str(tmp_path / "sims")
    simulate(scenarios(), before, out, master_seed=5, shard_size=2, workers=1, progress=False)
    with RecordingExecutor() as executor:
        simulate(scenarios(), after, out, master_seed=5, shard_size=2, executor=executor, progress=False)
    # only the missing replicates, and those of a last shard that held fewer than shard_size (3 -> 6: replicate 2)
    first_new = before - before % 2
    assert sorted(executor.seeds) == sorted(replicate_seed(5, s, r) for s in (0, 1) for r in range(first_new, after))
    simulate(scenarios(), after, str(tmp_path / "fresh"), master_seed=5, shard_size=2, workers=1, progress=False)
    assert folder_bytes(out) == folder_bytes(tmp_path / "fresh")
    assert len(load_simulations(out).labels) == 2 * after


def test_topping_up_with_another_scenario_is_refused_naming_it_and_changes_nothing(tmp_path):
    out = str(tmp_path / "sims")
    simulate(scenarios(), 2, out, master_seed=1, workers=1, progress=False)
    before = folder_bytes(out)
    from genomics.scenario.scenario import Scenario

    changed = [scenarios()[0], Scenario(dict(SMALL, name="smaller", priors={"N": {"log_uniform": [100, 600]}}))]
    with pytest.raises(ValueError, match=r"^scenario 'smaller' differs from the one '.*sims' was simulated with "
                                         r"\(in priors\): only the same scenarios can resume or top up a folder"):
        simulate(changed, 4, out, master_seed=1, workers=1, progress=False)
    with pytest.raises(ValueError, match=r"holds the scenarios \['small', 'smaller'\], not \['small'\]"):
        simulate(scenarios()[:1], 4, out, master_seed=1, workers=1, progress=False)
    with pytest.raises(ValueError, match=r"holds 2 replicates per scenario, more than the 1 asked for"):
        simulate(scenarios(), 1, out, master_seed=1, workers=1, progress=False)
    assert folder_bytes(out) == before


def test_a_top_up_of_a_folder_being_written_is_refused_by_its_lock(tmp_path):
    from genomics import interrupts

    out = str(tmp_path / "sims")
    simulate(scenarios(), 2, out, master_seed=1, workers=1, progress=False)
    before = folder_bytes(out)
    with interrupts.FolderLock(out):
        with pytest.raises(interrupts.FolderBusy, match="is being written by another genomics process"):
            simulate(scenarios(), 4, out, master_seed=1, workers=1, progress=False)
        assert {k: v for k, v in folder_bytes(out).items() if not k.startswith(".")} == before


def test_scenarios_are_checked_once_where_they_are_read_not_in_every_shard(tmp_path, monkeypatch):
    from genomics.scenario.scenario import Scenario

    built = scenarios()
    checks = []
    monkeypatch.setattr(Scenario, "check_simulates", lambda self, draws=3: checks.append(self.name))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        simulate(built, 6, str(tmp_path / "sims"), master_seed=1, shard_size=2, executor=executor, progress=False)
    load_simulations(str(tmp_path / "sims"))
    assert checks == []


def test_loading_gives_every_replicate_with_its_label_and_records_provenance(tmp_path):
    out = str(tmp_path / "sims")
    manifest = simulate(scenarios(), 3, out, master_seed=1, shard_size=2, workers=1, progress=False)
    data = load_simulations(out)
    assert data.scenario_names == ["small", "smaller"]
    np.testing.assert_array_equal(data.labels, [0, 0, 0, 1, 1, 1])
    assert all(g.shape == (8, p.size) for g, p in zip(data.genotypes, data.positions))
    assert set(manifest["versions"]) >= {"msprime", "tskit", "numpy", "python", "minidl"}
    assert manifest["scenarios"][0]["spec"]["name"] == "small"
    single = simulate_replicate(scenarios()[0], replicate_seed(1, 0, 2))
    np.testing.assert_array_equal(single["genotypes"], data.genotypes[2])
    os.remove(os.path.join(out, "small-00001.npz"))
    with pytest.raises(FileNotFoundError, match="small-00001.npz"):
        load_simulations(out)


def test_simulated_genotypes_are_binary_and_sites_sorted():
    result = simulate_replicate(catalogue.get("divergence"), seed=5)
    assert set(np.unique(result["genotypes"])) <= {0, 1}
    assert result["genotypes"].shape[0] == 60
    assert np.all(np.diff(result["positions"]) > 0)
    assert set(result["parameters"]) == {"N_A", "N_B", "N_C", "N_AB", "N_ANC", "T1", "dT"}


def test_scenarios_with_different_designs_cannot_share_a_data_set(tmp_path):
    with pytest.raises(ValueError, match="share the sampled populations"):
        simulate([catalogue.get("constant"), catalogue.get("panmixia")], 1, str(tmp_path), progress=False)
