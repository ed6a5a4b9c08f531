"""Exercise 2: Tanh's backward uses 1 - y instead of 1 - y^2."""

EXERCISE = 2
CHANGES = [
    ('return gy * (1 - self.y * self.y)',
     'return gy * (1 - self.y)'),
]
APPEND = ''
EXPECT = 'Tanh backward'
