"""Exercise 9: beta_1 and beta_2 swapped in the moment updates."""

EXERCISE = 9
CHANGES = [
    ('m = beta_1 * m + (1 - beta_1) * g',
     'm = beta_2 * m + (1 - beta_2) * g'),
    ('v = beta_2 * v + (1 - beta_2) * g * g',
     'v = beta_1 * v + (1 - beta_1) * g * g'),
]
APPEND = ''
EXPECT = 'beta_1='
