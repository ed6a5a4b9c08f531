"""Exercise 12: epsilon added after the square root."""

EXERCISE = 12
CHANGES = [
    ('self.inverse_std = 1 / np.sqrt(x.var(axis=axes) + self.epsilon)',
     'self.inverse_std = 1 / (np.sqrt(x.var(axis=axes)) + self.epsilon)'),
]
APPEND = ''
EXPECT = 'BatchNorm('
