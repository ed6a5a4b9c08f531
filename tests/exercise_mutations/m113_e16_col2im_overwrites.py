"""Exercise 16: col2im assigns instead of adding: overlapping windows lose gradient."""

EXERCISE = 16
CHANGES = [
    ('g_x[:, p:p + oh, q:q + ow, :] += g_cols[:, :, :, p, q, :]',
     'g_x[:, p:p + oh, q:q + ow, :] = g_cols[:, :, :, p, q, :]'),
]
APPEND = ''
EXPECT = 'Conv2D of'
