"""Training & evaluation with the built-in methods (keras-io guide): the API overview end to end.

Source: https://keras.io/guides/training_with_built_in_methods/ (guides/training_with_built_in_methods.py),
sections "API overview: a first end-to-end example" and "The compile() method".
Changed to run offline: ``keras.datasets.mnist.load_data()`` is replaced by
``standin.mnist_load_data()`` (so ``reshape(60000, 784)`` reads ``reshape(-1, 784)``
and the guide's last 10000 validation samples are the last ``standin.pick(10000, 200)``);
epochs 2 as published, 1 in quick mode; the ``RESULT`` line is added. Nothing else changed.
"""

import numpy as np
import keras
from keras import ops
from keras import layers

import standin

inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

model = keras.Model(inputs=inputs, outputs=outputs)

(x_train, y_train), (x_test, y_test) = standin.mnist_load_data()

# Preprocess the data (these are NumPy arrays)
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255

y_train = y_train.astype("float32")
y_test = y_test.astype("float32")

# Reserve 10,000 samples for validation
validation = standin.pick(10000, 200)
x_val = x_train[-validation:]
y_val = y_train[-validation:]
x_train = x_train[:-validation]
y_train = y_train[:-validation]

model.compile(
    optimizer=keras.optimizers.RMSprop(),  # Optimizer
    # Loss function to minimize
    loss=keras.losses.SparseCategoricalCrossentropy(),
    # List of metrics to monitor
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)

print("Fit model on training data")
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=standin.pick(2, 1),
    # We pass some validation for
    # monitoring validation loss and metrics
    # at the end of each epoch
    validation_data=(x_val, y_val),
)

print(history.history)

# Evaluate the model on the test data using `evaluate`
print("Evaluate on test data")
results = model.evaluate(x_test, y_test, batch_size=128)
print("test loss, test acc:", results)

# Generate predictions (probabilities -- the output of the last layer)
# on new data using `predict`
print("Generate predictions for 3 samples")
predictions = model.predict(x_test[:3])
print("predictions shape:", predictions.shape)

model.compile(
    optimizer="rmsprop",
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=1, validation_data=(x_val, y_val))

print(f"RESULT loss={results[0]:.6f} accuracy={results[1]:.6f} "
      f"val_accuracy={history.history['val_sparse_categorical_accuracy'][-1]:.6f} "
      f"predictions_shape={'x'.join(str(d) for d in predictions.shape)}")
