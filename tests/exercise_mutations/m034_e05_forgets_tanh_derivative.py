"""Exercise 5: dL/da leaves out tanh's derivative."""

EXERCISE = 5
CHANGES = [
    ('da = dh * (1 - h * h)',
     'da = dh'),
]
APPEND = ''
EXPECT = 'dL/dW1'
