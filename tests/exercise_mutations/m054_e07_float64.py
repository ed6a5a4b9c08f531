"""Exercise 7: the new weights are float64."""

EXERCISE = 7
CHANGES = [
    ('    return w + velocity, velocity\n',
     '    return (w + velocity).astype(float), velocity\n'),
    ('        return w + momentum * velocity - lr * g, velocity\n',
     '        return (w + momentum * velocity - lr * g).astype(float), velocity\n'),
]
APPEND = ''
EXPECT = 'float32 weights stay float32'
