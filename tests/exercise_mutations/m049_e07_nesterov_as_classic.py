"""Exercise 7: Nesterov's step is taken as the classic one."""

EXERCISE = 7
CHANGES = [
    ('        return w + momentum * velocity - lr * g, velocity\n',
     '        return w + velocity, velocity\n'),
]
APPEND = ''
EXPECT = 'nesterov=True'
