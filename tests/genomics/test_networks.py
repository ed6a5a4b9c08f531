"""The exchangeable network and haplotype-permutation augmentation: invariance, checks, the command line."""

import os

import numpy as np
import pytest

import minidl
from genomics.learning import networks as models
from genomics.cli.main import main
from genomics.bundle import Bundle

SIZES = [3, 5, 2]  # unequal populations


def shuffled_within_populations(images, sizes, seed):
    """The images with each population's rows in a random order."""
    rng = np.random.default_rng(seed)
    starts = np.cumsum([0] + sizes[:-1])
    order = np.concatenate([start + rng.permutation(size) for start, size in zip(starts, sizes)])
    return images[:, order]


@pytest.mark.parametrize("seed", range(3))
def test_the_exchangeable_network_ignores_the_order_of_haplotypes_within_each_population(seed):
    minidl.core.random.seed(seed)
    network = models.build("exchangeable", (10, 24, 2), 3, population_sizes=SIZES)
    images = np.random.default_rng(seed).choice([-1.0, 0.0, 1.0], size=(6, 10, 24, 2)).astype(np.float32)
    inputs = models.model_input(images, "exchangeable")
    again = models.model_input(shuffled_within_populations(images, SIZES, seed + 10), "exchangeable")
    np.testing.assert_allclose(network.predict(again), network.predict(inputs), rtol=1e-5, atol=1e-7)
    # a haplotype moved to another population changes the output: the network sees the populations
    across = images.copy()
    across[:, [2, 3]] = images[:, [3, 2]]
    assert not np.allclose(network.predict(across), network.predict(inputs), atol=1e-6)


def test_the_exchangeable_network_and_the_augmentation_need_haplotype_rows():
    with pytest.raises(ValueError, match="haplotypes per population, adding up to the image's 3 rows"):
        models.build("exchangeable", (3, 24, 2), 3, population_sizes=SIZES)
    with pytest.raises(ValueError, match="needs the haplotypes per population"):
        models.build("perez", (10, 24, 1), 3, augment="permute")
    with pytest.raises(ValueError, match="would change nothing"):
        models.build("exchangeable", (10, 24, 1), 3, population_sizes=SIZES, augment="permute")
    with pytest.raises(ValueError, match="augment must be one of"):
        models.build("perez", (10, 24, 1), 3, population_sizes=SIZES, augment="flip")


@pytest.mark.parametrize("kind", ["perez", "cnn2d"])
def test_permute_augmentation_shuffles_whole_haplotypes_within_populations_in_training_only(kind):
    minidl.core.random.seed(1)
    network = models.build(kind, (10, 16, 2), 3, population_sizes=SIZES, augment="permute")
    shuffle = network.layers[0]
    assert shuffle.name == "permute_haplotypes"
    images = np.zeros((4, 10, 16, 2), dtype=np.float32)
    images[..., 0] = np.arange(10)[None, :, None]  # channel 0: the haplotype's number, channel 1: minus it
    images[..., 1] = -images[..., 0]
    inputs = models.model_input(images, kind)
    np.testing.assert_array_equal(shuffle(inputs, training=False).numpy(), inputs)
    seen = set()
    for _ in range(5):
        out = shuffle(inputs, training=True).numpy()
        back = out.reshape(4, 16, 10, 2).transpose(0, 2, 1, 3) if kind == "perez" else out
        haplotypes = back[:, :, 0, 0]
        np.testing.assert_array_equal(back[..., 1], -back[..., 0])  # a haplotype's channels move together
        np.testing.assert_array_equal(back[..., 0], np.repeat(haplotypes[:, :, None], 16, axis=2))
        for row in haplotypes:
            assert sorted(row[:3]) == [0, 1, 2] and sorted(row[3:8]) == [3, 4, 5, 6, 7] and sorted(row[8:]) == [8, 9]
            seen.add(tuple(row))
    assert len(seen) > 5


