"""Every long step of the command line writes a progress line while it works: each command runs with its long
work replaced by a slow stand-in that reports nothing and ends only when a new line reaches the console (or, for
a silent command, after 10 s of real time, and the test fails).

Time is scaled down 50 times (``genomics.progress.FIRST_LINE_WITHIN`` 10 s -> 0.2 s, ``LINE_EVERY`` 30 s ->
0.6 s), so that a heartbeat shows within a fraction of a second; the promise of the first line within
``FIRST_LINE_WITHIN`` is tested on ``Progress`` itself with a fake clock (tests/genomics/test_progress.py).
"""

import contextlib
import sys
import time

import pytest

from genomics import progress as progress_module
from genomics.cli.main import main

SILENT_FOR = 10.0
"""Real seconds a stand-in waits for a line before it gives up (a command that stays silent)."""


class Finished(Exception):
    """The stand-in's end: the command stops there (its results are not what these tests look at)."""


@pytest.fixture
def scaled_time(monkeypatch):
    monkeypatch.setattr(progress_module, "FIRST_LINE_WITHIN", 0.2)
    monkeypatch.setattr(progress_module, "LINE_EVERY", 0.6)
    monkeypatch.setattr(progress_module, "HEARTBEAT_POLL", 0.01)


class SlowStandIn:
    """A callable that stands in for a long, silent piece of work: it waits until a new line is written to the
    console after it began (recorded in ``lines``) and then raises ``Finished``; after ``SILENT_FOR`` seconds
    without one it raises ``Finished`` with ``lines`` empty."""

    def __init__(self):
        self.lines, self.calls = [], 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > 1:  # another shard of the same pool, started as the first one ended the command
            raise Finished
        console = sys.stdout
        before = len(console.getvalue())
        deadline = time.monotonic() + SILENT_FOR
        while time.monotonic() < deadline:
            written = console.getvalue()[before:]
            if "\n" in written:
                self.lines.append(written.split("\n", 1)[0])
                raise Finished
            time.sleep(0.01)
        raise Finished

    @contextlib.contextmanager
    def as_context(self, *args, **kwargs):
        """The stand-in as a context manager whose entry is the slow part (a cluster that takes time to start)."""
        self()
        yield None


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A simulation folder (4 replicates per scenario), a second one with another seed, and a bundle trained
    one epoch on the first: what the commands need to get as far as their long work."""
    folder = tmp_path_factory.mktemp("command_progress")
    sims, fresh, run = str(folder / "sims"), str(folder / "fresh"), str(folder / "run")
    for out, seed in ((sims, "1"), (fresh, "2")):
        assert main(["simulate", "three_populations", "--replicates", "4", "--out", out, "--workers", "1",
                     "--simulation-seed", seed, "--quiet"]) == 0
    assert main(["train", sims, "--out", run, "--epochs", "1", "--n-snps", "16", "--quiet"]) == 0
    return {"sims": sims, "fresh": fresh, "bundle": str(folder / "run" / "model.npz")}


def run_with_stand_in(argv, capsys):
    """Run ``genomics ARGV`` until its stand-in ends it; returns what the console showed."""
    with pytest.raises(Finished):
        main(argv)
    return capsys.readouterr().out


def check_a_line_came_during(stand_in, label):
    assert stand_in.calls >= 1
    assert stand_in.lines, f"the step stayed silent for {SILENT_FOR:g} s of its slow work"
    assert stand_in.lines[0].startswith(label)


def stand_in_for(monkeypatch, target, name):
    stand_in = SlowStandIn()
    monkeypatch.setattr(target, name, stand_in)
    return stand_in


def test_simulate_writes_a_line_while_one_long_shard_runs(tmp_path, monkeypatch, capsys, scaled_time):
    from genomics.simulation import run

    stand_in = stand_in_for(monkeypatch, run, "simulate_shard")  # one shard that takes long, in this process
    import concurrent.futures

    monkeypatch.setattr(run.interrupts, "worker_pool", lambda workers: concurrent.futures.ThreadPoolExecutor(1))
    run_with_stand_in(["simulate", "three_populations", "--replicates", "4", "--out", str(tmp_path / "sims"),
                       "--workers", "1"], capsys)
    check_a_line_came_during(stand_in, "simulated: 0/12 replicates")


def test_simulate_on_a_cluster_writes_a_line_while_the_cluster_starts(tmp_path, monkeypatch, capsys, scaled_time):
    from genomics.cli import options

    stand_in = SlowStandIn()
    monkeypatch.setattr(options, "cluster", stand_in.as_context)
    run_with_stand_in(["simulate", "three_populations", "--replicates", "4", "--out", str(tmp_path / "sims"),
                       "--dask-local", "2"], capsys)
    check_a_line_came_during(stand_in, "simulated")


@pytest.mark.parametrize("stream", [False, True], ids=["in memory", "streamed"])
def test_train_writes_a_line_while_one_long_epoch_runs(tiny_run, tmp_path, monkeypatch, capsys, scaled_time,
                                                       stream):
    from genomics.pipeline import fit

    stand_in, build = SlowStandIn(), fit.models.build

    def network_with_a_slow_fit(*args, **kwargs):
        model = build(*args, **kwargs)
        model.fit = stand_in
        return model

    monkeypatch.setattr(fit.models, "build", network_with_a_slow_fit)
    run_with_stand_in(["train", tiny_run["sims"], "--out", str(tmp_path / "run"), "--epochs", "5", "--n-snps", "16",
                       *(["--stream"] if stream else [])], capsys)
    check_a_line_came_during(stand_in, "trained: 0/5 epochs")


@pytest.mark.parametrize("command, library, name, label", [
    ("evaluate", "genomics.pipeline", "evaluate", "encoded for evaluation"),
    ("calibrate", "genomics.pipeline", "calibrate_bundle", "encoded for calibration"),
    ("compare", "genomics.baselines.comparison", "compare", "summary statistics"),
    ("abc", "genomics.cli.commands", "ShardReader", "summary statistics"),
])
def test_commands_on_a_simulation_folder_write_a_line_while_they_work(tiny_run, tmp_path, monkeypatch, capsys,
                                                                      scaled_time, command, library, name, label):
    import importlib

    stand_in = stand_in_for(monkeypatch, importlib.import_module(library), name)
    argv = {"evaluate": ["evaluate", tiny_run["bundle"], tiny_run["fresh"]],
            "calibrate": ["calibrate", tiny_run["bundle"], tiny_run["fresh"], "--out", str(tmp_path / "c.npz")],
            "compare": ["compare", tiny_run["sims"], tiny_run["bundle"]],
            "abc": ["abc", tiny_run["sims"]]}[command]
    run_with_stand_in(argv, capsys)
    check_a_line_came_during(stand_in, label)


def test_check_writes_a_line_while_it_works(tiny_run, monkeypatch, capsys, scaled_time):
    from genomics.baselines import runs
    from genomics.cli import commands

    monkeypatch.setattr(commands, "_read_data_sets", lambda arguments, design, *more: ([], []))
    stand_in = stand_in_for(monkeypatch, runs, "check_data_sets")
    run_with_stand_in(["check", tiny_run["sims"], "--bundle", tiny_run["bundle"], "--matrix", "unused.txt"], capsys)
    check_a_line_came_during(stand_in, "summary statistics")


def test_predict_writes_a_line_while_it_works(tiny_run, monkeypatch, capsys, scaled_time):
    from genomics import pipeline
    from genomics.cli import commands

    monkeypatch.setattr(commands, "_check_predict_options", lambda arguments: None)
    monkeypatch.setattr(commands, "_read_data_sets", lambda arguments, design, *more, **options: ([], []))
    stand_in = stand_in_for(monkeypatch, pipeline, "predict_genotypes")
    run_with_stand_in(["predict", tiny_run["bundle"], "--matrix", "unused.txt"], capsys)
    check_a_line_came_during(stand_in, "predicting")


def test_posterior_writes_a_line_while_it_fits(tiny_run, tmp_path, monkeypatch, capsys, scaled_time):
    from genomics.learning import posterior

    stand_in = stand_in_for(monkeypatch, posterior, "fit_posterior")
    run_with_stand_in(["posterior", tiny_run["sims"], "--scenario", "divergence", "--out", str(tmp_path / "p")],
                      capsys)
    check_a_line_came_during(stand_in, "fitting the posterior in divergence")


def test_the_demo_writes_a_line_while_it_simulates(tmp_path, monkeypatch, capsys, scaled_time):
    from genomics import demo

    stand_in = stand_in_for(monkeypatch, demo, "simulate")
    run_with_stand_in(["demo", "--out", str(tmp_path / "demo")], capsys)
    check_a_line_came_during(stand_in, "simulated")
