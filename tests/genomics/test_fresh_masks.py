"""Missing calls drawn anew at every epoch: shards keep the complete calls and each mask's seed."""

import os

import numpy as np
import pytest

from genomics import pipeline
from genomics.learning.batches.augmentation import FreshMasks
from genomics.encoding.encoder import Encoder
from genomics.simulation.loci import MISSING, with_missing_calls
from genomics.simulation.run import load_simulations, replicate_seed, simulate, simulate_replicate
from tests.genomics.test_designs import scenario

RATES = {"A": 0.1, "B": 0.3}


def missing_models():
    models = [scenario([{"name": "l", "count": 3, "segregating_sites": 6}], samples=(6, 6), populations=("A", "B"),
                       size=size, missing={"per_call": RATES}) for size in (500.0, 5000.0)]
    for model, name in zip(models, ("small", "large")):
        model.name = name
        model.spec["name"] = name
    return models


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("missing") / "sims")
    simulate(missing_models(), 24, out, master_seed=5, shard_size=10, workers=1, progress=False)
    return out


def test_loaded_replicates_carry_exactly_their_simulated_masks_and_their_complete_calls(folder):
    data = load_simulations(folder)
    for index in (0, 7, 30):
        label, number = int(data.labels[index]), index - (24 if data.labels[index] else 0)
        seed = replicate_seed(5, label, number)
        model = missing_models()[label]
        np.testing.assert_array_equal(data.genotypes[index], simulate_replicate(model, seed)["genotypes"])
        complete = simulate_replicate(model, seed, mask=False)["complete_genotypes"]
        np.testing.assert_array_equal(data.complete_genotypes[index], complete)
        present = data.genotypes[index] != MISSING
        assert (~present).any() and np.array_equal(data.genotypes[index][present], complete[present])
        assert set(np.unique(complete)) <= {0, 1}


def test_fresh_masks_change_every_epoch_keep_the_design_rates_and_repeat_with_the_seed(folder):
    data = load_simulations(folder)
    encoder = Encoder.for_design(data.design)
    replicates = np.arange(len(data.labels))
    fresh = FreshMasks(data, replicates, data.labels, encoder, "cnn2d", batch_size=48, seed=3)
    first_images, first_labels = fresh[0]
    assert first_images.shape == pipeline.encode_data(data, encoder, replicates[:48]).shape
    np.testing.assert_array_equal(first_labels, data.labels[fresh._order[:48]])
    assert len(set(first_labels.tolist())) == 2  # batches mix the scenarios from the first epoch on
    again, _ = FreshMasks(data, replicates, data.labels, encoder, "cnn2d", batch_size=48, seed=3)[0]
    np.testing.assert_array_equal(first_images, again)
    fresh.on_epoch_end()
    second_images, second_labels = fresh[0]
    assert not np.array_equal(first_images, second_images)
    np.testing.assert_array_equal(np.sort(second_labels), np.sort(first_labels))  # the same replicates, regrouped
    rows = np.concatenate([fresh.masked(i, np.random.default_rng(i)) for i in range(48)], axis=1)
    for population, rate in enumerate(RATES.values()):
        share = (rows[data.haplotype_populations == population] == MISSING).mean()
        assert abs(share - rate) < 0.05, (population, share)


def test_training_with_fresh_masks_runs_and_is_refused_where_no_mask_can_be_redrawn(folder, tmp_path):
    config = pipeline.TrainingConfig(network="cnn2d", epochs=2, fresh_masks=True, test_fraction=0.2,
                                     validation_fraction=0.2)
    result = pipeline.train(folder, str(tmp_path / "run"), config, verbose=0)
    assert len(result["history"]["loss"]) == 2 and os.path.exists(result["bundle"])
    plain = scenario([{"name": "l", "segregating_sites": 4}], samples=(4,))
    simulate([plain], 4, str(tmp_path / "plain"), workers=1, progress=False)
    with pytest.raises(ValueError, match="the design has no missing calls"):
        pipeline.train(str(tmp_path / "plain"), str(tmp_path / "run2"), config, verbose=0)
    old = str(tmp_path / "old")
    simulate(missing_models(), 4, old, workers=1, progress=False)
    design = missing_models()[0].design
    for name in os.listdir(old):  # shards as written before mask_seeds: masked calls only
        if name.endswith(".npz"):
            path = os.path.join(old, name)
            with np.load(path) as shard:
                arrays = {key: shard[key] for key in shard.files if key != "mask_seeds"}
                offsets, seeds, counts = shard["site_offsets"], shard["mask_seeds"], shard["locus_site_counts"]
            arrays["genotypes"] = np.concatenate(
                [with_missing_calls(arrays["genotypes"][:, offsets[r]:offsets[r + 1]], design, counts[r], int(seeds[r]))
                 for r in range(len(seeds))], axis=1)
            np.savez_compressed(path, **arrays)
    old_data = load_simulations(old)
    assert old_data.complete_genotypes is None and any((g == MISSING).any() for g in old_data.genotypes)
    with pytest.raises(ValueError, match="keep only their masked calls"):
        pipeline.train(old, str(tmp_path / "run3"), config, verbose=0)
