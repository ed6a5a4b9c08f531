"""Exercise 11: dL/db sums over the batch only."""

EXERCISE = 11
CHANGES = [
    ('return gx, gW, gy.sum(axis=(0, 1))',
     'return gx, gW, gy.sum(axis=0)[0]'),
]
APPEND = ''
EXPECT = 'Conv1D with a kernel of'
