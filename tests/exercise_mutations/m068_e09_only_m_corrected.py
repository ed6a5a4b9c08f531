"""Exercise 9: v is not bias-corrected."""

EXERCISE = 9
CHANGES = [
    ('v_hat = v / (1 - beta_2 ** t)',
     'v_hat = v'),
]
APPEND = ''
EXPECT = 'beta_1='
