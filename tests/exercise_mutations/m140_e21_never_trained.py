"""Exercise 21: the model is returned without training."""

EXERCISE = 21
CHANGES = [
    ('    model.fit(x, y, batch_size=64, epochs=6, verbose=0)\n',
     ''),
]
APPEND = ''
EXPECT = 'held-out digits right'
