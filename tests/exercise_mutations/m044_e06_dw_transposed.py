"""Exercise 6: dL/dW = gy^T x."""

EXERCISE = 6
CHANGES = [
    ('return gy @ self.W.T, self.x.T @ gy, gy.sum(axis=0)',
     'return gy @ self.W.T, (gy.T @ self.x).T * 0.5, gy.sum(axis=0)'),
]
APPEND = ''
EXPECT = 'Linear backward'
