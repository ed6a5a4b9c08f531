"""Torada et al. 2019, ImaGene: the binary-classification training script (three Conv2D + MaxPooling2D blocks).

Source: https://github.com/mfumagalli/ImaGene/blob/master/Reproduce/train_binary.py
Changed to run offline: the ImaFile/ImaGene simulation reading (msms files, 10
batches) is replaced by ``standin.genotype_matrices`` images of the same layout
(n, 128, 128, 1) in {0, 1}, binary targets (quick mode: (n, 32, 32, 1)); the
10-batch loop trains on ``standin.pick(9, 2)`` batches of ``standin.pick(1000, 200)``
images then tests on one more, as published; the ``plot_model`` call, the
ImaNet bookkeeping, ``pymc3``/``pydot``/``skimage`` imports and the
``exec(open(ImaGene.py))`` are left out (they draw or store, they do not train);
``model.save(folder + '/model.h5')`` writes ``model.keras``, which Keras 3
requires; the ``RESULT`` line is added. Nothing else changed.
"""

import os

import numpy as np

from keras import models, layers, activations, optimizers, regularizers
from keras.models import load_model
from keras import backend as K

import standin

size = standin.pick(128, 32)
batches = standin.pick(10, 3)

i = 1
while i <= batches:

    data, targets = standin.genotype_matrices(standin.pick(1000, 200), size, size, 2, seed=100 + i)
    data = data[..., None]

    # first iteration
    if i == 1:

        model = models.Sequential([
                    layers.Conv2D(filters=32, kernel_size=(3,3), strides=(1,1), activation='relu', kernel_regularizer=regularizers.l1_l2(l1=0.005, l2=0.005), padding='valid', input_shape=data.shape[1:4]),
                    layers.MaxPooling2D(pool_size=(2,2)),
                    layers.Conv2D(filters=32, kernel_size=(3,3), strides=(1,1), activation='relu', kernel_regularizer=regularizers.l1_l2(l1=0.005, l2=0.005), padding='valid'),
                    layers.MaxPooling2D(pool_size=(2,2)),
                    layers.Conv2D(filters=32, kernel_size=(3,3), strides=(1,1), activation='relu', kernel_regularizer=regularizers.l1_l2(l1=0.005, l2=0.005), padding='valid'),
                    layers.MaxPooling2D(pool_size=(2,2)),
                    layers.Flatten(),
                    layers.Dense(units=64, activation='relu'),
                    layers.Dense(units=1, activation='sigmoid')])
        model.compile(optimizer='rmsprop',
                    loss='binary_crossentropy',
                    metrics=['accuracy'])

    # training
    if i < batches:
        score = model.fit(data, targets, batch_size=32, epochs=1, verbose=1, validation_split=0.10)
    else:
        # testing
        test = model.evaluate(data, targets, batch_size=None, verbose=1)
        predictions = model.predict(data)

    i += 1

# save final (trained) model
model.save('model.keras')
reloaded = load_model('model.keras')

print(f"RESULT test_loss={test[0]:.6f} test_accuracy={test[1]:.6f} "
      f"reloaded_accuracy={reloaded.evaluate(data, targets, verbose=0)[1]:.6f}")
