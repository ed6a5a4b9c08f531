"""Exercise 3: ELU writes its result into the caller's array."""

EXERCISE = 3
CHANGES = [
    ('        return np.where(self.positive, x, self.alpha * (self.exp - 1)).astype(x.dtype)',
     '        x[...] = np.where(self.positive, x, self.alpha * (self.exp - 1))\n        return x'),
]
APPEND = ''
EXPECT = 'leaves its inputs'
