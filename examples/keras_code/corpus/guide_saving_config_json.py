"""Save, serialize and export models (keras-io guide): get_config/from_config, to_json, clone_model, weights only.

Source: https://keras.io/guides/serialization_and_saving/ sections "Config-based serialization",
"Model cloning" and "Saving & loading only the model's weights values".
Changed to run offline: nothing downloads; ``np.random.seed(0)`` and a short
``fit`` before ``save_weights`` (the guide saves an untrained model) are added,
and the ``RESULT`` line. Nothing else changed.
"""

import numpy as np
import keras

np.random.seed(0)

layer = keras.layers.Dense(3, activation="relu")
layer_config = layer.get_config()
print(layer_config)

serialized_layer_config = keras.layers.serialize(layer)
print(serialized_layer_config)
new_layer = keras.layers.deserialize(serialized_layer_config)

model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
config = model.get_config()
new_model = keras.Sequential.from_config(config)

inputs = keras.Input((32,))
outputs = keras.layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
config = model.get_config()
new_model = keras.Model.from_config(config)

model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
json_config = model.to_json()
new_model = keras.models.model_from_json(json_config)

new_model = keras.models.clone_model(model)
cloned_layers = len(new_model.layers)


def create_layer():
    layer = keras.layers.Dense(64, activation="relu", name="dense_2")
    layer.build((None, 784))
    return layer


layer_1 = create_layer()
layer_2 = create_layer()

# Copy weights from layer 1 to layer 2
layer_2.set_weights(layer_1.get_weights())
copied = all(np.array_equal(a, b) for a, b in zip(layer_1.get_weights(), layer_2.get_weights()))


# Create a simple functional model
inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")


# Define a subclassed model with the same architecture
class SubclassedModel(keras.Model):
    def __init__(self, output_dim, name=None):
        super().__init__(name=name)
        self.output_dim = output_dim
        self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
        self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
        self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.dense_2(x)
        x = self.dense_3(x)
        return x

    def get_config(self):
        return {"output_dim": self.output_dim, "name": self.name}


subclassed_model = SubclassedModel(10)
# Call the subclassed model once to create the weights.
subclassed_model(np.ones((1, 784)))

# Copy weights from functional_model to subclassed_model.
subclassed_model.set_weights(functional_model.get_weights())

assert len(functional_model.weights) == len(subclassed_model.weights)
for a, b in zip(functional_model.weights, subclassed_model.weights):
    np.testing.assert_allclose(a.numpy(), b.numpy())

sequential_model = keras.Sequential(
    [
        keras.Input(shape=(784,), name="digits"),
        keras.layers.Dense(64, activation="relu", name="dense_1"),
        keras.layers.Dense(64, activation="relu", name="dense_2"),
        keras.layers.Dense(10, name="predictions"),
    ]
)
sequential_model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
history = sequential_model.fit(np.random.random((256, 784)), np.random.randint(0, 10, size=(256,)), epochs=1)
sequential_model.save_weights("weights.weights.h5")
sequential_model.load_weights("weights.weights.h5")

print(f"RESULT cloned_layers={cloned_layers} copied={int(copied)} "
      f"json_layers={len(keras.models.model_from_json(json_config).layers)} "
      f"loss={history.history['loss'][-1]:.6f}")
