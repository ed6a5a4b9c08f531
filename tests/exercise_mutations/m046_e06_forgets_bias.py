"""Exercise 6: the forward leaves out b."""

EXERCISE = 6
CHANGES = [
    ('return x @ W + b',
     'return x @ W'),
]
APPEND = ''
EXPECT = 'Linear forward values'
