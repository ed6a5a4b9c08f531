"""Exercise 8: the new weights are float64."""

EXERCISE = 8
CHANGES = [
    ('return w - lr * g / np.sqrt(mean_square + epsilon), mean_square',
     'return (w - lr * g / np.sqrt(mean_square + epsilon)).astype(np.float64), mean_square'),
]
APPEND = ''
EXPECT = 'float32 weights stay float32'
