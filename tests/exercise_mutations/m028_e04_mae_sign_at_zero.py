"""Exercise 4: MAE's slope at p = y is 1 (np.where(d >= 0, 1, -1) for the sign)."""

EXERCISE = 4
CHANGES = [
    ('return (gy * np.sign(self.difference) / self.difference.size)',
     'return (gy * np.where(self.difference >= 0, 1.0, -1.0) / self.difference.size)'),
]
APPEND = ''
EXPECT = 'backward where the input is exactly 0'
