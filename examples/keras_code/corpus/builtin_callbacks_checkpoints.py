"""Training with built-in methods (keras-io guide): validation_split, EarlyStopping, ModelCheckpoint, LR schedules, a LossHistory callback.

Source: https://keras.io/guides/training_with_built_in_methods/#using-callbacks (and the sections
"Checkpointing models", "Using learning rate schedules", "Writing your own callback")
Changed to run offline: ``keras.datasets.mnist.load_data()`` is replaced by
``standin.mnist_load_data()`` (``reshape(-1, 784)``); the guide's
``get_compiled_model`` is copied in; epochs 20/2 as published, 3/1 in quick mode;
``validation_split`` as published; added: reloading the last checkpoint, a
1-epoch fit with the guide's ExponentialDecay schedule (on SGD, since the
guide's RMSprop at 0.1 only shows the construction) and the ``RESULT`` line.
Nothing else changed.
"""

import os

import numpy as np
import keras
from keras import ops
from keras import layers

import standin

(x_train, y_train), (x_test, y_test) = standin.mnist_load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
y_train = y_train.astype("float32")


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


model = get_compiled_model()

callbacks = [
    keras.callbacks.EarlyStopping(
        # Stop training when `val_loss` is no longer improving
        monitor="val_loss",
        # "no longer improving" being defined as "no better than 1e-2 less"
        min_delta=1e-2,
        # "no longer improving" being further defined as "for at least 2 epochs"
        patience=2,
        verbose=1,
    )
]
history_early = model.fit(
    x_train,
    y_train,
    epochs=standin.pick(20, 3),
    batch_size=64,
    callbacks=callbacks,
    validation_split=0.2,
)


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


model = get_compiled_model()

callbacks = [
    keras.callbacks.ModelCheckpoint(
        # Path where to save the model
        # The two parameters below mean that we will overwrite
        # the current checkpoint if and only if
        # the `val_loss` score has improved.
        # The saved model name will include the current epoch.
        filepath="mymodel_{epoch}.keras",
        save_best_only=True,  # Only save a model if `val_loss` has improved.
        monitor="val_loss",
        verbose=1,
    ),
    LossHistory(),
]
model.fit(
    x_train,
    y_train,
    epochs=standin.pick(2, 1),
    batch_size=64,
    callbacks=callbacks,
    validation_split=0.2,
)
loss_history = callbacks[1]
checkpoints = sorted(name for name in os.listdir(".") if name.startswith("mymodel_"))
reloaded = keras.models.load_model(checkpoints[-1])

initial_learning_rate = 0.1
lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
)

optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr_schedule),
              loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
history_schedule = model.fit(x_train, y_train, epochs=1, batch_size=64)

print(f"RESULT early_val_loss={history_early.history['val_loss'][-1]:.6f} "
      f"batches_logged={len(loss_history.per_batch_losses)} checkpoints={len(checkpoints)} "
      f"reloaded_layers={len(reloaded.layers)} "
      f"schedule_accuracy={history_schedule.history['sparse_categorical_accuracy'][-1]:.6f}")
