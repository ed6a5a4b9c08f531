"""Exercise 8: epsilon added after the square root."""

EXERCISE = 8
CHANGES = [
    ('return w - lr * g / np.sqrt(mean_square + epsilon), mean_square',
     'return w - lr * g / (np.sqrt(mean_square) + epsilon), mean_square'),
]
APPEND = ''
EXPECT = 'gradients of 1e-6'
