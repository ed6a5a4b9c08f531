"""Exercise 13: the gradients of an earlier call are not cleared."""

EXERCISE = 13
CHANGES = [
    ('    for weight in model.weights:\n        weight.grad = None\n',
     ''),
]
APPEND = ''
EXPECT = 'gradient_norms on'
