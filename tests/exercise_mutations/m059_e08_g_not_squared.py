"""Exercise 8: the mean square averages g instead of g^2."""

EXERCISE = 8
CHANGES = [
    ('mean_square = rho * mean_square + (1 - rho) * g * g',
     'mean_square = rho * mean_square + (1 - rho) * np.abs(g)'),
]
APPEND = ''
EXPECT = 'rho='
