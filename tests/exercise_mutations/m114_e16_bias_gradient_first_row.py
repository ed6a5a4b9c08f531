"""Exercise 16: dL/db is the first row of G."""

EXERCISE = 16
CHANGES = [
    ('return g_x, g_w, g.sum(axis=0)',
     'return g_x, g_w, g[0]'),
]
APPEND = ''
EXPECT = 'Conv2D of'
