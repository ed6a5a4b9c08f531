"""Perez et al. 2022 (CNN_Piloso.ipynb): the functional-API 1-D CNN for demographic model choice, with its callbacks.

Source: https://github.com/manolofperez/CNN_Piloso (CNN_Piloso.ipynb, ``create_cnn`` and its
training cell), as transcribed in this project's examples/keras_code/run.py.
Changed to run offline: the ms-simulated genotype arrays are replaced by
``standin.genotype_matrices`` of the same layout (x (n, SNPs, haplotypes), one-hot
targets; 2 classes instead of the notebook's 7 models; 1600/400 matrices of
64 SNPs x 20 haplotypes in full mode, 320/160 in quick mode); epochs 20 / 2;
the checkpoint is written as ``perez_best.keras`` (Keras 3 saves whole models
only to ``.keras``) and reloaded with ``keras.models.load_model``; the
``RESULT`` line is added. Nothing else changed.
"""

import numpy as np
import keras
from keras.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from keras.layers import AveragePooling1D, Conv1D, Dense, Dropout, Flatten, Input
from keras.models import Model

import standin

num_classes = 2
xtrain, ytrain = standin.genotype_matrices(standin.pick(1600, 320), 64, 20, num_classes, seed=9)
xtest, ytest = standin.genotype_matrices(standin.pick(400, 160), 64, 20, num_classes, seed=19)
ytrain = keras.utils.to_categorical(ytrain, num_classes)
ytest = keras.utils.to_categorical(ytest, num_classes)


def create_cnn(xtest, num_classes):
    inputShape = (xtest.shape[1], xtest.shape[2])
    inputs = Input(shape=inputShape)
    x = inputs
    x = Conv1D(250, kernel_size=2, activation="relu", input_shape=(xtest.shape[1], xtest.shape[2]))(x)
    x = Conv1D(125, kernel_size=2, activation="relu")(x)
    x = AveragePooling1D(pool_size=2)(x)
    x = Dropout(0.75)(x)
    x = Conv1D(125, kernel_size=2, activation="relu")(x)
    x = AveragePooling1D(pool_size=2)(x)
    x = Dropout(0.75)(x)
    x = Flatten()(x)
    x = Dense(125, activation="relu")(x)
    x = Dropout(0.5)(x)
    x = Dense(125, activation="relu")(x)
    x = Dropout(0.5)(x)
    x = Dense(num_classes, activation="softmax")(x)
    return Model(inputs, x)


model = create_cnn(xtest, num_classes)
model.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adam(), metrics=["accuracy"])
model.summary()
mcp_save = ModelCheckpoint("perez_best.keras", save_best_only=True, monitor="val_accuracy", mode="max")
reduce_lr_loss = ReduceLROnPlateau(monitor="val_accuracy", factor=0.2, patience=20, verbose=1, mode="max")
model.fit(xtrain, ytrain, batch_size=64, epochs=standin.pick(20, 2), verbose=2,
          validation_data=(xtest, ytest), callbacks=[mcp_save, reduce_lr_loss])
best = keras.models.load_model("perez_best.keras")
loss, accuracy = best.evaluate(xtest, ytest, verbose=0)

print(f"RESULT loss={loss:.6f} accuracy={accuracy:.6f}")
