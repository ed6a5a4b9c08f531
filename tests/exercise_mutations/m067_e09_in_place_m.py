"""Exercise 9: m is updated in the caller's array."""

EXERCISE = 9
CHANGES = [
    ('    m = beta_1 * m + (1 - beta_1) * g\n',
     '    m *= beta_1\n    m += (1 - beta_1) * g\n'),
]
APPEND = ''
EXPECT = "the caller's"
