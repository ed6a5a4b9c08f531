"""Exercise 2: ReLU zeroes the caller's array in place."""

EXERCISE = 2
CHANGES = [
    ('return np.where(self.positive, x, 0).astype(x.dtype)',
     'x[~self.positive] = 0\n        return x'),
]
APPEND = ''
EXPECT = 'ReLU leaves its inputs'
