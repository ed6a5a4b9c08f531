"""Exercise 12: statistics over the first axis only."""

EXERCISE = 12
CHANGES = [
    ('axes = tuple(range(x.ndim - 1))',
     'axes = (0,)'),
]
APPEND = ''
EXPECT = 'BatchNorm('
