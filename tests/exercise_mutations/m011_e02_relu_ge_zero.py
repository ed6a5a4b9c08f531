"""Exercise 2: ReLU passes the gradient at exactly 0 (>= 0 instead of > 0)."""

EXERCISE = 2
CHANGES = [
    ('self.positive = x > 0',
     'self.positive = x >= 0'),
]
APPEND = ''
EXPECT = 'backward where the input is exactly 0'
