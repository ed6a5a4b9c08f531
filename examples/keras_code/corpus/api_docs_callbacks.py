"""Keras API reference, callbacks pages: the LearningRateScheduler and CSVLogger examples.

Source: https://keras.io/api/callbacks/learning_rate_scheduler/ (the docstring example of
``keras.callbacks.LearningRateScheduler``) and https://keras.io/api/callbacks/csv_logger/.
Changed to run offline: nothing downloads; the scheduler returns
``float(lr * ops.exp(-0.1))`` where the docstring returns ``lr * ops.exp(-0.1)``
(Keras 3.15 refuses a tensor: "The output of the `schedule` function should be a
float"); the scheduler example's targets
``np.zeros(5)`` read ``np.zeros((5, 10))`` (Keras 3 with TensorFlow refuses targets
of shape (5,) for the (5, 10) output: "Incompatible shapes"); the CSVLogger page's
``model.fit(X_train, Y_train, callbacks=[csv_logger])`` is given the scheduler
example's model and arrays, with ``epochs=3``; reading the log back and the
``RESULT`` line are added. Nothing else changed.
"""

import csv

import numpy as np
import keras
from keras import ops


# This function keeps the initial learning rate for the first ten epochs
# and decreases it exponentially after that.
def scheduler(epoch, lr):
    if epoch < 10:
        return lr
    else:
        return float(lr * ops.exp(-0.1))


model = keras.models.Sequential([keras.layers.Dense(10)])
model.compile(keras.optimizers.SGD(), loss='mse')
print(round(model.optimizer.learning_rate, 5))

callback = keras.callbacks.LearningRateScheduler(scheduler)
history = model.fit(np.arange(100).reshape(5, 20), np.zeros((5, 10)),
                    epochs=15, callbacks=[callback], verbose=0)
print(round(model.optimizer.learning_rate, 5))
scheduled = float(np.array(model.optimizer.learning_rate))

X_train, Y_train = np.arange(100).reshape(5, 20) / 100.0, np.zeros((5, 10))
csv_logger = keras.callbacks.CSVLogger('training.log')
model.fit(X_train, Y_train, epochs=3, callbacks=[csv_logger])

with open('training.log') as handle:
    rows = list(csv.DictReader(handle))

print(f"RESULT learning_rate={scheduled:.6f} epochs_run={len(history.history['loss'])} "
      f"csv_rows={len(rows)} csv_columns={'+'.join(sorted(rows[0]))}")
