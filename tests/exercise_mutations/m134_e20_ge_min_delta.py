"""Exercise 20: an improvement of exactly min_delta counts (<= instead of <)."""

EXERCISE = 20
CHANGES = [
    ('if value < self.best - self.min_delta:',
     'if value <= self.best - self.min_delta:'),
]
APPEND = ''
EXPECT = 'stops at epoch'
