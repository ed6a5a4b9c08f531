"""Exercise 5: dL/dh multiplies by W1 instead of W2."""

EXERCISE = 5
CHANGES = [
    ('dh = dz @ W2.T',
     'dh = dz @ W1[:, : dz.shape[1]].T if W1.shape[1] >= dz.shape[1] else dz @ W2.T * 2'),
]
APPEND = ''
EXPECT = 'dL/dW1'
