"""Exercise 12: the variance with n - 1."""

EXERCISE = 12
CHANGES = [
    ('x.var(axis=axes) + self.epsilon',
     'x.var(axis=axes, ddof=1) + self.epsilon'),
]
APPEND = ''
EXPECT = 'BatchNorm('
