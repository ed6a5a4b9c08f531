"""Exercise 6: reshapes x to 4 rows."""

EXERCISE = 6
CHANGES = [
    ('return x @ W + b',
     'return x.reshape(4, -1) @ W + b'),
]
APPEND = ''
EXPECT = 'Linear'
