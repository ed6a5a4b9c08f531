"""Exercise 5: dL/dz leaves out 1/n."""

EXERCISE = 5
CHANGES = [
    ('dz = (p - y) / n',
     'dz = p - y'),
]
APPEND = ''
EXPECT = 'dL/dW2'
