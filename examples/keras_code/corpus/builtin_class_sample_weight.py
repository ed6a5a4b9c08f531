"""Training with built-in methods (keras-io guide): ``class_weight`` and ``sample_weight``, with a held-out evaluation.

Source: https://keras.io/guides/training_with_built_in_methods/#using-sample-weighting-and-class-weighting
Changed to run offline: ``keras.datasets.mnist.load_data()`` is replaced by
``standin.mnist_load_data()`` (``reshape(-1, 784)``); the guide's
``get_compiled_model`` is copied in; 1 epoch as published, on fewer samples;
the two ``evaluate`` calls and the ``RESULT`` line are added. Nothing else changed.
"""

import numpy as np
import keras
from keras import ops
from keras import layers

import standin

(x_train, y_train), (x_test, y_test) = standin.mnist_load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
y_train = y_train.astype("float32")
y_test = y_test.astype("float32")


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


class_weight = {
    0: 1.0,
    1: 1.0,
    2: 1.0,
    3: 1.0,
    4: 1.0,
    # Set weight "2" for class "5",
    # making this class 2x more important
    5: 2.0,
    6: 1.0,
    7: 1.0,
    8: 1.0,
    9: 1.0,
}

print("Fit with class weight")
model = get_compiled_model()
model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)
class_weighted = model.evaluate(x_test, y_test, verbose=0)

sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0

print("Fit with sample weight")
model = get_compiled_model()
model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1)
sample_weighted = model.evaluate(x_test, y_test, verbose=0)

print(f"RESULT class_weight_accuracy={class_weighted[1]:.6f} sample_weight_accuracy={sample_weighted[1]:.6f} "
      f"class_weight_loss={class_weighted[0]:.6f} sample_weight_loss={sample_weighted[0]:.6f}")
