"""Exercise 9: v averages |g| instead of g^2."""

EXERCISE = 9
CHANGES = [
    ('v = beta_2 * v + (1 - beta_2) * g * g',
     'v = beta_2 * v + (1 - beta_2) * np.abs(g)'),
]
APPEND = ''
EXPECT = 'beta_1='
