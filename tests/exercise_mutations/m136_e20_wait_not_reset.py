"""Exercise 20: wait is not reset on an improvement."""

EXERCISE = 20
CHANGES = [
    ('self.best, self.best_epoch, self.wait = value, self.epoch, 0',
     'self.best, self.best_epoch = value, self.epoch'),
]
APPEND = ''
EXPECT = 'stops at epoch'
