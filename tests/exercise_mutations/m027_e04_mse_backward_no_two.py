"""Exercise 4: MSE's backward leaves out the factor 2."""

EXERCISE = 4
CHANGES = [
    ('return (gy * 2 * self.difference / self.difference.size)',
     'return (gy * self.difference / self.difference.size)'),
]
APPEND = ''
EXPECT = 'MeanSquaredError backward'
