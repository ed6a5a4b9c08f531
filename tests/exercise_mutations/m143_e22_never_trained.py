"""Exercise 22: the model is returned without training."""

EXERCISE = 22
CHANGES = [
    ('    model.fit(x, y, batch_size=32, epochs=30, verbose=0)\n',
     ''),
]
APPEND = ''
EXPECT = 'held-out images right'
