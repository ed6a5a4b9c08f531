"""Exercise 11: the kernel is flipped (a textbook convolution; Keras cross-correlates)."""

EXERCISE = 11
CHANGES = [
    ('            y += x[:, j:j + steps, :] @ W[j]',
     '            y += x[:, j:j + steps, :] @ W[k - 1 - j]'),
]
APPEND = ''
EXPECT = 'Conv1D with a kernel of'
