"""Exercise 4: binary cross-entropy's backward forgets to divide by the number of elements."""

EXERCISE = 4
CHANGES = [
    ('return (gy * (p - y) / (p * (1 - p)) / p.size).astype(p.dtype)',
     'return (gy * (p - y) / (p * (1 - p))).astype(p.dtype)'),
]
APPEND = ''
EXPECT = 'BinaryCrossentropy backward'
