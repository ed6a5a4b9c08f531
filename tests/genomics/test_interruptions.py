"""Every interruption of the genomics command leaves the best finished work on disk and no process behind.

Signals are real: each test starts ``python -m genomics ...`` (from this
checkout), waits for the work to reach a given point, and signals it. A
full disk is an ``OSError(ENOSPC)`` raised by the writer, through ``main``.
"""

import errno
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy
import psutil
import pytest

import minidl
from genomics import interrupts
from genomics.simulation import folder as simulation_folder, resources, run as simulate_module
from genomics import pipeline
from genomics.encoding.encoder import Encoder
from genomics.bundle import BUNDLE_KIND
from genomics.scenario.catalogue import resolve
from genomics.cli.main import main
from genomics.simulation.run import simulate
from minidl.saving.npz import read_metadata

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="signals, /proc and PR_SET_PDEATHSIG are Linux's")

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRAIN = ["--n-snps", "16", "--batch-size", "4", "--epochs", "8", "--patience", "8"]


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    """150 replicates of each of two one-population scenarios, in shards of 50."""
    out = tmp_path_factory.mktemp("interruptions") / "sims"
    simulate(resolve(["constant", "bottleneck"]), 150, str(out), master_seed=3, shard_size=50, workers=2,
             progress=False)
    return out


