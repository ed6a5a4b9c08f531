"""Exercise 1: predict returns -1 / +1 (np.sign) instead of 0 / 1."""

EXERCISE = 1
CHANGES = [
    ('return (x @ w + b > 0).astype(int)',
     'return np.sign(x @ w + b).astype(int)'),
]
APPEND = ''
EXPECT = 'predict gives step'
