"""Exercise 9: epsilon inside the square root."""

EXERCISE = 9
CHANGES = [
    ('(np.sqrt(v_hat) + epsilon)',
     'np.sqrt(v_hat + epsilon)'),
]
APPEND = ''
EXPECT = 'gradients of 1e-6'
