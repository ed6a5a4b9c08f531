"""Exercise 5: dL/dh is taken from p - y, leaving out the 1/n that dL/dz has."""

EXERCISE = 5
CHANGES = [
    ('dh = dz @ W2.T',
     'dh = (p - y) @ W2.T'),
]
APPEND = ''
EXPECT = 'dL/dW1'
