"""Image classification from scratch (keras-io example, vision): a small Xception on Cats vs Dogs.

Source: https://keras.io/examples/vision/image_classification_from_scratch/
(keras-team/keras-io, examples/vision/image_classification_from_scratch.py, its Keras 3 version)
Changed to run offline: the 786 MB Kaggle download, the corrupted-file filter and
``keras.utils.image_dataset_from_directory`` are replaced by ``standin.pet_images(...)``
(float32 (n, h, w, 3) pixels in [0, 255], labels 0/1, split 80/20 as the example's
``validation_split=0.2``), and the ``tf.data`` pipeline (``map``, ``prefetch``) by the
same augmentation applied to the training arrays once; the matplotlib figures,
``plot_model`` and the inference on one JPEG file are left out (the inference runs on a
validation image instead). Images 180x180 as published, 32x32 in quick mode (160
images); epochs 25 as published, 1 in quick mode; the ``RESULT`` line is added.
Nothing else changed.
"""

import numpy as np
import keras
from keras import layers

import standin

image_size = standin.pick((180, 180), (32, 32))
batch_size = 128

images, labels = standin.pet_images(standin.pick(2000, 160), image_size)
split = int(len(images) * 0.8)
x_train, y_train = images[:split], labels[:split]
x_val, y_val = images[split:], labels[split:]

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)

# Apply `data_augmentation` to the training images.
x_train = np.asarray(data_augmentation(x_train))

epochs = standin.pick(25, 1)

callbacks = [
    keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras"),
]
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_data=(x_val, y_val),
)

img_array = keras.ops.expand_dims(x_val[0], 0)  # Create batch axis

predictions = model.predict(img_array)
score = float(keras.ops.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% cat and {100 * score:.2f}% dog.")

print(f"RESULT params={model.count_params()} loss={history.history['loss'][-1]:.6f} "
      f"val_acc={history.history['val_acc'][-1]:.6f} score_in_0_1={int(0 <= score <= 1)}")
