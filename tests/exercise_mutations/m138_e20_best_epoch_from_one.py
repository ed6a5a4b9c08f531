"""Exercise 20: counts epochs from 1."""

EXERCISE = 20
CHANGES = [
    ('self.epoch, self.wait = -1, 0',
     'self.epoch, self.wait = 0, 0'),
]
APPEND = ''
EXPECT = 'the best epoch'
