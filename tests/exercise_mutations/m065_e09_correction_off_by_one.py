"""Exercise 9: bias correction with t + 1."""

EXERCISE = 9
CHANGES = [
    ('m_hat = m / (1 - beta_1 ** t)',
     'm_hat = m / (1 - beta_1 ** (t + 1))'),
    ('v_hat = v / (1 - beta_2 ** t)',
     'v_hat = v / (1 - beta_2 ** (t + 1))'),
]
APPEND = ''
EXPECT = 'beta_1='
