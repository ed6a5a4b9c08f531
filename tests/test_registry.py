"""One look-up rule for every kind of named object: names, config dicts, instances, and one error format."""

import pytest

import minidl
from minidl import activations, initializers, layers, losses, metrics, optimizers, regularizers, schedules

KINDS = [
    (initializers.get, "initializer", "glorot_uniform"),
    (activations.get, "activation", "relu"),
    (optimizers.get, "optimizer", "adam"),
    (regularizers.get, "regularizer", "l2"),
    (losses.get, "loss", "mse"),
    (lambda identifier: metrics.get(identifier)[1], "metric", "binary_accuracy"),
]


@pytest.mark.parametrize("get, kind, valid", KINDS)
def test_an_unknown_name_lists_the_valid_ones_in_one_format(get, kind, valid):
    with pytest.raises(ValueError, match=rf"^unknown {kind} 'nonsense'; valid names are: .*{valid}"):
        get("nonsense")


@pytest.mark.parametrize("get, kind, valid", KINDS)
def test_names_are_case_insensitive_and_other_types_are_refused_by_name(get, kind, valid):
    assert get(valid.upper()) is not None
    with pytest.raises(ValueError, match=rf"^cannot interpret 3.5 as a {kind}; valid names are: .*{valid}"):
        get(3.5)


@pytest.mark.parametrize("registry, config", [
    (initializers.REGISTRY, {"class_name": "GlorotUniform", "config": {"seed": 3}}),
    (optimizers.REGISTRY, {"class_name": "Adam", "config": {"learning_rate": 0.5}}),
    (losses.REGISTRY, {"class_name": "MeanSquaredError", "config": {}}),
    (regularizers.REGISTRY, {"class_name": "L2", "config": {"l2": 0.1}}),
    (schedules.REGISTRY, {"class_name": "ExponentialDecay",
                          "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}),
    (layers.REGISTRY, {"class_name": "Dense", "config": {"units": 3}}),
])
def test_a_serialized_object_comes_back_equal(registry, config):
    obj = registry.deserialize(config)
    assert type(obj).__name__ == config["class_name"]
    assert minidl.core.registry.serialize(obj)["config"].items() >= config["config"].items()


def test_a_config_without_class_name_is_refused_by_kind():
    with pytest.raises(ValueError, match="a layer class config must be a dict with a 'class_name'"):
        layers.deserialize({"config": {}})
    with pytest.raises(ValueError, match="unknown layer class 'Dense3D'; valid names are: .*Dense"):
        layers.deserialize({"class_name": "Dense3D", "config": {}})


def test_instances_and_plain_functions_pass_through():
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam

    def my_loss(y_true, y_pred):
        return (y_pred - y_true) ** 2

    assert losses.get(my_loss) is my_loss
    assert activations.get(None) is activations.linear
    assert regularizers.get(None) is None
