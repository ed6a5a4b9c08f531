"""Exercise 10: dropout's rate is 0.4 whatever is asked."""

EXERCISE = 10
CHANGES = [
    ('keep = self.generator.random(x.shape) >= self.rate',
     'keep = self.generator.random(x.shape) >= 0.4'),
    ('self.mask = (keep / (1 - self.rate)).astype(x.dtype)',
     'self.mask = (keep / 0.6).astype(x.dtype)'),
]
APPEND = ''
EXPECT = 'Dropout('
