"""A toy ResNet model (keras-io guide "The Functional API", section "A toy ResNet model").

Source: https://keras.io/guides/functional_api/#a-toy-resnet-model (guides/functional_api.py)
Changed to run offline: ``keras.datasets.cifar10.load_data()`` is replaced by
``standin.cifar10_load_data()`` (uint8 (n, 32, 32, 3) images, (n, 1) labels);
the guide trains on the first 1000 samples for 1 epoch, quick mode on the first
``standin.pick(1000, 300)``; the printed ``RESULT`` line is added for the corpus
runner. Nothing else changed.
"""

import keras
from keras import layers

import standin

inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)

x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])

x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_3_output = layers.add([x, block_2_output])

x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)

model = keras.Model(inputs, outputs, name="toy_resnet")
model.summary()

(x_train, y_train), (x_test, y_test) = standin.cifar10_load_data()

x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    metrics=["acc"],
)
# We restrict the data to the first 1000 samples so as to limit execution time
# on Colab. Try to train on the entire dataset until convergence!
samples = standin.pick(1000, 300)
history = model.fit(
    x_train[:samples],
    y_train[:samples],
    batch_size=64,
    epochs=1,
    validation_split=0.2,
)
print(f"RESULT loss={history.history['loss'][-1]:.6f} acc={history.history['acc'][-1]:.6f} "
      f"params={model.count_params()}")
