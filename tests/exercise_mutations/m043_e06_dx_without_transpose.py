"""Exercise 6: dL/dx = gy W (no transpose)."""

EXERCISE = 6
CHANGES = [
    ('return gy @ self.W.T, self.x.T @ gy, gy.sum(axis=0)',
     'return (gy @ self.W.T) * 1.5, self.x.T @ gy, gy.sum(axis=0)'),
]
APPEND = ''
EXPECT = 'Linear backward'
