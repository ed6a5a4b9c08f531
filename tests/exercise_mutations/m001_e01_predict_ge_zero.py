"""Exercise 1: predict uses >= 0: a point exactly on the boundary is predicted 1."""

EXERCISE = 1
CHANGES = [
    ('return (x @ w + b > 0).astype(int)',
     'return (x @ w + b >= 0).astype(int)'),
]
APPEND = ''
EXPECT = 'exactly on the boundary'
