"""Exercise 11: the pooling averages instead of taking the maximum."""

EXERCISE = 11
CHANGES = [
    ('return windows.max(axis=2)',
     'return windows.mean(axis=2)'),
]
APPEND = ''
EXPECT = 'MaxPool1D forward values'
