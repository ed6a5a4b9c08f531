"""Training with built-in methods (keras-io guide): losses added in ``call`` with ``add_loss``, and a loss endpoint layer.

Source: https://keras.io/guides/training_with_built_in_methods/#handling-losses-and-metrics-that-dont-fit-the-standard-signature
Changed to run offline: ``keras.datasets.mnist.load_data()`` is replaced by
``standin.mnist_load_data()`` (``reshape(-1, 784)``); the guide's
``get_uncompiled_model`` layers are copied in; 1 epoch as published, on fewer
samples; the ``RESULT`` line is added. Nothing else changed.
"""

import numpy as np
import keras
from keras import ops
from keras import layers

import standin

(x_train, y_train), (x_test, y_test) = standin.mnist_load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
y_train = y_train.astype("float32")


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

# Insert activity regularization as a layer
x = ActivityRegularizationLayer()(x)

x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, name="predictions")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)

# The displayed loss will be much higher than before
# due to the regularization component.
history_regularized = model.fit(x_train, y_train, batch_size=64, epochs=1)


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)

        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)


inputs = keras.Input(shape=(3,), name="inputs")
targets = keras.Input(shape=(10,), name="targets")
logits = keras.layers.Dense(10)(inputs)
predictions = LogisticEndpoint(name="predictions")(targets, logits)

model = keras.Model(inputs=[inputs, targets], outputs=predictions)
model.compile(optimizer="adam")  # No loss argument!

data = {
    "inputs": np.random.random((3, 3)),
    "targets": np.random.random((3, 10)),
}
history_endpoint = model.fit(data)

print(f"RESULT regularized_loss={history_regularized.history['loss'][-1]:.6f} "
      f"endpoint_loss_finite={int(np.isfinite(history_endpoint.history['loss'][-1]))}")
