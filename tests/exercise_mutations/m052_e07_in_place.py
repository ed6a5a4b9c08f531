"""Exercise 7: w is updated in the caller's array."""

EXERCISE = 7
CHANGES = [
    ('    return w + velocity, velocity\n',
     '    w += velocity\n    return w, velocity\n'),
]
APPEND = ''
EXPECT = "the caller's w"
