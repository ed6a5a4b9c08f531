"""Exercise 16: assumes a square kernel."""

EXERCISE = 16
CHANGES = [
    ('        kh, kw, _, f = W.shape\n        oh, ow = h - kh + 1, w - kw + 1',
     '        kh, _, _, f = W.shape\n        kw = kh\n        oh, ow = h - kh + 1, w - kw + 1'),
]
APPEND = ''
EXPECT = 'Conv2D of'
