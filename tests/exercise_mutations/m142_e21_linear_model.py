"""Exercise 21: no hidden layer: a linear classifier."""

EXERCISE = 21
CHANGES = [
    ('Reshape((28, 28, 1)), Conv2D(16, 3, activation="relu"), MaxPooling2D(2),\n                        Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Flatten(), ',
     ''),
    ('epochs=6',
     'epochs=2'),
]
APPEND = ''
EXPECT = 'held-out digits right'
