"""Exercise 15: subtracts the maximum of the whole batch, not of each row."""

EXERCISE = 15
CHANGES = [
    ('shifted = z - z.max(axis=1, keepdims=True)',
     'shifted = z - z.max()'),
]
APPEND = ''
EXPECT = 'about +-1000'
