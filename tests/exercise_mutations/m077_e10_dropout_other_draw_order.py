"""Exercise 10: the draws fill the mask in transposed order."""

EXERCISE = 10
CHANGES = [
    ('keep = self.generator.random(x.shape) >= self.rate',
     'keep = self.generator.random(x.shape[::-1]).T >= self.rate'),
]
APPEND = ''
EXPECT = 'Dropout('
