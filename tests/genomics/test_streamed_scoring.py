"""evaluate, calibrate, compare and predict --subsets read their replicates a batch at a time.

The references are the whole-folder computations these commands made before (every replicate encoded to
float32 at once, ``pipeline.encode_data``, then one pass of the network): the streamed figures must be the
same up to float rounding, and the memory they need must not grow with the number of replicates.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from genomics import pipeline
from genomics.bundle import Bundle
from genomics.cli.main import main
from genomics.learning.calibration import fit_temperature
from genomics.learning.evaluation import network_evaluation
from genomics.pipeline.calibrate import network_logits
from genomics.pipeline.encode import map_encoded
from genomics.simulation.run import load_simulations, simulate
from genomics.simulation.store import ShardReader
from tests.genomics.test_designs import scenario
from tests.genomics.test_fresh_masks import missing_models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(training folder, fresh folder of another seed, bundle path) of a tiny two-scenario classifier."""
    base = tmp_path_factory.mktemp("scoring")
    folder, fresh = str(base / "sims"), str(base / "fresh")
    simulate(missing_models(), 20, folder, master_seed=3, shard_size=6, workers=1, progress=False)
    simulate(missing_models(), 13, fresh, master_seed=4, shard_size=5, workers=1, progress=False)
    config = pipeline.TrainingConfig(network="cnn2d", epochs=1, test_fraction=0.2, validation_fraction=0.2,
                                     calibration_fraction=0.0)
    pipeline.train(folder, str(base / "run"), config, verbose=0)
    return folder, fresh, str(base / "run" / "model.npz")


def whole_folder_logits(bundle: Bundle, folder: str) -> tuple[np.ndarray, np.ndarray]:
    """(logits, labels) of every replicate, encoded all at once as the commands did before they streamed."""
    data = load_simulations(folder)
    return network_logits(bundle.model, pipeline.encode_data(data, bundle.encoder), bundle.network), data.labels


def test_streamed_evaluation_scores_equal_those_of_the_whole_folder_encoded_at_once(trained):
    _, fresh, path = trained
    bundle = Bundle.load(path)
    logits, labels = whole_folder_logits(bundle, fresh)
    expected = network_evaluation(bundle.scenario_names, labels, logits, bundle.temperature).to_dict()
    for batch_size in (1, 7, 1000):
        streamed = pipeline.evaluate(path, fresh, batch_size=batch_size).to_dict()
        assert streamed["samples"] == expected["samples"] == 26
        assert streamed["confusion_matrix"] == expected["confusion_matrix"]
        for name, scores in expected["scores"].items():
            for key, value in scores.items():
                np.testing.assert_allclose(streamed["scores"][name][key], value, rtol=1e-5, atol=1e-7)