def test_train_an_exchangeable_network_and_an_augmented_one_from_the_command_line(tmp_path):
    sims = str(tmp_path / "sims")
    assert main(["simulate", "three_populations", "--replicates", "30", "--out", sims, "--workers", "1"]) == 0
    for network, extra in (("exchangeable", []), ("perez", ["--augment", "permute"])):
        run = str(tmp_path / network)
        assert main(["train", sims, "--out", run, "--epochs", "2", "--n-snps", "32", "--network", network,
                     *extra]) == 0
        trained = Bundle.load(os.path.join(run, "model.npz"))
        model = trained.model
        assert trained.network == network
        assert trained.settings["augment"] == ("permute" if extra else "none")
        names = [type(layer).__name__ for layer in model.layers]
        assert ("GroupPooling" in names) == (network == "exchangeable")
        assert ("GroupShuffle" in names) == bool(extra)
        assert main(["evaluate", os.path.join(run, "model.npz"), sims]) == 0
    assert main(["train", sims, "--out", str(tmp_path / "bad"), "--network", "exchangeable", "--augment",
                 "permute"]) == 2

def test_a_network_that_needs_haplotype_rows_is_refused_before_any_encoding(tmp_path, capsys):
    sims = str(tmp_path / "sims")
    assert main(["simulate", "three_populations", "--replicates", "6", "--out", sims, "--workers", "1"]) == 0
    capsys.readouterr()
    for extra in (["--network", "exchangeable"], ["--network", "perez", "--augment", "permute"]):
        assert main(["train", sims, "--out", str(tmp_path / "bad"), *extra, "--layout", "population_frequencies"]) == 2
        captured = capsys.readouterr()
        assert "one row per population" in captured.err and "Traceback" not in captured.err
        assert "train" not in captured.out.lower() or "Epoch" not in captured.out
        assert not os.path.exists(tmp_path / "bad" / "model.npz")


def test_an_ensemble_averages_its_members_calibrated_probabilities_and_reports_their_spread(tmp_path, capsys):
    from minidl.saving.npz import read_extra_weights

    from genomics.learning.ensemble import Ensemble
    from genomics.simulation.run import load_simulations
    from genomics.pipeline.encode import encode_data
    from genomics.pipeline.outputs import model_outputs, network_output

    sims, run = str(tmp_path / "sims"), str(tmp_path / "run")
    assert main(["simulate", "three_populations", "--replicates", "40", "--out", sims, "--workers", "1"]) == 0
    assert main(["train", sims, "--out", run, "--epochs", "2", "--n-snps", "32", "--ensemble", "3",
                 "--init-seed", "7"]) == 0
    printed = capsys.readouterr().out
    assert "ensemble of 3 networks (init seeds [7, 8, 9])" in printed
    bundle = os.path.join(run, "model.npz")
    trained = Bundle.load(bundle)
    model = trained.model
    assert isinstance(model, Ensemble) and len(model.members) == 3
    entry = trained.ensemble
    assert len(entry["member_temperatures"]) == 3 and len(entry["member_test_accuracy"]) == 3
    # Independently of the Ensemble class: members from the file, p = mean_k softmax(z_k / T_k), then T.
    first = minidl.load_model(bundle)
    members = [first]
    for weights in read_extra_weights(bundle).values():
        member = minidl.Sequential.from_config(first.get_config())
        member.set_weights(weights)
        members.append(member)
    assert not np.allclose(members[0].get_weights()[0], members[1].get_weights()[0])  # independently initialised
    data = load_simulations(sims)
    images = encode_data(data, trained.encoder, np.arange(9))
    inputs = models.model_input(images, trained.network)

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    mean = np.mean([softmax(models.logits(m, inputs) / t) for m, t in zip(members, entry["member_temperatures"])],
                   axis=0)
    expected = softmax(np.log(mean) / trained.temperature)
    values, output = network_output(trained, images)
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-7)
    assert output.startswith("calibrated")
    member_probabilities = [softmax(models.logits(m, inputs) / t) for m, t in zip(members, entry["member_temperatures"])]
    _, _, extras = model_outputs(trained, images)
    np.testing.assert_allclose([extra["member_sd"] for extra in extras], np.std(member_probabilities, axis=0),
                               rtol=1e-5, atol=1e-7)
    assert main(["evaluate", bundle, sims]) == 0
    assert main(["calibrate", bundle, sims, "--out", str(tmp_path / "again.npz")]) == 2  # same master seed: refused
    assert main(["train", sims, "--out", str(tmp_path / "bad"), "--ensemble", "0"]) == 2
