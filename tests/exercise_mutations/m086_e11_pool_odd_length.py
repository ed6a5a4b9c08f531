"""Exercise 11: pooling assumes an even length."""

EXERCISE = 11
CHANGES = [
    ('windows = x[:, : length // 2 * 2, :].reshape(n, length // 2, 2, channels)',
     'windows = x.reshape(n, length // 2, 2, channels)'),
]
APPEND = ''
EXPECT = 'MaxPool1D'
