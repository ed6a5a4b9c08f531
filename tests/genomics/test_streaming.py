"""Training that streams from the shards: a few shards in memory, batches encoded while the network trains."""

import numpy as np
import pytest

from genomics import interrupts
from genomics.learning.batches import heldout, onthefly, replicates
from genomics.learning import networks as models
from genomics import pipeline
from genomics.encoding.encoder import Encoder
from genomics.scenario.catalogue import resolve
from genomics.simulation.store import ShardReader
from genomics.simulation.run import load_simulations, replicate_seed, simulate, simulate_shard
from genomics.learning.batches.streaming import ShardBatches, encode_from_shards
from tests.genomics.test_fresh_masks import missing_models


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("stream") / "sims")
    simulate(missing_models(), 30, out, master_seed=9, shard_size=5, workers=1, progress=False)
    return out


def test_the_reader_gives_each_replicate_as_load_simulations_does_holding_few_shards(folder):
    data = load_simulations(folder)
    reader = ShardReader(folder, capacity=2)
    assert len(reader) == len(data.labels) == 60
    for index in (0, 4, 5, 33, 59, 1):
        genotypes, positions = reader.replicate(index)
        np.testing.assert_array_equal(genotypes, data.genotypes[index])  # simulated masks applied
        np.testing.assert_array_equal(positions, data.positions[index])
    assert len(reader._cache) <= 2
    encoder = Encoder.for_design(data.design)
    indices = np.array([59, 3, 31, 7, 0])
    np.testing.assert_array_equal(encode_from_shards(reader, encoder, indices, chunk=2),
                                  pipeline.encode_data(data, encoder, indices))


def test_shard_batches_cover_every_replicate_once_per_epoch_and_read_each_shard_once(folder):
    reader = ShardReader(folder, capacity=2)
    encoder = Encoder.for_design(reader.data.design)
    replicates = np.arange(0, 60, 2)
    batches = ShardBatches(reader, replicates, reader.data.labels[replicates], encoder, "cnn2d", batch_size=4, seed=1)
    for epoch in range(2):
        reader.shards_read = 0
        labels = np.concatenate([batches[b][1] for b in range(len(batches))])
        assert sorted(labels.tolist()) == sorted(reader.data.labels[replicates].tolist())
        assert reader.shards_read <= 12 + 1  # 12 shards, each read once (one more at most across the boundary)
        first = batches._order.copy()
        batches.on_epoch_end()
        assert not np.array_equal(first, batches._order)


def test_training_from_the_shards_gives_a_bundle_like_training_in_memory(folder, tmp_path):
    config = pipeline.TrainingConfig(network="cnn2d", epochs=2, stream=True, shards_in_memory=2, test_fraction=0.2,
                                     validation_fraction=0.2)
    streamed = pipeline.train(folder, str(tmp_path / "stream"), config, verbose=0)
    in_memory = pipeline.train(folder, str(tmp_path / "memory"), pipeline.TrainingConfig(
        network="cnn2d", epochs=2, test_fraction=0.2, validation_fraction=0.2), verbose=0)
    assert streamed["split"] == in_memory["split"]
    assert len(streamed["history"]["loss"]) == 2 and 0 <= streamed["evaluation"].accuracy <= 1


def test_held_out_parts_read_from_the_shards_give_the_logits_of_the_same_images_in_memory(folder):
    reader = ShardReader(folder, capacity=1)
    data = load_simulations(folder)
    encoder = Encoder.for_design(data.design)
    indices = {"validation": np.array([3, 40, 12]), "calibration": np.array([59, 0, 31, 30, 7]),
               "test": np.arange(60)[::-3]}
    labels = {part: data.labels[i] for part, i in indices.items()}
    streamed = heldout.FromShards("cnn2d", reader, encoder, indices, labels, chunk=4)
    in_memory = replicates.HeldOutInMemory("cnn2d", data, encoder, indices, labels, chunk=2)
    assert streamed.input_shape == in_memory.input_shape
    network = models.build("cnn2d", in_memory.input_shape, 2)
    for part in ("calibration", "test"):
        np.testing.assert_allclose(streamed.logits(network, part), in_memory.logits(network, part), rtol=1e-6)
    network.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    validation = streamed.validation_data(batch_size=2)
    assert len(validation) == 2 and reader.shards_read > 0
    np.testing.assert_allclose(network.evaluate(validation, verbose=0),
                               network.evaluate(in_memory.validation_data(2), verbose=0), rtol=1e-6)


def test_the_index_of_a_large_folder_costs_a_few_bytes_per_replicate(folder):
    reader = ShardReader(folder)
    index_bytes = reader.shard_ids.nbytes + reader.places.nbytes + reader.data.labels.nbytes \
        + reader.data.sequence_lengths.nbytes
    assert index_bytes == 60 * (4 + 4 + 8 + 8)
    assert reader.data.genotypes == [] and reader.data.parameters == []


