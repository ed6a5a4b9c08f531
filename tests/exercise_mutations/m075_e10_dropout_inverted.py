"""Exercise 10: dropout keeps where u < rate."""

EXERCISE = 10
CHANGES = [
    ('keep = self.generator.random(x.shape) >= self.rate',
     'keep = self.generator.random(x.shape) < self.rate'),
]
APPEND = ''
EXPECT = 'Dropout('
