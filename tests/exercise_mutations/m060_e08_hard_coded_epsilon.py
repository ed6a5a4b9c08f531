"""Exercise 8: epsilon is 1e-8 whatever is asked."""

EXERCISE = 8
CHANGES = [
    ('np.sqrt(mean_square + epsilon)',
     'np.sqrt(mean_square + 1e-8)'),
]
APPEND = ''
EXPECT = 'gradients of 1e-6'
