"""Exercise 3: LeakyReLU's slope at exactly 0 is 1 (>= 0)."""

EXERCISE = 3
CHANGES = [
    ('        self.positive = x > 0\n        return np.where(self.positive, x, self.alpha * x)',
     '        self.positive = x >= 0\n        return np.where(self.positive, x, self.alpha * x)'),
]
APPEND = ''
EXPECT = 'backward where the input is exactly 0'
