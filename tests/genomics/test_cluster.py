"""Simulations and summary statistics on a real Dask cluster (distributed.LocalCluster, worker processes)."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from genomics.baselines import abc
from genomics.simulation import cluster
from genomics import pipeline
from genomics.encoding.encoder import Encoder
from genomics.cli.main import main as genomics
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import load_simulations, simulate
from tests.genomics.test_simulate import folder_bytes, scenarios

distributed = pytest.importorskip("distributed")

#: replicates slow enough (about 0.1 s a shard) that a worker can be killed while others are still to come
SLOW = {"name": "slow", "priors": {"N": {"log_uniform": [5000, 20000]}},
        "design": {"populations": ["P"], "samples": [20], "sequence_length": 2e5},
        "demes": [{"name": "P", "initial_size": "N"}]}


def within(seconds, function, *args, **kwargs):
    """``function(*args, **kwargs)``, failing the test (instead of hanging the suite) past ``seconds``."""
    outcome = {}

    def call():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{function.__name__} on the Dask cluster did not finish in {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def slow_scenarios():
    return [Scenario(SLOW), Scenario(dict(SLOW, name="slower", priors={"N": {"log_uniform": [20000, 40000]}}))]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local, \
            distributed.Client(local) as connected:
        connected.wait_for_workers(2, timeout=60)
        yield connected


def test_a_dask_cluster_writes_the_bytes_the_local_process_pool_writes(client, tmp_path):
    within(120, simulate, scenarios(), 5, str(tmp_path / "dask"), master_seed=3, shard_size=2,
           executor=client.get_executor(), progress=False)
    simulate(scenarios(), 5, str(tmp_path / "pool"), master_seed=3, shard_size=2, workers=2, progress=False)
    assert folder_bytes(tmp_path / "dask") == folder_bytes(tmp_path / "pool")
    assert len(set(client.run(os.getpid).values())) == 2  # two worker processes did the work


def test_summary_statistics_on_the_cluster_equal_those_computed_here(client, tmp_path):
    simulate(scenarios(), 7, str(tmp_path / "sims"), master_seed=5, shard_size=3, workers=1, progress=False)
    data = load_simulations(str(tmp_path / "sims"))
    here, names = abc.statistics_table(data)
    there, same_names = within(120, abc.statistics_table, data, executor=client.get_executor(), chunk=3)
    assert names == same_names
    np.testing.assert_array_equal(here, there)  # bit for bit, NaN where undefined in both


def test_encoding_on_the_cluster_gives_the_images_encoded_here(client, tmp_path):
    simulate(scenarios(), 7, str(tmp_path / "sims"), master_seed=6, shard_size=3, workers=1, progress=False)
    data = load_simulations(str(tmp_path / "sims"))
    encoder = Encoder.for_design(data.design)
    order = np.array([13, 0, 5, 9, 2, 11])
    np.testing.assert_array_equal(within(120, pipeline.encode_data, data, encoder, order, client.get_executor(), 4),
                                  pipeline.encode_data(data, encoder, order))


def _kill_one_worker_after_the_first_shard(client, out, killed):
    while not any(name.endswith(".npz") for name in os.listdir(out) if os.path.isdir(out)):
        time.sleep(0.01)
    pid = sorted(client.run(os.getpid).values())[0]
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)


def test_a_worker_killed_mid_run_costs_only_its_shard_in_flight(tmp_path):
    out = str(tmp_path / "killed")
    os.makedirs(out)
    killed: list = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local, \
            distributed.Client(local) as client:
        killer = threading.Thread(target=_kill_one_worker_after_the_first_shard, args=(client, out, killed))
        killer.start()
        within(120, simulate, slow_scenarios(), 24, out, master_seed=2, shard_size=2,
               executor=client.get_executor(), progress=False)
        killer.join()
    assert killed, "no worker was killed"
    simulate(slow_scenarios(), 24, str(tmp_path / "pool"), master_seed=2, shard_size=2, workers=2, progress=False)
    assert folder_bytes(out) == folder_bytes(tmp_path / "pool")  # the lost shard was re-run on another worker


def test_a_run_whose_cluster_goes_away_keeps_its_shards_and_a_rerun_completes_it(tmp_path):
    out = str(tmp_path / "interrupted")
    os.makedirs(out)
    local = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(local)

    def close_after_the_first_shard():
        while not any(name.endswith(".npz") for name in os.listdir(out)):
            time.sleep(0.01)
        client.close()
        local.close()

    closer = threading.Thread(target=close_after_the_first_shard)
    closer.start()
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises when its cluster is gone
        within(120, simulate, slow_scenarios(), 24, out, master_seed=2, shard_size=2,
               executor=client.get_executor(), progress=False)
    closer.join()
    kept = [name for name in os.listdir(out) if name.endswith(".npz")]
    assert 1 <= len(kept) < 24 and not [name for name in os.listdir(out) if name.endswith(".partial")]
    simulate(slow_scenarios(), 24, out, master_seed=2, shard_size=2, workers=2, progress=False)  # resumes
    simulate(slow_scenarios(), 24, str(tmp_path / "pool"), master_seed=2, shard_size=2, workers=2, progress=False)
    assert folder_bytes(out) == folder_bytes(tmp_path / "pool")


def test_the_command_line_runs_on_a_local_dask_cluster_and_refuses_bad_choices(tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert genomics(["simulate", "constant", "--replicates", "4", "--shard-size", "2", "--out", out,
                     "--dask-local", "2"]) == 0
    assert "on a local Dask cluster of 2 worker processes" in capsys.readouterr().out
    assert genomics(["simulate", "constant", "--replicates", "4", "--shard-size", "2", "--out",
                     str(tmp_path / "pool"), "--workers", "2"]) == 0
    assert folder_bytes(out) == folder_bytes(tmp_path / "pool")
    capsys.readouterr()
    assert genomics(["simulate", "constant", "--replicates", "4", "--out", str(tmp_path / "x"), "--workers", "2",
                     "--dask-local", "2"]) == 2
    assert "choose one of --workers, --scheduler and --dask-local" in capsys.readouterr().err
    assert genomics(["simulate", "constant", "--replicates", "4", "--out", str(tmp_path / "y"),
                     "--scheduler", "nowhere"]) == 2
    assert "--scheduler must be a Dask scheduler address" in capsys.readouterr().err
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler"):
        with cluster.executor(scheduler="tcp://127.0.0.1:9", timeout="2s"):
            pass
