"""Exercise 3: LeakyReLU ignores alpha and uses Keras's default 0.3."""

EXERCISE = 3
CHANGES = [
    ('return np.where(self.positive, x, self.alpha * x).astype(x.dtype)',
     'return np.where(self.positive, x, 0.3 * x).astype(x.dtype)'),
    ('return gy * np.where(self.positive, 1.0, self.alpha).astype(gy.dtype)',
     'return gy * np.where(self.positive, 1.0, 0.3).astype(gy.dtype)'),
]
APPEND = ''
EXPECT = 'LeakyReLU('
