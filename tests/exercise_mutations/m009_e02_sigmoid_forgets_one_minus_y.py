"""Exercise 2: Sigmoid's backward leaves out (1 - y)."""

EXERCISE = 2
CHANGES = [
    ('return gy * self.y * (1 - self.y)',
     'return gy * self.y'),
]
APPEND = ''
EXPECT = 'Sigmoid backward'
