"""Timeseries classification from scratch (keras-io example, timeseries): a fully convolutional network on FordA.

Source: https://keras.io/examples/timeseries/timeseries_classification_from_scratch/
(examples/timeseries/timeseries_classification_from_scratch.py)
Changed to run offline: ``readucr(root_url + "FordA_TRAIN.tsv")`` and the test file
are replaced by ``standin.forda(...)`` (same layout: (n, 500) floats, labels in
{-1, 1}; 3601/1320 samples in full mode as published, 240/120 in quick mode);
``np.random.seed(0)`` is added before the shuffle; epochs 500 as published, 2 in
quick mode; the ``RESULT`` line is added. Nothing else changed.
"""

import keras
import numpy as np

import standin

np.random.seed(0)

x_train, y_train = standin.forda(standin.pick(3601, 240), seed=5)
x_test, y_test = standin.forda(standin.pick(1320, 120), seed=15)

classes = np.unique(np.concatenate((y_train, y_test), axis=0))

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

num_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])

epochs = standin.pick(500, 2)
batch_size = 32

callbacks = [
    keras.callbacks.ModelCheckpoint(
        "best_model.keras", save_best_only=True, monitor="val_loss"
    ),
    keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=1,
)

model = keras.models.load_model("best_model.keras")

test_loss, test_acc = model.evaluate(x_test, y_test)

print("Test accuracy", test_acc)
print("Test loss", test_loss)

print(f"RESULT train_loss={history.history['loss'][-1]:.6f} "
      f"train_accuracy={history.history['sparse_categorical_accuracy'][-1]:.6f} test_accuracy={test_acc:.6f}")
