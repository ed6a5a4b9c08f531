"""Exercise 1: the update leaves b unchanged."""

EXERCISE = 1
CHANGES = [
    ('return w + lr * error * x, b + lr * error',
     'return w + lr * error * x, b'),
]
APPEND = ''
EXPECT = 'new b'
