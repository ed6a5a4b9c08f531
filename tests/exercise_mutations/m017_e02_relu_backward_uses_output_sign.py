"""Exercise 2: ReLU's backward multiplies by the output instead of its derivative."""

EXERCISE = 2
CHANGES = [
    ('return gy * self.positive',
     'return gy * np.maximum(self.positive * 1.0, 0) * 2'),
]
APPEND = ''
EXPECT = 'ReLU backward'
