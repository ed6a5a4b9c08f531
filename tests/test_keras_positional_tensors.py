"""A layer whose call takes several tensors by position (``call(self, targets, logits)``), as Keras passes them."""

import importlib.util

import numpy as np
import pytest

import minidl
from minidl import layers, losses, ops


def endpoint_class(keras_module):
    """The keras-io guide's LogisticEndpoint, written against ``keras_module`` (Keras or minidl)."""

    class LogisticEndpoint(keras_module.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras_module.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            return keras_module.ops.softmax(logits)

    return LogisticEndpoint


def endpoint_model(keras_module):
    inputs = keras_module.Input(shape=(3,), name="inputs")
    targets = keras_module.Input(shape=(10,), name="targets")
    logits = keras_module.layers.Dense(10)(inputs)
    predictions = endpoint_class(keras_module)(name="predictions")(targets, logits)
    model = keras_module.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # no loss: the endpoint's add_loss is the loss
    return model


def data(seed=0):
    rng = np.random.default_rng(seed)
    return {"inputs": rng.random((6, 3)).astype("float32"), "targets": rng.random((6, 10)).astype("float32")}


def test_the_tensors_given_by_position_reach_call_by_position_and_both_feed_the_graph():
    model = endpoint_model(minidl)
    node = model.get_layer("predictions").inbound_nodes[0]
    producers = [tensor.node.layer for tensor in node.input_tensors]
    assert producers[0].name == "targets" and isinstance(producers[1], layers.Dense) and len(producers) == 2
    history = model.fit(data(), epochs=2, batch_size=3, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_called_eagerly_the_layer_gets_its_tensors_and_a_keyword_after_them():
    seen = {}

    class Pair(layers.Layer):
        def call(self, first, second, scale=1.0):
            seen.update(first=first.shape, second=second.shape, scale=scale)
            return first * scale + ops.sum(second, axis=-1, keepdims=True)

    y = Pair()(np.ones((2, 3)), np.ones((2, 4)), scale=2.0)
    assert seen == {"first": (2, 3), "second": (2, 4), "scale": 2.0}
    np.testing.assert_allclose(y.numpy(), np.full((2, 3), 6.0))


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")
def test_the_endpoint_model_gives_keras_s_predictions_and_loss_with_keras_s_weights():
    keras = pytest.importorskip("keras")
    theirs, ours = endpoint_model(keras), endpoint_model(minidl)
    ours.get_layer("dense").set_weights(theirs.layers[1 if theirs.layers[1].weights else 2].get_weights())
    batch = data(1)
    np.testing.assert_allclose(ours.predict(batch, verbose=0), theirs.predict(batch, verbose=0), atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(batch, verbose=0), theirs.evaluate(batch, verbose=0), rtol=1e-5)
