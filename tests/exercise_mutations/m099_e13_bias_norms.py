"""Exercise 13: the norms of the biases."""

EXERCISE = 13
CHANGES = [
    ('float(np.linalg.norm(layer.kernel.grad))',
     'float(np.linalg.norm(layer.bias.grad))'),
]
APPEND = ''
EXPECT = 'gradient_norms on'
