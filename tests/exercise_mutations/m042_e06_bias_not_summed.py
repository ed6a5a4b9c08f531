"""Exercise 6: dL/db is the first row of gy."""

EXERCISE = 6
CHANGES = [
    ('return gy @ self.W.T, self.x.T @ gy, gy.sum(axis=0)',
     'return gy @ self.W.T, self.x.T @ gy, gy[0]'),
]
APPEND = ''
EXPECT = 'Linear backward'
