"""Bad input to the genomics command gets one clear sentence before any work; nothing is left behind."""

import os
import signal
import subprocess
import sys
import time

import pytest

from genomics.cli.main import main


@pytest.mark.parametrize("arguments, message", [
    (["simulate", "panmixia", "--replicates", "2", "--workers", "0"], "argument --workers: expected a positive integer"),
    (["simulate", "panmixia", "--replicates", "2", "--workers", "-2"], "argument --workers: expected a positive"),
    (["simulate", "panmixia", "--replicates", "2", "--seed", "-1"], "argument --simulation-seed/--seed: expected an integer >= 0"),
    (["demo", "--replicates", "0"], "argument --replicates: expected a positive integer"),
])
def test_bad_numbers_are_refused_by_the_option_name(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit):
        main([*arguments, "--out", str(tmp_path / "out")])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # no manifest.json or folder left behind


def test_training_settings_are_checked_before_loading_or_simulating(tmp_path, capsys):
    assert main(["demo", "--epochs", "-3", "--out", str(tmp_path / "demo")]) == 2
    assert "epochs must be an integer >= 1, got -3" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()
    assert main(["train", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run"), "--learning-rate", "-1"]) == 2
    assert "learning_rate must be a positive number, got -1" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run"), "--epochs", "0"]) == 2
    assert "epochs must be an integer >= 1, got 0" in capsys.readouterr().err


def test_output_locations_under_a_file_fail_before_the_work(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    assert main(["simulate", "panmixia", "--replicates", "2", "--out", str(blocker)]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "sims"), "--out", str(blocker / "run" / "deeper")]) == 2
    assert f"'{blocker}' is a file, not a folder" in capsys.readouterr().err
    assert main(["evaluate", "m.npz", str(tmp_path), "--out", str(blocker / "e.json")]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_predict_refuses_windows_under_one_base(tmp_path, capsys):
    for window in ("0", "0.5"):
        assert main(["predict", "m.npz", "data.vcf", "--popmap", "p.txt", "--window", window]) == 2
        assert f"--window must be at least 1 bp, got {float(window):g}" in capsys.readouterr().err


def children_of(pid):
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


@pytest.mark.skipif(sys.platform != "linux", reason="reads the process table with ps --ppid")
def test_sigterm_ends_a_simulation_and_its_workers_keeping_finished_shards(tmp_path):
    out = tmp_path / "sims"
    process = subprocess.Popen([sys.executable, "-m", "genomics", "simulate", "three_populations", "--replicates",
                                "4000", "--shard-size", "20", "--workers", "2", "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not (out.exists() and any(p.suffix == ".npz" for p in out.iterdir())):
        time.sleep(0.2)
    workers = children_of(process.pid)
    assert workers, "the simulation started no worker processes"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode != 0
    time.sleep(0.5)
    alive = [pid for pid in workers if os.path.exists(f"/proc/{pid}") and
             open(f"/proc/{pid}/stat").read().split()[2] != "Z"]
    assert not alive, f"workers left running after SIGTERM: {alive}"
    assert not list(out.glob("*.partial"))
    assert any(p.suffix == ".npz" for p in out.iterdir())  # finished shards are kept for a resumed run
