"""Training with built-in methods (keras-io guide), section "Custom losses": a loss function and a Loss subclass.

Source: https://keras.io/guides/training_with_built_in_methods/#custom-losses
Changed to run offline: ``keras.datasets.mnist.load_data()`` is replaced by
``standin.mnist_load_data()`` (``reshape(-1, 784)``); the guide's
``get_uncompiled_model`` is copied in; the guide fits 1 epoch on all samples,
quick mode on ``standin.pick`` samples; the ``RESULT`` line is added. Nothing else changed.
"""

import numpy as np
import keras
from keras import ops
from keras import layers

import standin


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


(x_train, y_train), (x_test, y_test) = standin.mnist_load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
y_train = y_train.astype("float32")


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

# We need to one-hot encode the labels to use MSE
y_train_one_hot = ops.one_hot(y_train, num_classes=10)
history_function = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())

y_train_one_hot = ops.one_hot(y_train, num_classes=10)
history_class = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)

print(f"RESULT function_loss={history_function.history['loss'][-1]:.6f} "
      f"class_loss={history_class.history['loss'][-1]:.6f}")
