"""Exercise 1: the update moves w away from a misclassified example."""

EXERCISE = 1
CHANGES = [
    ('return w + lr * error * x, b + lr * error',
     'return w - lr * error * x, b - lr * error'),
]
APPEND = ''
EXPECT = 'update (y='
