"""``genomics train --network FILE.py:FUNCTION``: the user's own network trains, and the bundle predicts without
the user's file."""

import json

import numpy as np
import pytest

from genomics.bundle import Bundle
from genomics.cli.main import main
from genomics.learning import networks
from genomics.pipeline import TrainingConfig
from genomics.scenario.catalogue import resolve
from genomics.simulation.run import load_simulations, simulate

BUILDER = '''
from minidl import layers
from minidl.models import Model


def build_network(input_shape, classes):
    """A functional network written as in Keras: SNPs x haplotypes in, a layer named logits, then softmax."""
    inputs = layers.Input(shape=input_shape)
    x = layers.Conv1D(8, 3, activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(classes, name="logits")(x)
    return Model(inputs, layers.Activation("softmax")(x))
'''


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    out = tmp_path_factory.mktemp("user_network") / "sims"
    simulate(resolve(["constant", "bottleneck"]), 60, str(out), master_seed=5, shard_size=60, workers=1,
             progress=False)
    return out


def test_a_users_functional_network_trains_calibrates_and_its_bundle_evaluates_without_the_file(sims, tmp_path,
                                                                                                   capsys):
    builder = tmp_path / "my_network.py"
    builder.write_text(BUILDER)
    run = tmp_path / "run"
    assert main(["train", str(sims), "--out", str(run), "--network", f"{builder}:build_network", "--n-snps", "16",
                 "--epochs", "3", "--batch-size", "8", "--quiet"]) == 0
    bundle = Bundle.load(str(run / "model.npz"))
    assert bundle.network == "cnn1d"  # the layout the network takes: SNPs x haplotypes as channels
    described = bundle.metadata["user_network"]
    assert described["network"] == f"{builder}:build_network" and len(described["sha256"]) == 64
    assert any(layer.name == "logits" for layer in bundle.model.layers) and not hasattr(bundle.model, "truncated")
    builder.unlink()  # the bundle alone must do from here on
    capsys.readouterr()
    assert main(["evaluate", str(run / "model.npz"), str(sims), "--quiet"]) == 0
    assert "accuracy" in capsys.readouterr().out
    scores = json.loads((run / "evaluation.json").read_text())
    assert 0 <= scores["accuracy"] <= 1


def test_logits_of_a_functional_network_are_the_values_before_its_softmax(sims, tmp_path):
    namespace = {}
    exec(compile(BUILDER, "builder", "exec"), namespace)
    model = namespace["build_network"]((16, 10), 3)
    inputs = np.random.default_rng(0).normal(size=(5, 16, 10)).astype("float32")
    z = networks.logits(model, inputs)
    probabilities = model.predict(inputs)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, expected / expected.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    assert networks.embedding(model, inputs).shape == (5, 8)


def test_a_user_network_is_refused_for_regression_and_weights_are_kept_only_from_a_keras_file(tmp_path):
    with pytest.raises(ValueError, match=r"^network: your own network is trained as a scenario classifier"):
        TrainingConfig(network="net.py:build", task="regression", targets="T")
    with pytest.raises(ValueError, match=r"^keep_weights applies to a network given as a \.keras file$"):
        TrainingConfig(network="net.py:build", keep_weights=True)
    assert TrainingConfig(network="net.keras", keep_weights=True).input_kind == "cnn1d"
    assert TrainingConfig(network="net.py:build", network_input="image").input_kind == "cnn2d"
