"""Exercise 11: the kernel size is taken as 3."""

EXERCISE = 11
CHANGES = [
    ('        k = W.shape[0]\n        steps',
     '        k = 3\n        steps'),
]
APPEND = ''
EXPECT = 'Conv1D with a kernel of'
