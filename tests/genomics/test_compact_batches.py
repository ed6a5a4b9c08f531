"""Training from a folder read whole keeps int8 calls and encodes one batch at a time, with the batches, weights and
history that training on the whole-encoded images gave."""

import concurrent.futures
import json

import numpy as np
import pytest

import minidl
from genomics import pipeline
from genomics.baselines import abc, adequacy, comparison
from genomics.bundle import Bundle
from genomics.encoding.encoder import Encoder
from genomics.learning import networks as models
from genomics.learning.batches.replicates import HeldOutInMemory, ReplicateBatches, map_replicates
from genomics.learning.batches.streaming import encode_from_shards
from genomics.simulation import cluster
from genomics.simulation.run import load_simulations, simulate
from genomics.simulation.store import ShardReader, simulated_genotypes
from tests.genomics.test_fresh_masks import missing_models


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("compact") / "sims")
    simulate(missing_models(), 12, out, master_seed=5, shard_size=4, workers=1, progress=False)
    return out


def test_each_batch_is_the_rows_of_the_whole_encoded_images_in_the_permutation_fit_draws(folder):
    data = load_simulations(folder)
    encoder = Encoder.for_design(data.design)
    replicates = np.array([20, 3, 7, 11, 0, 15, 22, 9, 4])
    whole = pipeline.encode_data(data, encoder, replicates)  # every image at once, as train used to hold them
    streamed = encode_from_shards(ShardReader(folder, capacity=1), encoder, replicates)
    np.testing.assert_array_equal(whole, streamed)  # the same encoding, read another way
    batches = ReplicateBatches(data, replicates, data.labels[replicates], encoder, "cnn2d", batch_size=4)
    minidl.random.seed(17)
    batches.on_epoch_begin()
    minidl.random.seed(17)
    order = minidl.random.generator().permutation(len(replicates))  # what fit's array adapter draws
    assert len(batches) == 3
    for b in range(len(batches)):
        inputs, labels = batches[b]
        rows = order[4 * b : 4 * b + 4]
        np.testing.assert_array_equal(inputs, whole[rows])
        np.testing.assert_array_equal(labels, data.labels[replicates[rows]])
    one_d = ReplicateBatches(data, replicates, data.labels[replicates], encoder, "cnn1d", batch_size=4, shuffle=False)
    one_d.on_epoch_begin()  # unshuffled: consecutive slices, every epoch
    np.testing.assert_array_equal(one_d[2][0], models.model_input(whole[8:], "cnn1d"))


