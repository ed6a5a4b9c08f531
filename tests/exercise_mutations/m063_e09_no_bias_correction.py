"""Exercise 9: m and v are used without bias correction."""

EXERCISE = 9
CHANGES = [
    ('    m_hat = m / (1 - beta_1 ** t)\n    v_hat = v / (1 - beta_2 ** t)\n',
     '    m_hat, v_hat = m, v\n'),
]
APPEND = ''
EXPECT = 'beta_1='
