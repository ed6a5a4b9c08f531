"""Transfer learning & fine-tuning (keras-io guide): trainable weights, freezing, the frozen-base workflow.

Source: https://keras.io/guides/transfer_learning/ (keras-team/keras-io, guides/transfer_learning.py),
its sections "Freezing layers: understanding the trainable attribute", "Recursive
setting of the trainable attribute" and "The typical transfer-learning workflow"
with "Fine-tuning".
Changed to run offline: ``keras.applications.Xception(weights="imagenet", ...)`` is
replaced by a small convolutional base (Conv2D, BatchNormalization, ReLU) that is
first trained for one epoch on stand-in CIFAR-10 images (``standin.cifar10_load_data``),
standing in for the ImageNet weights; ``new_dataset`` is those images with the label
"class < 5" and input shape (32, 32, 3) instead of (150, 150, 3); the guide's
``epochs=20`` / ``epochs=10`` with elided ``callbacks=...`` read ``epochs=2`` / ``epochs=1``
with no callbacks and ``validation_data`` the stand-in test split. The
``assert``/``np.testing`` checks are the guide's; the counts gathered for the
``RESULT`` line are added. Nothing else changed.
"""

import numpy as np
import keras

import standin

layer = keras.layers.Dense(3)
layer.build((None, 4))  # Create the weights

print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))
dense_counts = (len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))

layer = keras.layers.BatchNormalization()
layer.build((None, 4))  # Create the weights

print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))
batch_norm_counts = (len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))

layer = keras.layers.Dense(3)
layer.build((None, 4))  # Create the weights
layer.trainable = False  # Freeze the layer

print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))
frozen_counts = (len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights))

# Make a model with 2 layers
layer1 = keras.layers.Dense(3, activation="relu")
layer2 = keras.layers.Dense(3, activation="sigmoid")
model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])

# Freeze the first layer
layer1.trainable = False

# Keep a copy of the weights of layer1 for later reference
initial_layer1_weights_values = layer1.get_weights()

# Train the model
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.random((2, 3)), np.random.random((2, 3)))

# Check that the weights of layer1 have not changed during training
final_layer1_weights_values = layer1.get_weights()
np.testing.assert_allclose(
    initial_layer1_weights_values[0], final_layer1_weights_values[0]
)
np.testing.assert_allclose(
    initial_layer1_weights_values[1], final_layer1_weights_values[1]
)

inner_model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        keras.layers.Dense(3, activation="relu"),
        keras.layers.Dense(3, activation="relu"),
    ]
)

model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        inner_model,
        keras.layers.Dense(3, activation="sigmoid"),
    ]
)

model.trainable = False  # Freeze the outer model

assert inner_model.trainable == False  # All layers in `model` are now frozen
assert inner_model.layers[0].trainable == False  # `trainable` is propagated recursively

# Stand-in for the pre-trained base: a small convolutional network trained on stand-in CIFAR-10
(x_train, y_train), (x_test, y_test) = standin.cifar10_load_data()
x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
base_model = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(16, 3, strides=2),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.Conv2D(32, 3, strides=2),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
    ]
)
pretraining = keras.Sequential([base_model, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
pretraining.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
pretraining.fit(x_train, y_train, epochs=1, batch_size=64, verbose=0)
new_labels, new_test_labels = (y_train < 5).astype("float32"), (y_test < 5).astype("float32")

base_model.trainable = False

inputs = keras.Input(shape=(32, 32, 3))
# We make sure that the base_model is running in inference mode here,
# by passing `training=False`. This is important for fine-tuning, as you will
# learn in a few paragraphs.
x = base_model(inputs, training=False)
# Convert features of shape `base_model.output_shape[1:]` to vectors
x = keras.layers.GlobalAveragePooling2D()(x)
# A Dense classifier with a single unit (binary classification)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
frozen_trainable = len(model.trainable_weights)
moving_mean = base_model.layers[1].get_weights()[2].copy()

model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
history = model.fit(x_train, new_labels, epochs=2, validation_data=(x_test, new_test_labels), verbose=0)
top_accuracy = history.history["val_binary_accuracy"][-1]
moving_mean_kept = bool(np.array_equal(moving_mean, base_model.layers[1].get_weights()[2]))

# Unfreeze the base model
base_model.trainable = True

# It's important to recompile your model after you make any changes
# to the `trainable` attribute of any inner layer, so that your changes
# are take into account
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),  # Very low learning rate
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)

# Train end-to-end. Be careful to stop before you overfit!
history = model.fit(x_train, new_labels, epochs=1, validation_data=(x_test, new_test_labels), verbose=0)
fine_tuned_trainable = len(model.trainable_weights)

print(f"RESULT dense={'/'.join(map(str, dense_counts))} batch_norm={'/'.join(map(str, batch_norm_counts))} "
      f"frozen={'/'.join(map(str, frozen_counts))} frozen_trainable={frozen_trainable} "
      f"fine_tuned_trainable={fine_tuned_trainable} moving_mean_kept={int(moving_mean_kept)} "
      f"top_accuracy={top_accuracy:.4f} fine_tuned_accuracy={history.history['val_binary_accuracy'][-1]:.4f}")
