"""Exercise 5: dL/dW2 = dz^T h, transposed."""

EXERCISE = 5
CHANGES = [
    ('"W2": h.T @ dz',
     '"W2": (dz.T @ h).T.T'),
]
APPEND = ''
EXPECT = 'dL/dW2'
