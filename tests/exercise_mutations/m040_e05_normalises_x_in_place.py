"""Exercise 5: centres the caller's x in place."""

EXERCISE = 5
CHANGES = [
    ('    n = len(x)\n',
     '    n = len(x)\n    x -= x.mean(axis=0)\n'),
]
APPEND = ''
EXPECT = 'leaves x, y and the weights'
