"""Exercise 1: error = y_hat - y."""

EXERCISE = 1
CHANGES = [
    ('error = y - int(x @ w + b > 0)',
     'error = int(x @ w + b > 0) - y'),
]
APPEND = ''
EXPECT = 'update (y='
