"""Exercise 1: the update adds to the caller's w in place."""

EXERCISE = 1
CHANGES = [
    ('return w + lr * error * x, b + lr * error',
     'w += lr * error * x\n    return w, b + lr * error'),
]
APPEND = ''
EXPECT = "leaves the caller's w"
