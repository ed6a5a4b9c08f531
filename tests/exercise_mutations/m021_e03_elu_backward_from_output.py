"""Exercise 3: ELU's backward uses alpha (e^x - 1) instead of alpha e^x."""

EXERCISE = 3
CHANGES = [
    ('return gy * np.where(self.positive, 1.0, self.alpha * self.exp).astype(gy.dtype)',
     'return gy * np.where(self.positive, 1.0, self.alpha * (self.exp - 1)).astype(gy.dtype)'),
]
APPEND = ''
EXPECT = 'ELU('
