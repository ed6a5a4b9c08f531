"""Exercise 10: dropout keeps values unscaled."""

EXERCISE = 10
CHANGES = [
    ('self.mask = (keep / (1 - self.rate)).astype(x.dtype)',
     'self.mask = keep.astype(x.dtype)'),
]
APPEND = ''
EXPECT = 'Dropout('
