"""Exercise 4: MSE sums instead of averaging."""

EXERCISE = 4
CHANGES = [
    ('return np.mean(self.difference ** 2).astype(p.dtype)',
     'return np.sum(self.difference ** 2).astype(p.dtype)'),
]
APPEND = ''
EXPECT = 'MeanSquaredError forward values'
