"""Exercise 16: the kernel is flipped (a textbook convolution)."""

EXERCISE = 16
CHANGES = [
    ('cols[:, :, :, p, q, :] = x[:, p:p + oh, q:q + ow, :]',
     'cols[:, :, :, kh - 1 - p, kw - 1 - q, :] = x[:, p:p + oh, q:q + ow, :]'),
]
APPEND = ''
EXPECT = 'Conv2D of'
