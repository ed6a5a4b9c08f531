"""Exercise 1: predict leaves out b."""

EXERCISE = 1
CHANGES = [
    ('return (x @ w + b > 0).astype(int)',
     'return (x @ w > 0).astype(int)'),
]
APPEND = ''
EXPECT = 'predict gives step'
