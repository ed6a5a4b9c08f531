"""Exercise 6: the forward returns float64."""

EXERCISE = 6
CHANGES = [
    ('return x @ W + b',
     'return (x @ W + b).astype(np.float64)'),
]
APPEND = ''
EXPECT = 'float32 in, float32 out'
