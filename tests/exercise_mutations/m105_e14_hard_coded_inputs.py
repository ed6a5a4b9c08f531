"""Exercise 14: the kernel has 3 rows whatever the input."""

EXERCISE = 14
CHANGES = [
    ('shape=(input_shape[-1], self.units)',
     'shape=(3, self.units)'),
]
APPEND = ''
EXPECT = 'builds the layer'
