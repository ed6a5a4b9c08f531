"""Exercise 20: stops one epoch late (wait > patience)."""

EXERCISE = 20
CHANGES = [
    ('return self.wait >= self.patience',
     'return self.wait > self.patience'),
]
APPEND = ''
EXPECT = 'stops at epoch'
