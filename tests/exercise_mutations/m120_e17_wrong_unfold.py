"""Exercise 17: unfolds the windows with rows and columns swapped in the backward."""

EXERCISE = 17
CHANGES = [
    ('g = g.reshape(n, oh, ow, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)',
     'g = g.reshape(n, oh, ow, c, 2, 2).transpose(0, 1, 5, 2, 4, 3)'),
]
APPEND = ''
EXPECT = 'MaxPool2D on'
