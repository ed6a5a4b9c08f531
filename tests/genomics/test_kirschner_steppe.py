"""examples/kirschner_steppe: the study's network loads as ``genomics train --network FILE.py:build_network`` loads
it, and the quick mode of run.py runs every step (simulate, train both networks, calibrate, evaluate).

The scenario files themselves (from-ms's output of the published commands, unedited, and epoch by epoch msprime's
own ms parser's demography on the study's own commands for prior draws) are checked in test_ms_commands.py; here
the commands of ms_commands.txt with each {expression} replaced by its value go through msprime's parser too. The
network's architecture is checked against Keras's in test_user_networks.py, on the copy in tests/genomics/data that
the example's file must equal."""

import contextlib
import inspect
import io
import json
import math
import re
import runpy
from pathlib import Path

import pytest

from genomics.learning.user_networks import load_user_network
from genomics.scenario.scenario import load_toml
from tests.genomics.test_ms_commands import commands, compare_with_mspms

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kirschner_steppe"
NETWORK = EXAMPLE / "steppe_network.py"


@pytest.mark.filterwarnings("ignore:Non-zero migration rates exist after merging")
@pytest.mark.parametrize("name, template, priors", commands(EXAMPLE / "ms_commands.txt"))
def test_each_scenario_is_msprimes_reading_of_its_ms_command_filled_with_prior_draws(name, template, priors):
    (scenario,) = load_toml(str(EXAMPLE / f"{name}.toml"))
    assert compare_with_mspms(scenario, template, draws=8, seed=35) < 1e-9


def test_the_steppe_network_takes_the_input_shape_and_the_number_of_scenarios_as_the_loader_calls_it():
    namespace = runpy.run_path(str(NETWORK))
    assert len(inspect.signature(namespace["build_network"]).parameters) == 2
    # 100 SNPs, 270 haplotypes, one channel (no missing-call channel): sites x haplotypes, as the study's input
    loaded = load_user_network(f"{NETWORK}:build_network", (270, 100, 1), 3)
    model = loaded.model
    assert tuple(model.input_shape) == (None, 100, 270) and tuple(model.output_shape) == (None, 3)
    assert any(layer.name == "logits" for layer in model.layers)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("kirschner_steppe")
    example = runpy.run_path(str(EXAMPLE / "run.py"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = example["main"](["--quick", "--out", str(out), "--workers", "1"])
    return out, results, printed.getvalue()


def test_the_quick_mode_trains_calibrates_and_tests_both_networks_on_the_three_models(quick):
    out, results, printed = quick
    assert printed.startswith("quick mode: 100 of the study's 1,000 loci, 8 training, 4 calibration and 4 test")
    assert "0.982 calibrated test accuracy at 10,000 per model" in printed
    assert [run["network"] for run in results["runs"]] == ["steppe", "exchangeable"]
    assert results["loci"] == 100 and results["simulations_per_model"] == 8 and results["missing_per_call"] == 0.15
    for run in results["runs"]:
        assert run["test_samples"] == 3 * 4 and sum(map(sum, run["confusion_matrix"])) == 12
        for name in ("test_accuracy_raw", "test_accuracy_calibrated", "test_ece_calibrated"):
            assert 0 <= run[name] <= 1, (run["network"], name, run[name])
        assert math.isfinite(run["temperature"]) and run["temperature"] > 0
        assert (out / run["network"] / "calibrated.npz").is_file()
    assert json.loads((out / "results.json").read_text())["runs"][0]["network"] == "steppe"


def test_the_quick_runs_scenarios_are_the_committed_ones_with_fewer_loci_and_the_studys_missing_calls(quick):
    out, _, _ = quick
    for committed in sorted(EXAMPLE.glob("model*.toml")):
        ((original,), (copy,)) = load_toml(str(committed)), load_toml(str(out / "scenarios" / committed.name))
        assert original.design.missing is None and original.design.segregating_sites == [1] * 1000
        assert copy.design.segregating_sites == [1] * 100 and copy.design.samples == [160, 110]
        assert copy.design.missing.kind == "per_call" and copy.design.missing.rates == (0.15, 0.15)
        assert {k: v for k, v in copy.spec.items() if k != "design"} == {
            k: v for k, v in original.spec.items() if k != "design"}


@pytest.mark.parametrize("arguments, message", [
    (["--per-model", "0"], "--per-model must be at least 1, got 0"),
    (["--missing", "1"], r"--missing must be in \[0, 1\), got 1.0"),
    (["--loci", "20"], "--loci must be at least 60"),
])
def test_bad_options_are_one_sentence_before_any_simulation(tmp_path, capsys, arguments, message):
    example = runpy.run_path(str(EXAMPLE / "run.py"))
    with pytest.raises(SystemExit):
        example["main"]([*arguments, "--out", str(tmp_path / "out")])
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "out").exists()