def _fitted(inputs, labels, validation, shape, seed=3):
    minidl.random.seed(seed)
    model = models.build("cnn2d", shape, 2)
    model.compile(optimizer=minidl.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(inputs, labels, batch_size=5, epochs=3, validation_data=validation, verbose=0,
                        shuffle=labels is not None)
    return history.history, model.get_weights()


def test_fitting_on_batches_encoded_when_asked_gives_the_history_and_weights_of_fitting_on_arrays(folder):
    data = load_simulations(folder)
    encoder = Encoder.for_design(data.design)
    train, validation = np.arange(0, 24, 2), np.array([1, 5, 13, 17, 23, 19, 9])
    images = pipeline.encode_data(data, encoder, np.concatenate([train, validation]))
    on_arrays = _fitted(images[: len(train)], data.labels[train], (images[len(train) :], data.labels[validation]),
                        images.shape[1:])
    held_out = HeldOutInMemory("cnn2d", data, encoder, {"validation": validation, "calibration": validation[:0],
                                                        "test": validation}, {"validation": data.labels[validation]})
    on_batches = _fitted(ReplicateBatches(data, train, data.labels[train], encoder, "cnn2d", batch_size=5), None,
                         held_out.validation_data(5), held_out.input_shape)
    assert on_batches[0] == on_arrays[0]  # every loss and accuracy, to the last bit
    for mine, theirs in zip(on_batches[1], on_arrays[1]):
        np.testing.assert_array_equal(mine, theirs)


def test_held_out_logits_computed_a_chunk_at_a_time_are_those_of_the_whole_part(folder):
    data = load_simulations(folder)
    encoder = Encoder.for_design(data.design)
    test = np.arange(24)[::-1]
    network = models.build("cnn1d", pipeline.encode_data(data, encoder, test[:1]).shape[1:], 2)
    whole = models.logits(network, models.model_input(pipeline.encode_data(data, encoder, test), "cnn1d"))
    held_out = HeldOutInMemory("cnn1d", data, encoder, {"validation": test[:2], "calibration": test[:0], "test": test},
                               {})  # chunks of 256: the network's own batches, so the very same numbers
    np.testing.assert_array_equal(held_out.logits(network, "test"), whole)
    def logits(images):
        return models.logits(network, models.model_input(images, "cnn1d"))

    np.testing.assert_allclose(map_replicates(logits, data, encoder, test, chunk=5), whole, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no replicates to encode"):
        map_replicates(len, data, encoder, test[:0])


def test_abc_statistics_read_shard_by_shard_are_the_whole_table_to_the_last_bit(folder):
    data = load_simulations(folder)
    whole, names = abc.statistics_table(data)
    reader = ShardReader(folder, capacity=1)
    done = []
    streamed, streamed_names = abc.statistics_table(reader, progress=lambda k, n: done.append((k, n)))
    assert streamed_names == names and streamed.shape == (24, len(names))
    np.testing.assert_array_equal(streamed, whole)  # NaN where NaN, every other value bit for bit
    assert reader.shards_read == 6 and done[-1] == (24, 24)  # each shard read once, in order
    for index in (0, 13, 23):  # each row is the statistics of that replicate alone, as observed data get them
        np.testing.assert_array_equal(whole[index], abc.observed_statistics(simulated_genotypes(data, index)))
    with concurrent.futures.ThreadPoolExecutor(2) as executor:  # a cluster's chunks, a few in flight at a time
        on_workers, _ = abc.statistics_table(ShardReader(folder, capacity=1), executor=executor, chunk=5)
    np.testing.assert_array_equal(on_workers, whole)


def test_gathered_keeps_at_most_ahead_tasks_in_flight_and_the_results_in_order():
    drawn, finished = [], []

    def calls():
        for k in range(7):
            drawn.append(k)
            assert len(drawn) - len(finished) <= 3  # never more than 3 submitted and unfinished
            yield (k,)

    def square(k):
        finished.append(k)
        return k * k

    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        assert cluster.gathered(executor, square, calls(), ahead=3) == [k * k for k in range(7)]
        assert cluster.gathered(executor, square, [(2,), (3,)]) == [4, 9]


@pytest.fixture(scope="module")
def bundle(folder, tmp_path_factory):
    """A bundle trained (one epoch) on ``folder``."""
    run = tmp_path_factory.mktemp("run")
    config = pipeline.TrainingConfig(network="cnn2d", epochs=1, test_fraction=0.25, validation_fraction=0.25,
                                     calibration_fraction=0.0)
    pipeline.train(folder, str(run), config, verbose=0)
    return str(run / "model.npz")


def test_compare_reading_the_shards_gives_the_results_of_the_folder_read_whole(folder, bundle):
    settings = comparison.AbcSettings(methods="rejection,mnlogistic", per_scenario=3, tolerance=0.5)
    streamed = comparison.compare(folder, bundle, settings)
    whole = comparison.compare_loaded(load_simulations(folder), folder, Bundle.load(bundle), settings)
    assert streamed["results"].keys() == whole["results"].keys() and streamed["notes"] == whole["notes"]
    for name, evaluation in whole["results"].items():
        mine, theirs = streamed["results"][name].to_dict(), evaluation.to_dict()
        if name.startswith("ABC"):  # the same statistics table, so the same posteriors to the last bit
            assert json.dumps(mine) == json.dumps(theirs), name
        else:  # the network's outputs: the shards are encoded in shard order, so batched float32 rounding differs
            assert mine["confusion_matrix"] == theirs["confusion_matrix"], name


def test_the_adequacy_reference_read_from_the_shards_is_the_reference_of_the_folder_read_whole(folder, bundle):
    streamed = adequacy.reference(folder, bundle, per_scenario=5, seed=1)
    whole = adequacy.reference_from(load_simulations(folder), folder, Bundle.load(bundle), per_scenario=5, seed=1)
    assert streamed.names == whole.names and len(streamed.data.labels) == 10
    np.testing.assert_array_equal(streamed.data.labels, whole.data.labels)
    np.testing.assert_array_equal(streamed.table, whole.table)
    for mine, theirs in zip(streamed.data.genotypes, whole.data.genotypes):
        np.testing.assert_array_equal(mine, theirs)
    assert streamed.data.parameters == whole.data.parameters
    # embeddings a batch of images at a time: a network's batches of 256, so the very same numbers
    np.testing.assert_array_equal(streamed.embedding_cloud.points, whole.embedding_cloud.points)
