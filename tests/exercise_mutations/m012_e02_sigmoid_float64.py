"""Exercise 2: Sigmoid computes in float64 whatever the input."""

EXERCISE = 2
CHANGES = [
    ('self.y = 1 / (1 + np.exp(-x))',
     'self.y = 1 / (1 + np.exp(-x.astype(np.float64)))'),
]
APPEND = ''
EXPECT = 'Sigmoid: float32 in'
