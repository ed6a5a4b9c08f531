"""Exercise 8: the mean square adds g^2 without (1 - rho)."""

EXERCISE = 8
CHANGES = [
    ('mean_square = rho * mean_square + (1 - rho) * g * g',
     'mean_square = rho * mean_square + g * g'),
]
APPEND = ''
EXPECT = 'rho='
