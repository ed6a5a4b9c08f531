"""The course notes' chapter 12 regression: an epoch correlation metric written with backend functions.

Source: the course notes' compile line and ``pearson_in_epoch`` metric, as quoted in this
project's tests/test_keras_parity.py (``course_notes_metric``); the notes wrote
``from keras import backend as K`` (Keras 2), whose ``mean``/``std``/``epsilon``
Keras 3 keeps in ``keras.ops`` and ``keras.config``.
Changed to run offline: the notes' table is replaced by 500 (quick: 200) rows of
5 normal features with the two targets the parity test uses; the import reads
``from keras import ops as K`` plus ``K.epsilon = keras.config.epsilon`` (Keras 3's
names for Keras 2's backend); the ``RESULT`` line is added.
Nothing else changed.
"""

import numpy as np
import keras
from keras import layers
from keras import ops as K

import standin

K.epsilon = keras.config.epsilon

rng = np.random.default_rng(11)
x = rng.normal(size=(standin.pick(500, 200), 5)).astype(np.float32)
y = np.stack([x[:, 0] + 0.1 * x[:, 1], x[:, 2] * x[:, 3]], axis=1).astype(np.float32)


def pearson_in_epoch(y_true, y_pred):
    fsp = y_pred - K.mean(y_pred, axis=0)
    fst = y_true - K.mean(y_true, axis=0)
    dev_p = K.std(y_pred, axis=0)
    dev_t = K.std(y_true, axis=0)
    return K.mean(fsp * fst, axis=0) / (dev_p * dev_t + K.epsilon())


model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="tanh"), layers.Dense(2)])
model.compile(loss="mean_squared_error", optimizer="rmsprop", metrics=["mae", pearson_in_epoch])
history = model.fit(x, y, batch_size=16, epochs=20, validation_split=0.2, verbose=2)

print(f"RESULT loss={history.history['loss'][-1]:.6f} mae={history.history['mae'][-1]:.6f} "
      f"val_pearson={history.history['val_pearson_in_epoch'][-1]:.6f}")