def test_a_folder_read_whole_is_also_encoded_a_batch_at_a_time_with_the_same_logits(trained):
    _, fresh, path = trained
    bundle = Bundle.load(path)
    expected, _ = whole_folder_logits(bundle, fresh)
    data, reader = load_simulations(fresh), ShardReader(fresh, capacity=1)
    order = np.array([25, 0, 13, 12, 3, 7])
    for source in (data, reader):
        logits = map_encoded(lambda images: network_logits(bundle.model, images, bundle.network), source,
                             bundle.encoder, order, batch_size=4)
        np.testing.assert_allclose(logits, expected[order], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batch size must be a positive number of replicates, got 0"):
        map_encoded(lambda images: images, data, bundle.encoder, batch_size=0)


def test_streamed_calibration_fits_the_temperature_of_the_whole_folder(trained, tmp_path):
    _, fresh, path = trained
    logits, labels = whole_folder_logits(Bundle.load(path), fresh)
    out = str(tmp_path / "calibrated.npz")
    assert main(["calibrate", path, fresh, "--out", out, "--batch-size", "5"]) == 0
    calibrated = Bundle.load(out)
    np.testing.assert_allclose(calibrated.temperature, fit_temperature(logits, labels), rtol=1e-5)
    assert calibrated.calibration["replicates"] == 26


def test_the_evaluate_command_takes_a_batch_size_and_refuses_zero(trained, tmp_path, capsys):
    _, fresh, path = trained
    out = str(tmp_path / "evaluation.json")
    assert main(["evaluate", path, fresh, "--batch-size", "3", "--out", out]) == 0
    with open(out) as handle:
        assert json.load(handle)["samples"] == 26
    with pytest.raises(SystemExit):
        main(["evaluate", path, fresh, "--batch-size", "0"])
    assert "--batch-size" in capsys.readouterr().err


def test_compare_scores_the_network_a_batch_at_a_time_as_at_once(trained):
    folder, fresh, path = trained
    from genomics.baselines import comparison  # noqa: PLC0415

    settings = comparison.AbcSettings(methods="rejection", per_scenario=4, tolerance=0.5)
    outcomes = [comparison.compare(folder, path, settings, test_simulations=fresh, batch_size=size)
                for size in (3, 1000)]
    for name in ("CNN", "CNN, whole test set (26)", "hybrid ABC rejection"):
        first, second = (outcome["results"][name].to_dict() for outcome in outcomes)
        assert first["confusion_matrix"] == second["confusion_matrix"]
    logits, _ = whole_folder_logits(Bundle.load(path), fresh)
    whole = outcomes[0]["results"]["CNN, whole test set (26)"]
    np.testing.assert_array_equal(whole.predicted, logits.argmax(axis=1))


def test_subsets_predicted_a_batch_at_a_time_are_the_subsets_predicted_at_once(trained):
    _, fresh, path = trained
    bundle = Bundle.load(path)
    reader = ShardReader(fresh)
    data_sets = [reader.genotypes(0), reader.genotypes(20)]
    at_once = pipeline.predict_data_sets(bundle, data_sets, ["a", "b"], subsets=9, seed=2, batch_size=1000)
    batched = pipeline.predict_data_sets(bundle, data_sets, ["a", "b"], subsets=9, seed=2, batch_size=4)
    assert len(batched["rows"]) == 18 and [row["subset"] for row in batched["rows"][:9]] == list(range(1, 10))
    for one, other in zip(at_once["rows"], batched["rows"]):
        assert {k: v for k, v in one.items() if k != "values"} == {k: v for k, v in other.items() if k != "values"}
        np.testing.assert_allclose(one["values"], other["values"], rtol=1e-5, atol=1e-7)
    for one, other in zip(at_once["data_sets"], batched["data_sets"]):
        np.testing.assert_allclose(one["values"], other["values"], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(one["wins"], other["wins"])


# --- memory: a function of the batch size, not of the number of replicates ---

MEASURE = """
import gc, json, sys, tracemalloc
from genomics import pipeline
bundle, small, large, batch, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
runs = {"evaluate": lambda folder: pipeline.evaluate(bundle, folder, batch_size=batch),
        "calibrate": lambda folder: pipeline.calibrate_bundle(bundle, folder, out, batch_size=batch)}
tracemalloc.start()
runs["evaluate"](small)  # warm-up: lazy imports and caches are not the replicates' cost
peaks = {}
for kind, run in runs.items():
    for folder in (small, large):
        gc.collect()  # garbage of the run before is not this run's
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        run(folder)
        peaks.setdefault(kind, []).append(tracemalloc.get_traced_memory()[1] - before)
print(json.dumps(peaks))
"""


def wide_models():
    """Two scenarios of 2 x 20 haplotypes and one locus of 60 SNPs: float32 images of 19 KB or more."""
    models = [scenario([{"name": "l", "count": 1, "segregating_sites": 60}], samples=(20, 20),
                       populations=("A", "B"), size=size) for size in (500.0, 5000.0)]
    for model, name in zip(models, ("small", "large")):
        model.name = name
        model.spec["name"] = name
    return models


def test_evaluate_and_calibrate_peak_memory_does_not_grow_with_the_number_of_replicates(tmp_path):
    """N and 4N replicates (shards copied: ``benchmarks.streaming.tiled_folder``), batches of 16, in a fresh
    process with tracemalloc, which traces numpy's arrays: the peak may grow by a few hundred bytes per replicate
    (labels, logits, the index; measured: 0 for evaluate, about 0.7 KB for calibrate), far below the image per
    replicate that encoding the folder at once held."""
    from benchmarks.streaming import tiled_folder  # noqa: PLC0415

    training, source = str(tmp_path / "train"), str(tmp_path / "source")
    simulate(wide_models(), 10, training, master_seed=1, shard_size=10, workers=1, progress=False)
    simulate(wide_models(), 10, source, master_seed=2, shard_size=10, workers=1, progress=False)
    small, large = tiled_folder(source, 10, str(tmp_path)), tiled_folder(source, 40, str(tmp_path))
    pipeline.train(training, str(tmp_path / "run"), pipeline.TrainingConfig(
        network="cnn2d", epochs=1, calibration_fraction=0.0, test_fraction=0.2), verbose=0)
    bundle = str(tmp_path / "run" / "model.npz")
    image_bytes = pipeline.encode_data(load_simulations(source), Bundle.load(bundle).encoder, np.arange(1)).nbytes
    assert image_bytes >= 40 * 60 * 4
    # predict's batch split runs two parts in two threads, whose buffers may or may not be alive at once: a peak
    # that varies from run to run by a slice or two, and more often high the more batches run. Traced in one
    # thread, the peak says what the data cost.
    done = subprocess.run([sys.executable, "-c", MEASURE, bundle, small, large, "16", str(tmp_path / "c.npz")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "MINIDL_BATCH_THREADS": "0"})
    assert done.returncode == 0, done.stderr[-2000:]
    added = 2 * (40 - 10)  # replicates
    for kind, (peak_small, peak_large) in json.loads(done.stdout.strip().splitlines()[-1]).items():
        growth = peak_large - peak_small
        assert peak_small > 16 * image_bytes, (kind, peak_small)  # a batch of images was traced
        assert growth < added * 2048, (kind, peak_small, peak_large)  # under 2 KB per added replicate
        assert growth < added * image_bytes / 4, (kind, peak_small, peak_large)  # the old way: >= added images
