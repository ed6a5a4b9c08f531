"""Exercise 13: the squared norms."""

EXERCISE = 13
CHANGES = [
    ('float(np.linalg.norm(layer.kernel.grad))',
     'float(np.sum(layer.kernel.grad ** 2))'),
]
APPEND = ''
EXPECT = 'gradient_norms on'
