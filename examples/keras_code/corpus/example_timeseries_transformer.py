"""Timeseries classification with a Transformer model (keras-io example, timeseries): attention on FordA.

Source: https://keras.io/examples/timeseries/timeseries_classification_transformer/
(keras-team/keras-io, examples/timeseries/timeseries_classification_transformer.py)
Changed to run offline: ``readucr(root_url + "FordA_TRAIN.tsv")`` and the test file
are replaced by ``standin.forda(...)`` (same layout: (n, 500) floats, labels in
{-1, 1}; 3601/1320 samples in full mode as published; in quick mode 128/64 series
of 40 steps, since attention over 500 steps costs (batch, heads, 500, 500) per
block); ``from tensorflow import keras`` and ``from tensorflow.keras import layers``
are written as Keras 3 spells them (``import keras``, ``from keras import layers``);
``np.random.seed(0)`` is added before the shuffle; epochs 200 as published, 2 in
quick mode; the ``RESULT`` line is added. Nothing else changed.
"""

import numpy as np

import standin

x_train, y_train = standin.forda(standin.pick(3601, 128), length=standin.pick(500, 40), seed=5)
x_test, y_test = standin.forda(standin.pick(1320, 64), length=standin.pick(500, 40), seed=15)

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

n_classes = len(np.unique(y_train))

np.random.seed(0)
idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0

import keras
from keras import layers


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Attention and Normalization
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout
    )(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build_model(
    input_shape,
    head_size,
    num_heads,
    ff_dim,
    num_transformer_blocks,
    mlp_units,
    dropout=0,
    mlp_dropout=0,
):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


input_shape = x_train.shape[1:]

model = build_model(
    input_shape,
    head_size=256,
    num_heads=4,
    ff_dim=4,
    num_transformer_blocks=4,
    mlp_units=[128],
    mlp_dropout=0.4,
    dropout=0.25,
)

model.compile(
    loss="sparse_categorical_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=1e-4),
    metrics=["sparse_categorical_accuracy"],
)
model.summary()

callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]

history = model.fit(
    x_train,
    y_train,
    validation_split=0.2,
    epochs=standin.pick(200, 2),
    batch_size=64,
    callbacks=callbacks,
)

test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=1)

print(f"RESULT params={model.count_params()} train_loss={history.history['loss'][-1]:.6f} "
      f"test_loss={test_loss:.6f} test_accuracy={test_accuracy:.6f}")