def genomics(*arguments):
    """``python -m genomics ARGUMENTS`` started from this checkout, its stderr captured."""
    return subprocess.Popen([sys.executable, "-m", "genomics", *map(str, arguments)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(condition, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout} s for {what}")


def epochs_done(out):
    """Epochs recorded in ``out``'s training state (0 while there is none)."""
    try:
        return read_metadata(str(out / "training-state.npz"))["epochs_done"]
    except (OSError, ValueError, KeyError):
        return 0


def one_line(stderr):
    assert "Traceback" not in stderr, stderr
    assert stderr.count("\n") == 1, f"expected one line on stderr, got:\n{stderr}"
    return stderr.strip()


def alive(pids):
    return [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


def test_sigterm_keeps_the_best_model_and_resume_repeats_the_uninterrupted_history(sims, tmp_path):
    whole = genomics("train", sims, "--out", tmp_path / "whole", *TRAIN)
    assert whole.wait(timeout=300) == 0, whole.stderr.read()
    stopped = tmp_path / "stopped"
    process = genomics("train", sims, "--out", stopped, *TRAIN)
    wait_for(lambda: epochs_done(stopped) >= 3, "three epochs")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143
    line = one_line(stderr)
    assert line.startswith("genomics train: stopped by SIGTERM; kept the best model so far (epoch ")
    assert f"not calibrated) in {stopped / 'model.npz'}; rerun the same command with --resume" in line

    kept = read_metadata(str(stopped / "model.npz"))
    assert kept["calibration"] is None and kept["checkpoint"]["calibrated"] is False
    assert 1 <= kept["checkpoint"]["epoch"] <= epochs_done(stopped) < 8
    evaluation = pipeline.evaluate(str(stopped / "model.npz"), str(sims))  # predict and evaluate read it
    assert list(evaluation.outputs) == ["softmax (not calibrated)"] and evaluation.labels.shape == (300,)

    resumed = genomics("train", sims, "--out", stopped, *TRAIN, "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    history = json.loads((tmp_path / "whole" / "evaluation.json").read_text())["history"]
    assert json.loads((stopped / "evaluation.json").read_text())["history"] == history
    for ours, theirs in zip(minidl.load_model(str(stopped / "model.npz")).get_weights(),
                            minidl.load_model(str(tmp_path / "whole" / "model.npz")).get_weights()):
        numpy.testing.assert_array_equal(ours, theirs)
    assert "checkpoint" not in read_metadata(str(stopped / "model.npz"))
    assert not (stopped / "training-state.npz").exists()


def test_ctrl_c_before_the_first_epoch_says_nothing_was_kept_and_exits_130(sims, tmp_path):
    process = genomics("train", sims, "--out", tmp_path / "run", *TRAIN)
    wait_for(lambda: (tmp_path / "run").exists(), "the output folder")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    line = one_line(stderr)
    assert line.startswith("genomics train: stopped by SIGINT")
    assert line.endswith("no epoch had finished: no model was kept") or "kept the best model so far" in line


def test_a_full_disk_at_the_final_save_keeps_the_best_model_so_far(sims, tmp_path, monkeypatch, capsys):
    savez = numpy.savez_compressed

    def full_disk_for_the_finished_bundle(handle, **arrays):
        metadata = json.loads(arrays["__config__"].tobytes())["metadata"]
        if metadata.get("kind") == BUNDLE_KIND and "checkpoint" not in metadata:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return savez(handle, **arrays)

    monkeypatch.setattr(numpy, "savez_compressed", full_disk_for_the_finished_bundle)
    out = tmp_path / "run"
    assert main(["train", str(sims), "--out", str(out), *TRAIN, "--epochs", "3"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"genomics train: error: cannot write the model file '{out / 'model.npz'}': No space "
                           "left on device; kept the best model so far (epoch ")
    assert read_metadata(str(out / "model.npz"))["checkpoint"]["calibrated"] is False
    assert not list(out.glob("*.partial"))

    monkeypatch.undo()  # space again
    assert main(["train", str(sims), "--out", str(out), *TRAIN, "--epochs", "3", "--resume",
                 "--learning-rate", "0.01"]) == 2
    assert capsys.readouterr().err == ("genomics train: error: --resume: the stopped training had learning_rate = "
                                       "0.001; this command gives learning_rate = 0.01: give the same options, or "
                                       "train anew without --resume\n")
    assert main(["train", str(sims), "--out", str(out), *TRAIN, "--epochs", "3", "--resume"]) == 0
    assert read_metadata(str(out / "model.npz"))["calibration"]["temperature"] > 0  # calibrated, evaluated, written
    assert "Epoch 1/3" not in capsys.readouterr().out  # the three epochs were not trained again
    assert main(["train", str(sims), "--out", str(out), *TRAIN, "--epochs", "3", "--resume"]) == 2
    assert capsys.readouterr().err == (f"genomics train: error: --resume: {str(out)!r} holds a finished training "
                                       "(model.npz): nothing to resume\n")


def test_a_shard_deleted_mid_training_ends_in_one_sentence_keeping_the_best_model(sims, tmp_path):
    folder = tmp_path / "sims"
    shutil.copytree(sims, folder)
    out = tmp_path / "run"
    process = genomics("train", folder, "--out", out, *TRAIN, "--epochs", "40", "--patience", "40", "--stream",
                       "--shards-in-memory", "1")
    wait_for(lambda: epochs_done(out) >= 1, "one epoch")
    (folder / "constant-00001.npz").unlink()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    line = one_line(stderr)
    assert line.startswith(f"genomics train: error: cannot read shard '{folder / 'constant-00001.npz'}'")
    assert "; kept the best model so far (epoch " in line
    assert read_metadata(str(out / "model.npz"))["checkpoint"]["epoch"] >= 1


def worker_pids(process):
    return [child.pid for child in psutil.Process(process.pid).children(recursive=True)]


def test_sigterm_during_on_the_fly_training_leaves_no_simulation_worker(sims, tmp_path):
    out = tmp_path / "run"
    process = genomics("train", sims, "--out", out, *TRAIN, "--on-the-fly", "60", "--epochs", "50")
    wait_for(lambda: epochs_done(out) >= 1 and worker_pids(process), "an epoch and a simulation worker")
    workers = worker_pids(process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143
    assert "kept the best model so far" in one_line(stderr)
    wait_for(lambda: not alive(workers), "the workers to end", timeout=10)


@pytest.mark.parametrize("command", [
    ["train", "{sims}", "--out", "{tmp}/run", *TRAIN, "--on-the-fly", "60", "--epochs", "50"],
    ["simulate", "constant", "--replicates", "100000", "--shard-size", "20", "--workers", "2", "--out", "{tmp}/s"],
])
def test_workers_die_with_a_parent_killed_by_sigkill(sims, tmp_path, command):
    process = genomics(*(part.format(sims=sims, tmp=tmp_path) for part in command))
    wait_for(lambda: worker_pids(process), "a worker process")
    time.sleep(1.0)  # the workers are busy simulating
    workers = worker_pids(process)
    process.kill()  # no handler sees SIGKILL: the kernel's parent-death signal ends the workers
    process.communicate(timeout=60)
    wait_for(lambda: not alive(workers), "the orphaned workers to end", timeout=10)


def test_a_full_disk_during_simulate_keeps_finished_shards_and_says_so_in_one_sentence(tmp_path, monkeypatch,
                                                                                         capsys):
    write, written = simulation_folder.write_npz, []

    def disk_full_after_two_shards(path, arrays):
        if len(written) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path + ".partial")
        write(path, arrays)
        written.append(os.path.basename(path))

    monkeypatch.setattr(simulation_folder, "write_npz", disk_full_after_two_shards)
    out = tmp_path / "sims"
    assert main(["simulate", "constant", "--replicates", "8", "--shard-size", "2", "--workers", "1",
                 "--out", str(out)]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("genomics simulate: error: no space left on device while writing shard constant-000")
    assert line.endswith(f" in {out}; 2 shards kept; rerun to resume")
    assert sorted(p.name for p in out.glob("*.npz")) == sorted(written)


def test_a_second_simulate_into_a_folder_being_written_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "sims"
    first = genomics("simulate", "constant", "--replicates", "100000", "--shard-size", "20", "--workers", "1",
                     "--out", out)
    try:
        wait_for(lambda: any(out.glob("*.npz")), "the first shard")
        before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.npz")}
        assert main(["simulate", "constant", "--replicates", "100000", "--shard-size", "20", "--out", str(out)]) == 2
        assert capsys.readouterr().err == (f"genomics simulate: error: {str(out)!r} is being written by another "
                                           f"genomics process (pid {first.pid}); wait for it to finish, or write into "
                                           "another folder\n")
        assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in before.items())
    finally:
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=60)
    assert first.returncode == 143
    assert one_line(stderr).startswith("genomics simulate: stopped by SIGTERM; ")
    assert not list(out.glob("*.partial"))


def test_a_simulation_plan_that_cannot_fit_in_memory_is_refused_before_any_work(tmp_path, capsys):
    started = time.perf_counter()
    assert main(["simulate", "constant", "--replicates", "1000000000000", "--out", str(tmp_path / "s")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("genomics simulate: error: --replicates 1000000000000 plans 10000000000 shards of "
                            "--shard-size 100, whose bookkeeping alone needs about ")
    assert "of memory, but " in error and time.perf_counter() - started < 5
    assert not (tmp_path / "s").exists()


def test_shards_that_cannot_fit_on_the_disk_are_refused_before_any_work(tmp_path, capsys, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=10_000))  # 10 kB free
    assert main(["simulate", "constant", "--replicates", "1000", "--out", str(tmp_path / "s")]) == 2
    error = capsys.readouterr().err
    assert "error: --replicates 1000 of 1 scenarios need at least " in error
    assert (f"kB on disk in {str(tmp_path / 's')!r}, which has 10.0 kB free: give fewer --replicates or "
            "another --out") in error
    assert not (tmp_path / "s").exists()


def test_images_that_cannot_fit_in_memory_are_refused_before_encoding(sims, tmp_path, capsys):
    # 20 diploid samples: 40 haplotype rows; the alleles and the distance channel; 4 bytes a value:
    # 320 GB an image; a chunk of 256 held-out replicates (more than 6 training batches of 32), held twice: 164 TB
    assert main(["train", str(sims), "--out", str(tmp_path / "run"), "--n-snps", "1000000000"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("genomics train: error: --n-snps 1000000000 makes each image 40 x 1000000000 x 2 "
                            "float32 values (320.0 GB): the images in memory at once (training batches in flight, "
                            "or a chunk of held-out replicates) (256) need about 163.8 TB of memory, but ")
    assert error.endswith("use a smaller --n-snps\n")
    assert not (tmp_path / "run" / "model.npz").exists()


def test_the_image_estimate_is_the_size_of_a_real_image(tmp_path):
    simulate(resolve(["panmixia"]), 2, str(tmp_path / "three"), workers=1, progress=False)
    data = simulate_module.load_simulations(str(tmp_path / "three"))
    for settings in ({"n_snps": 24}, {"layout": "population_frequencies", "missing_channel": True},
                     {"layout": "joint_sfs"}, {"layout": "pairwise_sfs"}, {"layout": "joint_sfs", "sfs_haplotypes": 6}):
        encoder = Encoder.for_design(data.design, **settings)
        image = pipeline.encode_data(data, encoder, numpy.arange(1))[0]
        assert resources.image_values(encoder, data.design) == (image.shape, image.size), settings


def test_the_folder_lock_refuses_a_second_writer_and_leaves_nothing_behind(tmp_path):
    (tmp_path / ".genomics.lock").write_text("999999\n")  # left by a writer that was killed: its lock is gone
    with interrupts.FolderLock(str(tmp_path)):
        assert (tmp_path / ".genomics.lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(interrupts.FolderBusy, match=rf"is being written by another genomics process "
                                                        rf"\(pid {os.getpid()}\)"):
            with interrupts.FolderLock(str(tmp_path)):
                pass
    assert not (tmp_path / ".genomics.lock").exists()
    with interrupts.FolderLock(str(tmp_path)):  # free again
        pass


def _sleep_then_return(seconds):
    time.sleep(seconds)
    return seconds


def test_terminating_a_pool_whose_result_pipe_holds_half_a_message_does_not_hang():
    """A worker killed while sending its result leaves half a message in the pool's result pipe; the pool's
    manager thread then waits in recv() for bytes that never come (the parent holds the pipe's write end too).
    ``terminate_pool`` must still return, fail the pending futures, and leave no thread waiting."""
    pool = interrupts.worker_pool(1)
    future = pool.submit(_sleep_then_return, 60)
    wait_for(lambda: future.running(), "the task to start", timeout=60)
    # What a worker killed mid-send leaves: a length prefix announcing a megabyte, then ten bytes of it.
    os.write(pool._result_queue._writer.fileno(), (1 << 20).to_bytes(4, "big") + b"x" * 10)
    time.sleep(0.5)  # the manager thread is now inside recv(), waiting for the rest
    manager = pool._executor_manager_thread
    started = time.monotonic()
    interrupts.terminate_pool(pool)
    assert time.monotonic() - started < 10
    manager.join(10)
    assert not manager.is_alive()
    assert isinstance(future.exception(timeout=10), Exception)
