"""Overfit and underfit (TensorFlow tutorial): tiny to regularised models, InverseTimeDecay, early stopping.

Source: https://www.tensorflow.org/tutorials/keras/overfit_and_underfit
(tensorflow/docs, site/en/tutorials/keras/overfit_and_underfit.ipynb).
Changed to run offline: the HIGGS CSV read with ``tf.data.experimental.CsvDataset`` is
replaced by stand-in arrays (``standin.higgs``: 28 features, a binary label) and the
``tf.data`` pipeline (``cache().shuffle().repeat().batch()``) by a Python generator
that repeats, shuffles and batches the same arrays; ``tf.keras`` reads ``keras``
(``from keras import layers, regularizers``); the ``tensorflow_docs`` EpochDots and
the ``TensorBoard`` callbacks are left out (no ``tensorflow_docs``, no log folder),
and the plots; quick mode uses 1,000 training rows, ``max_epochs=5`` instead of 10,000.
Of the tutorial's models, the tiny, small, L2, dropout and combined ones are kept
(the medium and large ones are the same code with more units). The labels are given as
(samples, 1) (Keras 3's ``BinaryCrossentropy`` metric refuses (samples,) labels for the
(samples, 1) logits: "must have the same rank"). The ``RESULT`` line is added.
Nothing else changed.
"""

import numpy as np
import keras
from keras import layers
from keras import regularizers

import standin

FEATURES = 28
N_VALIDATION = standin.pick(int(1e3), 500)
N_TRAIN = standin.pick(int(1e4), 1000)
BUFFER_SIZE = int(1e4)
BATCH_SIZE = 500
STEPS_PER_EPOCH = N_TRAIN // BATCH_SIZE
MAX_EPOCHS = standin.pick(10000, 5)

features, labels = standin.higgs(N_VALIDATION + N_TRAIN)
labels = labels[:, None]
validate_ds = (features[:N_VALIDATION], labels[:N_VALIDATION])


def train_batches(seed=0):
    """Stands in for ``train_ds = packed_ds.skip(N_VALIDATION).take(N_TRAIN).cache().shuffle().repeat().batch()``."""
    x, y = features[N_VALIDATION:], labels[N_VALIDATION:]
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x) - BATCH_SIZE + 1, BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            yield x[rows], y[rows]


lr_schedule = keras.optimizers.schedules.InverseTimeDecay(
  0.001,
  decay_steps=STEPS_PER_EPOCH*1000,
  decay_rate=1,
  staircase=False)


def get_optimizer():
  return keras.optimizers.Adam(lr_schedule)


def get_callbacks(name):
  return [
    keras.callbacks.EarlyStopping(monitor='val_binary_crossentropy', patience=200),
  ]


def compile_and_fit(model, name, optimizer=None, max_epochs=MAX_EPOCHS):
  if optimizer is None:
    optimizer = get_optimizer()
  model.compile(optimizer=optimizer,
                loss=keras.losses.BinaryCrossentropy(from_logits=True),
                metrics=[
                  keras.metrics.BinaryCrossentropy(
                      from_logits=True, name='binary_crossentropy'),
                  'accuracy'])

  model.summary()

  history = model.fit(
    train_batches(),
    steps_per_epoch = STEPS_PER_EPOCH,
    epochs=max_epochs,
    validation_data=validate_ds,
    callbacks=get_callbacks(name),
    verbose=0)
  return history


tiny_model = keras.Sequential([
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(1)
])

size_histories = {}
size_histories['Tiny'] = compile_and_fit(tiny_model, 'sizes/Tiny')

small_model = keras.Sequential([
    # `input_shape` is only required here so that `.summary` works.
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(16, activation='elu'),
    layers.Dense(1)
])
size_histories['Small'] = compile_and_fit(small_model, 'sizes/Small')

regularizer_histories = {}
l2_model = keras.Sequential([
    layers.Dense(512, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001),
                 input_shape=(FEATURES,)),
    layers.Dense(512, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1)
])
regularizer_histories['l2'] = compile_and_fit(l2_model, "regularizers/l2")

result = l2_model(features[:3])
regularization_loss=keras.ops.sum(keras.ops.stack(l2_model.losses))

dropout_model = keras.Sequential([
    layers.Dense(512, activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(512, activation='elu'),
    layers.Dropout(0.5),
    layers.Dense(1)
])
regularizer_histories['dropout'] = compile_and_fit(dropout_model, "regularizers/dropout")

combined_model = keras.Sequential([
    layers.Dense(512, kernel_regularizer=regularizers.l2(0.0001),
                 activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(512, kernel_regularizer=regularizers.l2(0.0001),
                 activation='elu'),
    layers.Dropout(0.5),
    layers.Dense(1)
])
regularizer_histories['combined'] = compile_and_fit(combined_model, "regularizers/combined")

figures = {f"{name.lower()}_val_crossentropy": history.history['val_binary_crossentropy'][-1]
           for name, history in {**size_histories, **regularizer_histories}.items()}
print("RESULT " + " ".join(f"{key}={value:.4f}" for key, value in figures.items())
      + f" l2_penalty={float(regularization_loss):.4f} tiny_params={tiny_model.count_params()}"
      + f" learning_rate={float(np.asarray(lr_schedule(STEPS_PER_EPOCH * 1000))):.6f}")
