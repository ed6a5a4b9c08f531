"""Bidirectional LSTM on IMDB (keras-io example, nlp): two stacked Bidirectional LSTMs over word ids.

Source: https://keras.io/examples/nlp/bidirectional_lstm_imdb/
(examples/nlp/bidirectional_lstm_imdb.py)
Changed to run offline: ``keras.datasets.imdb.load_data(num_words=max_features)`` is
replaced by ``imdb_standin`` below (lists of word ids in [1, max_features) of lengths
30 to 300, labels 0/1 whose reviews favour one of two word sets; 25000/25000 reviews in
full mode as published, 128/64 in quick mode, with ``maxlen`` 30 and 1000 words in
quick mode); epochs 2 as published; ``verbose=2``; the ``RESULT``
line is added. Nothing else changed.
"""

import numpy as np
import keras
from keras import layers

import standin


def imdb_standin(samples, num_words, seed):
    """Reviews as lists of word ids (1 is the start mark, as IMDB's): class 1 draws more of one word set."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, samples)
    vocabulary = np.random.default_rng(0)  # the same two word sets in every split
    favoured = [vocabulary.choice(np.arange(4, num_words), 20, replace=False) for _ in range(2)]
    reviews = []
    for label in labels:
        length = int(rng.integers(30, 300))
        words = rng.integers(4, num_words, length)
        chosen = rng.random(length) < 0.5
        words[chosen] = rng.choice(favoured[label], int(chosen.sum()))
        reviews.append([1] + words.tolist())
    return reviews, labels


max_features = standin.pick(20000, 1000)  # Only consider the top 20k words
maxlen = standin.pick(200, 30)  # Only consider the first 200 words of each movie review

# Input for variable-length sequences of integers
inputs = keras.Input(shape=(None,), dtype="int32")
# Embed each integer in a 128-dimensional vector
x = layers.Embedding(max_features, 128)(inputs)
# Add 2 bidirectional LSTMs
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(64))(x)
# Add a classifier
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()

(x_train, y_train), (x_val, y_val) = (imdb_standin(standin.pick(25000, 128), max_features, 1),
                                      imdb_standin(standin.pick(25000, 64), max_features, 2))
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
# Use pad_sequence to standardize sequence length:
# this will truncate sequences longer than 200 words and zero-pad sequences shorter than 200 words.
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val),
                    verbose=2)

print(f"RESULT loss={history.history['loss'][-1]:.6f} val_accuracy={history.history['val_accuracy'][-1]:.6f} "
      f"params={model.count_params()}")