def test_on_the_fly_training_draws_new_replicates_each_epoch_and_holds_the_whole_folder_out(folder, tmp_path):
    data = load_simulations(folder)
    specs = [entry["spec"] for entry in data.manifest["scenarios"]]
    encoder = Encoder.for_design(data.design)
    fresh = onthefly.FreshSimulations(specs, 6, encoder, "cnn2d", batch_size=4, master_seed=9, seed=0)
    try:
        epochs = []
        for _ in range(2):
            fresh.on_epoch_begin()
            inputs = np.concatenate([fresh[b][0] for b in range(len(fresh))])
            labels = np.concatenate([fresh[b][1] for b in range(len(fresh))])
            assert len(fresh) == 3 and sorted(labels.tolist()) == [0] * 6 + [1] * 6
            epochs.append(inputs)
            fresh.on_epoch_end()
        assert fresh.simulated == 24 and not np.array_equal(np.sort(epochs[0], axis=0), np.sort(epochs[1], axis=0))
    finally:
        fresh.close()
    # the same replicate as simulate would make it with that seed, masks included
    arrays = simulate_shard(fresh.scenarios[1], [onthefly.fresh_seed(9, 1, 0, 0)])
    again = simulate_shard(fresh.scenarios[1], [onthefly.fresh_seed(9, 1, 0, 0)])
    np.testing.assert_array_equal(arrays["genotypes"], again["genotypes"])
    assert onthefly.fresh_seed(9, 1, 0, 0) not in {replicate_seed(9, s, r) for s in (0, 1) for r in range(30)}

    config = pipeline.TrainingConfig(network="cnn2d", epochs=2, on_the_fly=8, test_fraction=0.2,
                                     validation_fraction=0.2, calibration_fraction=0.1)
    result = pipeline.train(folder, str(tmp_path / "fresh"), config, verbose=0)
    assert result["split"]["train"] == 0 and sum(result["split"].values()) == 60  # the folder is all held out
    assert result["on_the_fly"]["simulated"] == [2 * 8 * 2]
    with pytest.raises(ValueError, match="on_the_fly trains a scenario classifier"):
        pipeline.TrainingConfig(on_the_fly=5, stream=True)


def test_closing_fresh_simulations_after_an_interruption_leaves_no_worker_running(folder):
    data = load_simulations(folder)
    fresh = onthefly.FreshSimulations([entry["spec"] for entry in data.manifest["scenarios"]], 400,
                                      Encoder.for_design(data.design), "cnn2d", batch_size=4, master_seed=9, seed=0,
                                      workers=2)
    processes = list(fresh._pool._processes.values())
    assert processes
    fresh.close(terminate=True)  # epoch 0's 800 replicates are still being simulated
    for process in processes:
        process.join(timeout=5)
    # asked of the system, not of multiprocessing: a worker collected by another waitpid (a cleanup of
    # descendants) reads as alive to its Process object for ever
    assert not any(interrupts.is_running(process.pid) for process in processes)


def test_streamed_fresh_masks_redraw_the_missing_calls_each_epoch_over_the_complete_calls(folder):
    reader = ShardReader(folder, capacity=2)
    data = load_simulations(folder)
    assert reader.can_redraw_masks()
    index = 33
    complete = data.complete_genotypes[index]
    first, positions = reader.remasked(index, 11)
    second, _ = reader.remasked(index, 12)
    np.testing.assert_array_equal(positions, data.positions[index])
    for calls in (first, second):  # present calls are the complete ones; only the mask differs
        present = calls != -1
        assert (~present).any() and np.array_equal(calls[present], complete[present])
    assert not np.array_equal(first == -1, second == -1)
    np.testing.assert_array_equal(reader.remasked(index, 11)[0], first)  # the seed decides the mask


def test_shard_batches_with_fresh_masks_change_the_masks_every_epoch_and_repeat_with_the_seed(folder):
    reader = ShardReader(folder, capacity=2)
    encoder = Encoder.for_design(reader.data.design)
    replicates = np.arange(60)
    make = lambda: ShardBatches(reader, replicates, reader.data.labels, encoder, "cnn2d", batch_size=60,  # noqa: E731
                                seed=4, shuffle=False, fresh_masks=True)
    batches = make()
    first, labels = batches[0]
    np.testing.assert_array_equal(first, make()[0][0])
    simulated = ShardBatches(reader, replicates, reader.data.labels, encoder, "cnn2d", batch_size=60, seed=4,
                             shuffle=False)[0][0]
    assert first.shape == simulated.shape and not np.array_equal(first, simulated)
    batches.on_epoch_end()
    second, again = batches[0]
    np.testing.assert_array_equal(labels, again)  # same replicates in the same order (shuffle=False)
    assert not np.array_equal(first, second)


def test_fresh_masks_without_missing_calls_in_the_design_are_refused_in_one_sentence(tmp_path):
    out = str(tmp_path / "complete")
    simulate(resolve(["constant"]), 4, out, master_seed=1, shard_size=4, workers=1, progress=False)
    reader = ShardReader(out)
    with pytest.raises(ValueError, match=r"^fresh_masks: .*the design has no missing calls$"):
        ShardBatches(reader, np.arange(4), reader.data.labels, Encoder.for_design(reader.data.design), "cnn2d",
                     batch_size=2, seed=1, fresh_masks=True)


def test_streamed_training_with_fresh_masks_trains_from_the_shards_and_repeats_with_its_seeds(folder, tmp_path):
    config = pipeline.TrainingConfig(network="cnn2d", epochs=2, stream=True, fresh_masks=True, shards_in_memory=2,
                                     test_fraction=0.2, validation_fraction=0.2)
    first = pipeline.train(folder, str(tmp_path / "a"), config, verbose=0)
    again = pipeline.train(folder, str(tmp_path / "b"), config, verbose=0)
    plain = pipeline.train(folder, str(tmp_path / "c"), pipeline.TrainingConfig(
        network="cnn2d", epochs=2, stream=True, shards_in_memory=2, test_fraction=0.2, validation_fraction=0.2),
        verbose=0)
    assert len(first["history"]["loss"]) == 2
    assert first["history"]["loss"] == again["history"]["loss"]  # the masks come from the seeds
    assert first["history"]["loss"] != plain["history"]["loss"]  # and they are not the simulated ones
