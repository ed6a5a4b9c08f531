"""Exercise 8: divides by the mean square, not its root."""

EXERCISE = 8
CHANGES = [
    ('np.sqrt(mean_square + epsilon)',
     '(mean_square + epsilon)'),
]
APPEND = ''
EXPECT = 'rho='
