"""Exercise 4: MSE's value is float64 for float32 predictions."""

EXERCISE = 4
CHANGES = [
    ('return np.mean(self.difference ** 2).astype(p.dtype)',
     'return np.mean(self.difference.astype(np.float64) ** 2)'),
]
APPEND = ''
EXPECT = 'MeanSquaredError: float32 in'
