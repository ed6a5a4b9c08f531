"""Exercise 8: the mean square is updated in the caller's array."""

EXERCISE = 8
CHANGES = [
    ('    mean_square = rho * mean_square + (1 - rho) * g * g\n',
     '    mean_square *= rho\n    mean_square += (1 - rho) * g * g\n'),
]
APPEND = ''
EXPECT = "the caller's"
