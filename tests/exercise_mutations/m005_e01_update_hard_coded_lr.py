"""Exercise 1: the update ignores lr and uses 1."""

EXERCISE = 1
CHANGES = [
    ('return w + lr * error * x, b + lr * error',
     'return w + error * x, b + error'),
]
APPEND = ''
EXPECT = 'update (y='
