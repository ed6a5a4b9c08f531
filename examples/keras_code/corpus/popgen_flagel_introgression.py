"""Flagel, Brandvain & Schrider 2019, pop_gen_cnn: the introgression CNN training script.

Source: https://github.com/flag0010/pop_gen_cnn/blob/master/introgression/train.neural.net.introgression.CNN.PYTHON3.py
Changed to run offline: ``np.load("/dataset/big_sim.npz")`` is replaced by
``standin.genotype_matrices`` arrays of the same layout (x (n, SNPs, haplotypes)
in {0, 1}, 3 classes; 2000/500 matrices of 200 SNPs x 48 haplotypes in full mode,
400/200 of 64 x 24 in quick mode); epochs 19 as published, 2 in quick mode; the
save file name gets the ``.keras`` suffix Keras 3 requires
(``big.data.89.2.acc.mod.keras``); an ``evaluate`` and the ``RESULT`` line are
added. Nothing else changed (``keras.datasets.mnist`` is imported, unused, as published).
"""

import numpy as np
import keras
from keras.datasets import mnist
from keras.models import Sequential
from keras.layers import Dense, Dropout, Flatten
from keras.layers import Conv1D, MaxPooling1D, AveragePooling1D
from keras import backend as K
from random import shuffle, choice

import standin

batch_size = 256
epochs = standin.pick(19, 2)
num_classes = 3

snps, haplotypes = standin.pick((200, 48), (64, 24))
xtrain, ytrain = standin.genotype_matrices(standin.pick(2000, 400), snps, haplotypes, num_classes, seed=8)
xtest, ytest = standin.genotype_matrices(standin.pick(500, 200), snps, haplotypes, num_classes, seed=18)

ytest = keras.utils.to_categorical(ytest, num_classes)
ytrain = keras.utils.to_categorical(ytrain, num_classes)

model = Sequential()
model.add(Conv1D(256, kernel_size=2,
                 activation='relu',
                 input_shape=(xtest.shape[1], xtest.shape[2])))
model.add(Conv1D(128, kernel_size=2, activation='relu'))
model.add(AveragePooling1D(pool_size=2))
model.add(Dropout(0.25))
model.add(Conv1D(128, kernel_size=2, activation='relu'))
model.add(AveragePooling1D(pool_size=2))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes, activation='sigmoid'))
model.compile(loss=keras.losses.categorical_crossentropy,
              optimizer=keras.optimizers.Adam(),
              metrics=['accuracy'])
print(model.summary())
model.fit(xtrain, ytrain, batch_size=batch_size,
          epochs=epochs,
          verbose=1,
          validation_data=(xtest, ytest))


model.save(filepath='big.data.89.2.acc.mod.keras')

loss, accuracy = model.evaluate(xtest, ytest, verbose=0)
print(f"RESULT loss={loss:.6f} accuracy={accuracy:.6f}")
