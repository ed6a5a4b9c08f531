"""Exercise 12: dL/dgamma sums gy alone."""

EXERCISE = 12
CHANGES = [
    ('g_gamma = (gy * x_hat).sum(axis=axes)',
     'g_gamma = gy.sum(axis=axes)'),
]
APPEND = ''
EXPECT = 'BatchNorm('
