"""Timeseries anomaly detection using an Autoencoder (keras-io example, timeseries): Conv1D / Conv1DTranspose.

Source: https://keras.io/examples/timeseries/timeseries_anomaly_detection/
(examples/timeseries/timeseries_anomaly_detection.py)
Changed to run offline: the two ``pd.read_csv(NAB url)`` frames are replaced by
``standin.nab_cpu_series`` arrays of shape (n, 1) (pandas is not installed here,
so ``df.values`` reads as the array itself and ``mean``/``std`` are numpy's over
axis 0); 4032 points as published, 1000 in quick mode; epochs 50 as published,
2 in quick mode; plotting is left out; the ``RESULT`` line is added. Nothing else changed.
"""

import numpy as np
import keras
from keras import layers

import standin

points = standin.pick(4032, 1000)
df_small_noise = standin.nab_cpu_series(points, anomaly=False, seed=6)[:, None]
df_daily_jumpsup = standin.nab_cpu_series(points, anomaly=True, seed=16)[:, None]

# Normalize and save the mean and std we get,
# for normalizing test data.
training_mean = df_small_noise.mean(axis=0)
training_std = df_small_noise.std(axis=0)
df_training_value = (df_small_noise - training_mean) / training_std
print("Number of training samples:", len(df_training_value))

TIME_STEPS = 288


# Generated training sequences for use in the model.
def create_sequences(values, time_steps=TIME_STEPS):
    output = []
    for i in range(len(values) - time_steps + 1):
        output.append(values[i : (i + time_steps)])
    return np.stack(output)


x_train = create_sequences(df_training_value)
print("Training input shape: ", x_train.shape)

model = keras.Sequential(
    [
        layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        layers.Conv1D(
            filters=32,
            kernel_size=7,
            padding="same",
            strides=2,
            activation="relu",
        ),
        layers.Dropout(rate=0.2),
        layers.Conv1D(
            filters=16,
            kernel_size=7,
            padding="same",
            strides=2,
            activation="relu",
        ),
        layers.Conv1DTranspose(
            filters=16,
            kernel_size=7,
            padding="same",
            strides=2,
            activation="relu",
        ),
        layers.Dropout(rate=0.2),
        layers.Conv1DTranspose(
            filters=32,
            kernel_size=7,
            padding="same",
            strides=2,
            activation="relu",
        ),
        layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
model.summary()

history = model.fit(
    x_train,
    x_train,
    epochs=standin.pick(50, 2),
    batch_size=128,
    validation_split=0.1,
    callbacks=[
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
    ],
)

# Get train MAE loss.
x_train_pred = model.predict(x_train)
train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)

# Get reconstruction loss threshold.
threshold = np.max(train_mae_loss)
print("Reconstruction error threshold: ", threshold)

df_test_value = (df_daily_jumpsup - training_mean) / training_std

# Create sequences from test values.
x_test = create_sequences(df_test_value)
print("Test input shape: ", x_test.shape)

# Get test MAE loss.
x_test_pred = model.predict(x_test)
test_mae_loss = np.mean(np.abs(x_test_pred - x_test), axis=1)
test_mae_loss = test_mae_loss.reshape((-1))

# Detect all the samples which are anomalies.
anomalies = test_mae_loss > threshold
print("Number of anomaly samples: ", np.sum(anomalies))
print("Indices of anomaly samples: ", np.where(anomalies))

print(f"RESULT loss={history.history['loss'][-1]:.6f} val_loss={history.history['val_loss'][-1]:.6f} "
      f"threshold={threshold:.6f}")
