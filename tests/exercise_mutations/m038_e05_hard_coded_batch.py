"""Exercise 5: divides by 4 samples whatever the batch."""

EXERCISE = 5
CHANGES = [
    ('dz = (p - y) / n',
     'dz = (p - y) / 4'),
]
APPEND = ''
EXPECT = 'dL/dW2'
