"""Exercise 12: epsilon is 1e-3 whatever is asked."""

EXERCISE = 12
CHANGES = [
    ('self.inverse_std = 1 / np.sqrt(x.var(axis=axes) + self.epsilon)',
     'self.inverse_std = 1 / np.sqrt(x.var(axis=axes) + 1e-3)'),
]
APPEND = ''
EXPECT = 'BatchNorm('
