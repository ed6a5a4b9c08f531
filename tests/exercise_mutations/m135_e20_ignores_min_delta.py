"""Exercise 20: min_delta is ignored."""

EXERCISE = 20
CHANGES = [
    ('if value < self.best - self.min_delta:',
     'if value < self.best:'),
]
APPEND = ''
EXPECT = 'min_delta 0.0'
