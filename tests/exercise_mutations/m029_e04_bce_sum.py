"""Exercise 4: binary cross-entropy sums instead of averaging."""

EXERCISE = 4
CHANGES = [
    ('return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))).astype(p.dtype)',
     'return np.sum(-(y * np.log(p) + (1 - y) * np.log(1 - p))).astype(p.dtype)'),
]
APPEND = ''
EXPECT = 'BinaryCrossentropy forward values'
